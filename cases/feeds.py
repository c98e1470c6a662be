"""Atom and RSS feeds of what the tracker learns: new filings and status changes, newest first.

Three scopes (every case, one court, one case), each in Atom and RSS. An entry is either a filing, linked
to the document on the court's own site, or a status change, linked to the case page. Entries are ordered
by when the tracker learned of them (a filing's `first_seen_at`, a status change's `created_at`): a
document dated last year but found today is news today. The document's own date is in the description.

Text from the courts' pages is text: titles go into the XML escaped once, so `<script>` in a title stays
the characters `<script>` (Atom titles are text by definition, and readers such as feedparser read RSS
titles as text too). Descriptions are plain text, HTML-escaped, because both Atom's `type="html"` summary
and RSS's description are read as HTML.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponsePermanentRedirect
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from .models import Case, Court, Event, Filing

FEED_ITEMS = 50
SITE_NAME = "Proceedings tracker"
# The date part of our tag URIs (RFC 4151). It names the year the tracker began and must never change,
# or every reader would show every entry as new again.
TAG_DATE = "2026"
# XML 1.0 cannot carry these; Django's feed writer refuses them, and one bad title must not break a feed.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")


def xml_text(value) -> str:
    return _CONTROL_CHARS.sub("", str(value))


def site_domain(request) -> str:
    """The host the request came to, without its port: the authority of our tag URIs and calendar UIDs."""
    domain, _port = split_domain_port(request.get_host())
    return domain or request.get_host()


class Moved(Exception):
    """The case is known under a newer slug: the feed or calendar lives at `location` now."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


def find_case(slug: str, url_name: str) -> Case:
    """The case with this slug, with its court; an old slug raises Moved to `url_name` under the present one.

    Links are permanent (see views._redirect_from_old_slug): a feed subscribed under an old slug keeps working.
    """
    case = Case.objects.select_related("court").filter(slug=slug).first()
    if case is not None:
        return case
    old = Case.history.filter(slug=slug).order_by("-history_date").values_list("id", flat=True).first()
    current = Case.objects.filter(pk=old).values_list("slug", flat=True).first() if old else None
    if current is None:
        raise Http404("No case has this address.")
    raise Moved(reverse(url_name, args=[current]))


def find_court(code: str, url_name: str) -> Court:
    court = Court.objects.filter(code__iexact=code).first()
    if court is None:
        raise Http404("No court has this code.")
    if code != court.code.lower():
        raise Moved(reverse(url_name, args=[court.code.lower()]))
    return court


@dataclass(frozen=True)
class Scope:
    """What one request's feed covers, and the host its tag URIs are minted under."""

    domain: str
    court: Court | None = None
    case: Case | None = None


@dataclass(frozen=True)
class Entry:
    title: str
    link: str
    guid: str
    when: datetime.datetime
    description: str
    categories: tuple[str, ...]


def _day(value) -> str:
    return date_format(value, "j F Y")


def _case_line(case: Case) -> str:
    reference = case.display_reference
    where = f"{case.court.code}, {reference}" if reference else case.court.code
    return f"{case.title} ({where})."


def filing_entry(filing: Filing, scope: Scope) -> Entry:
    case = filing.case
    sentences = [
        f"{filing.get_kind_display()}.",
        _("Dated %(date)s.") % {"date": _day(filing.date)} if filing.date else _("Undated."),
        _case_line(case),
    ]
    if filing.reference:
        sentences.append(_("Reference: %(reference)s.") % {"reference": filing.reference})
    if filing.language:
        sentences.append(_("Language: %(language)s.") % {"language": filing.get_language_display()})
    title = filing.title if scope.case else f"{case}: {filing.title}"
    return Entry(
        title=xml_text(title),
        link=filing.official_link or case.get_absolute_url(),
        guid=f"tag:{scope.domain},{TAG_DATE}:filing:{filing.pk}",
        when=filing.first_seen_at,
        description=escape(xml_text(" ".join(sentences))),
        categories=(xml_text(filing.get_kind_display()), case.court.code),
    )


