"""Feeds and calendars. Included from cases/urls.py, so the names live in the "cases" namespace."""

from django.urls import path

from . import calendars, feeds

urlpatterns = [
    path("feeds/changes.atom", feeds.ChangesAtomFeed(), name="changes_feed_atom"),
    path("feeds/changes.rss", feeds.ChangesRssFeed(), name="changes_feed_rss"),
    path("courts/<str:code>/feed.atom", feeds.CourtAtomFeed(), name="court_feed_atom"),
    path("courts/<str:code>/feed.rss", feeds.CourtRssFeed(), name="court_feed_rss"),
    path("cases/<slug:slug>/feed.atom", feeds.CaseAtomFeed(), name="case_feed_atom"),
    path("cases/<slug:slug>/feed.rss", feeds.CaseRssFeed(), name="case_feed_rss"),
    path("calendar.ics", calendars.calendar, name="calendar"),
    path("cases/<slug:slug>/calendar.ics", calendars.case_calendar, name="case_calendar"),
]
