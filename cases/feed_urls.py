"""Feeds and calendars. Included from cases/urls.py, so the names live in the "cases" namespace."""

from django.urls import path

from . import calendars, feeds
from .pagecache import cached_page, case_key

site, one_case = cached_page(), cached_page(case_key)

urlpatterns = [
    path("feeds/changes.atom", site(feeds.ChangesAtomFeed()), name="changes_feed_atom"),
    path("feeds/changes.rss", site(feeds.ChangesRssFeed()), name="changes_feed_rss"),
    path("courts/<str:code>/feed.atom", site(feeds.CourtAtomFeed()), name="court_feed_atom"),
    path("courts/<str:code>/feed.rss", site(feeds.CourtRssFeed()), name="court_feed_rss"),
    path("cases/<slug:slug>/feed.atom", one_case(feeds.CaseAtomFeed()), name="case_feed_atom"),
    path("cases/<slug:slug>/feed.rss", one_case(feeds.CaseRssFeed()), name="case_feed_rss"),
    path("calendar.ics", site(calendars.calendar), name="calendar"),
    path("cases/<slug:slug>/calendar.ics", one_case(calendars.case_calendar), name="case_calendar"),
]