def status_change_entry(event: Event, scope: Scope) -> Entry:
    case = event.case
    sentences = [f"{event.title.rstrip('.')}.", _("On %(date)s.") % {"date": _day(event.date)}, _case_line(case)]
    if event.source_url:
        sentences.append(_("Source: %(url)s") % {"url": event.source_url})
    elif event.source_note:
        sentences.append(_("Reported by: %(note)s.") % {"note": event.source_note})
    title = event.title if scope.case else f"{case}: {event.title}"
    return Entry(
        title=xml_text(title),
        link=case.get_absolute_url(),
        guid=f"tag:{scope.domain},{TAG_DATE}:event:{event.pk}",
        when=event.created_at,
        description=escape(xml_text(" ".join(sentences))),
        categories=(xml_text(event.get_kind_display()), case.court.code),
    )


def entries(scope: Scope, limit: int = FEED_ITEMS) -> list[Entry]:
    """The latest `limit` filings and status changes in the scope, newest first: two queries, whatever the size."""
    filings = Filing.objects.latest_first()
    changes = (
        Event.objects.filter(kind=Event.Kind.STATUS_CHANGE)
        .select_related("case", "case__court")
        .order_by("-created_at", "-id")
    )
    if scope.case is not None:
        filings, changes = filings.filter(case=scope.case), changes.filter(case=scope.case)
    elif scope.court is not None:
        filings, changes = filings.filter(case__court=scope.court), changes.filter(case__court=scope.court)
    items = [filing_entry(f, scope) for f in filings[:limit]]
    items += [status_change_entry(e, scope) for e in changes[:limit]]
    items.sort(key=lambda entry: entry.when, reverse=True)
    return items[:limit]


class _ChangesFeed(Feed):
    """The shared behaviour; subclasses say what the scope is and which format they write."""

    feed_type = Rss201rev2Feed
    author_name = SITE_NAME

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except Moved as moved:
            return HttpResponsePermanentRedirect(moved.location)

    def items(self, scope: Scope):
        return entries(scope)

    def subtitle(self, scope: Scope):
        # Atom's name for what RSS calls the description.
        return self.description(scope)

    def item_title(self, entry: Entry):
        return entry.title

    def item_link(self, entry: Entry):
        return entry.link

    def item_guid(self, entry: Entry):
        return entry.guid

    def item_guid_is_permalink(self, entry: Entry):
        return False

    def item_description(self, entry: Entry):
        return entry.description

    def item_pubdate(self, entry: Entry):
        return entry.when

    def item_updateddate(self, entry: Entry):
        return entry.when

    def item_categories(self, entry: Entry):
        return entry.categories


class ChangesRssFeed(_ChangesFeed):
    def get_object(self, request):
        return Scope(domain=site_domain(request))

    def title(self, scope: Scope):
        return _("%(site)s: all changes") % {"site": SITE_NAME}

    def link(self, scope: Scope):
        return reverse("cases:home")

    def description(self, scope: Scope):
        return _("New filings and status changes in every case the tracker follows, newest first.")


class ChangesAtomFeed(ChangesRssFeed):
    feed_type = Atom1Feed


class CourtRssFeed(_ChangesFeed):
    url_name = "cases:court_feed_rss"

    def get_object(self, request, code):
        return Scope(domain=site_domain(request), court=find_court(code, self.url_name))

    def title(self, scope: Scope):
        return _("%(court)s: new filings and status changes") % {"court": scope.court.code}

    def link(self, scope: Scope):
        return scope.court.get_absolute_url()

    def description(self, scope: Scope):
        return _("New filings and status changes in the cases before the %(court)s, newest first.") % {
            "court": xml_text(scope.court.name)
        }


class CourtAtomFeed(CourtRssFeed):
    feed_type = Atom1Feed
    url_name = "cases:court_feed_atom"


class CaseRssFeed(_ChangesFeed):
    url_name = "cases:case_feed_rss"

    def get_object(self, request, slug):
        return Scope(domain=site_domain(request), case=find_case(slug, self.url_name))

    def title(self, scope: Scope):
        return xml_text(_("%(case)s: filings and status changes") % {"case": scope.case})

    def link(self, scope: Scope):
        return scope.case.get_absolute_url()

    def description(self, scope: Scope):
        return xml_text(_case_line(scope.case))


class CaseAtomFeed(CaseRssFeed):
    feed_type = Atom1Feed
    url_name = "cases:case_feed_atom"
