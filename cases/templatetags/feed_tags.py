"""Autodiscovery: the <link rel="alternate"> tags that let browsers and readers find a page's feeds and calendar."""

from django import template
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from cases.models import Case, Court

register = template.Library()

ATOM = "application/atom+xml"
RSS = "application/rss+xml"
ICAL = "text/calendar"


def _link(type_, title, href):
    return {"rel": "alternate", "type": type_, "title": title, "href": href}


def feed_links(obj=None) -> list[dict]:
    """The feeds of a case page, a court page, or (for anything else) the whole site."""
    if isinstance(obj, Case):
        name = str(obj)
        feed = _("%(case)s: filings and status changes") % {"case": name}
        return [
            _link(ATOM, f"{feed} (Atom)", reverse("cases:case_feed_atom", args=[obj.slug])),
            _link(RSS, f"{feed} (RSS)", reverse("cases:case_feed_rss", args=[obj.slug])),
            _link(
                ICAL,
                _("%(case)s: upcoming hearings and deliveries") % {"case": name},
                reverse("cases:case_calendar", args=[obj.slug]),
            ),
        ]
    if isinstance(obj, Court):
        code = obj.code.lower()
        feed = _("%(court)s: new filings and status changes") % {"court": obj.code}
        return [
            _link(ATOM, f"{feed} (Atom)", reverse("cases:court_feed_atom", args=[code])),
            _link(RSS, f"{feed} (RSS)", reverse("cases:court_feed_rss", args=[code])),
        ]
    feed = _("All changes")
    return [
        _link(ATOM, f"{feed} (Atom)", reverse("cases:changes_feed_atom")),
        _link(RSS, f"{feed} (RSS)", reverse("cases:changes_feed_rss")),
        _link(ICAL, _("Upcoming hearings and deliveries"), reverse("cases:calendar")),
    ]


@register.simple_tag(name="feed_links")
def feed_links_tag(obj=None):
    """`{% feed_links case %}` in <head>: one escaped <link> a feed."""
    return format_html_join(
        "\n",
        '<link rel="{}" type="{}" title="{}" href="{}">',
        ((link["rel"], link["type"], link["title"], link["href"]) for link in feed_links(obj)),
    )
