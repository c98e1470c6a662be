"""iCalendar feeds of what is coming: hearings, time-limits and the delivery of judgments, opinions and orders.

One calendar for every case (/calendar.ics) and one a case (/cases/<slug>/calendar.ics), for calendar
apps to subscribe to. Every event is an all-day VEVENT: the courts announce days, not times, and a
time guessed in the wrong time zone would be worse than none. DTEND is exclusive (RFC 5545), so a
hearing from 12 to 14 March ends on 15 March.

Events known only to the month or the year ("the judgment is expected in March") are left out: a
calendar can only place them on a day we would have to invent. The case page lists them as the court
gives them.

"Upcoming" is Event.objects.upcoming(): from today on, and hearings already under way until their last day.
"""

from __future__ import annotations

import datetime

from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, vDuration
from icalendar import Event as VEvent

from .feeds import SITE_NAME, Moved, find_case, site_domain
from .models import Event

CALENDAR_KINDS = (
    Event.Kind.HEARING,
    Event.Kind.DEADLINE,
    Event.Kind.JUDGMENT,
    Event.Kind.OPINION,
    Event.Kind.ORDER,
)
# A bound on one response; far more than the courts ever announce ahead.
CALENDAR_LIMIT = 500
# How often a subscribed calendar app should fetch the calendar again.
REFRESH_EVERY = datetime.timedelta(hours=6)
CONTENT_TYPE = "text/calendar; charset=utf-8"
ONE_DAY = datetime.timedelta(days=1)


def upcoming_events(case=None, today=None):
    """Day-precision hearings, time-limits and deliveries from `today` on, with their cases: one query."""
    events = Event.objects.upcoming(today=today).filter(kind__in=CALENDAR_KINDS, precision=Event.Precision.DAY)
    if case is not None:
        events = events.filter(case=case)
    return events[:CALENDAR_LIMIT]


def vevent(event: Event, request, domain: str, stamp: datetime.datetime) -> VEvent:
    case = event.case
    component = VEvent()
    component.add("uid", f"event-{event.pk}@{domain}")
    component.add("dtstamp", stamp)
    component.add("created", event.created_at)
    component.add("dtstart", event.date)
    component.add("dtend", (event.end_date or event.date) + ONE_DAY)
    component.add("summary", f"{case}: {event.title}")
    component.add("categories", [event.get_kind_display()])
    component.add("transp", "TRANSPARENT")
    component.add("url", request.build_absolute_uri(case.get_absolute_url()))
    lines = [f"{event.get_kind_display()}: {event.title}", f"{case.title} ({case.court.code})"]
    if event.source_url:
        lines.append(_("Source: %(url)s") % {"url": event.source_url})
    elif event.source_note:
        lines.append(_("Reported by: %(note)s") % {"note": event.source_note})
    lines.append(_("Case page: %(url)s") % {"url": request.build_absolute_uri(case.get_absolute_url())})
    component.add("description", "\n".join(lines))
    return component


def render_calendar(request, name: str, events) -> HttpResponse:
    calendar = Calendar()
    calendar.add("prodid", f"-//{SITE_NAME}//{site_domain(request)}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH_EVERY, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_EVERY))
    domain = site_domain(request)
    stamp = timezone.now()
    for event in events:
        calendar.add_component(vevent(event, request, domain, stamp))
    return HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)


def calendar(request):
    name = _("%(site)s: upcoming hearings and deliveries") % {"site": SITE_NAME}
    return render_calendar(request, name, upcoming_events())


def case_calendar(request, slug):
    try:
        case = find_case(slug, "cases:case_calendar")
    except Moved as moved:
        return HttpResponsePermanentRedirect(moved.location)
    name = _("%(case)s: upcoming hearings and deliveries") % {"case": case}
    return render_calendar(request, name, upcoming_events(case=case))
