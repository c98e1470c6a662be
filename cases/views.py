"""The public pages. Thin: each asks a QuerySet for what it shows and renders it."""

import datetime

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from .citation_urls import cite_urls
from .citations import STYLES, citation_meta, citations, coins_html
from .forms import CaseFilterForm
from .models import Case, Court, Event, Filing, Participation, Person, SourceCheck
from .pagecache import cached_page, case_key
from .querysets import case_changes
from .ratelimit import client_ip, within_limit
from .search import run_search
from .timeline import FILING_CATEGORIES, layout_timeline

CASES_PER_PAGE = 25
# A case with thousands of documents lists them a page at a time; each document's citation is on its own page.
FILINGS_PER_PAGE = 25
# Past this many documents a figure is a smear of markers, and drawing it costs seconds: the latest are drawn.
TIMELINE_FILINGS = 40
HOME_ITEMS = 10
CHANGES_SHOWN = 20
# A filing first seen this recently is marked "New" on its case's page.
NEW_FOR = datetime.timedelta(days=7)
# Searches run (not from the cache) are limited per address and minute (settings.SEARCHES_PER_MINUTE).
SEARCH_WINDOW = 60


@cached_page()
def home(request):
    today = timezone.localdate()
    return render(
        request,
        "cases/home.html",
        {
            # Today's events count as upcoming, so they are not listed twice.
            "recent_events": Event.objects.recent(today=today - datetime.timedelta(days=1))[:HOME_ITEMS],
            "new_filings": Filing.objects.latest_first()[:HOME_ITEMS],
            "upcoming": Event.objects.upcoming(today=today)[:HOME_ITEMS],
            "courts": Court.objects.with_case_counts(),
        },
    )


@cached_page()
def case_list(request):
    form = CaseFilterForm(request.GET or None)
    cases = Case.objects.for_list()
    # A bad value shows its error above the whole list rather than failing the page.
    cases = form.filter(cases) if form.is_bound and form.is_valid() else cases.sorted_by("newest")
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {"form": form, "page_obj": page, "cases": page.object_list})


@cached_page(case_key)
def case_detail(request, slug):
    case = Case.objects.for_page(filings=False).filter(slug=slug).first()
    if case is None:
        return _redirect_from_old_slug(slug)
    today = timezone.localdate()
    documents = Paginator(case.filings.for_table(), FILINGS_PER_PAGE).get_page(request.GET.get("page"))
    # The figure draws the latest TIMELINE_FILINGS dated documents it has a shape for, and loads only what it draws.
    drawn = (
        case.filings.filter(date__isnull=False, kind__in=FILING_CATEGORIES)
        .only("pk", "case_id", "date", "kind", "title")
        .order_by("-date", "-id")[:TIMELINE_FILINGS]
    )
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "changes": case_changes(case, limit=CHANGES_SHOWN),
            "last_check": SourceCheck.objects.filter(case=case).order_by("-checked_at", "-id").first(),
            "new_since": timezone.now() - NEW_FOR,
            "timeline": layout_timeline(case.events.all(), filings=drawn, today=today, name=str(case)),
            "cite": _cite(case, "cite-case", today),
            "citation_meta": citation_meta(case),
            "documents": documents,
        },
    )


@cached_page(case_key)
def filing_detail(request, slug, filing_id):
    """One document: what is known of it, its official link and how to cite it."""
    filing = (
        Filing.objects.select_related("case", "case__court", "source")
        .prefetch_related(Prefetch("case__participations", Participation.objects.select_related("party")))
        .filter(pk=filing_id)
        .first()
    )
    if filing is None:
        raise Http404("No such document.")
    if filing.case.slug != slug:
        return redirect(filing, permanent=True)
    return render(
        request,
        "cases/filing_detail.html",
        {
            "filing": filing,
            "case": filing.case,
            "cite": _cite(filing, f"cite-filing-{filing.pk}", timezone.localdate()),
            "citation_meta": citation_meta(filing),
        },
    )


def _cite(obj, id_prefix, today):
    """A "Cite this" block for a case or a filing: every style, the download links and a COinS span."""
    styles = [(style, STYLES[style], citation) for style, citation in citations(obj, accessed=today).items()]
    return {"id": id_prefix, "styles": styles, "urls": cite_urls(obj), "coins": coins_html(obj)}


def _redirect_from_old_slug(slug):
    """Links are permanent: a slug a case once had leads, for good, to the case under its present slug."""
    old = Case.history.filter(slug=slug).order_by("-history_date").values_list("id", flat=True).first()
    current = Case.objects.filter(pk=old).only("slug").first() if old else None
    if current is None:
        raise Http404("No case has this address.")
    return redirect(current, permanent=True)


@cached_page()
def court_list(request):
    return render(request, "cases/court_list.html", {"courts": Court.objects.with_case_counts()})


@cached_page()
def court_detail(request, code):
    court = get_object_or_404(Court, code__iexact=code)
    if code != court.code.lower():
        return redirect(court, permanent=True)
    cases = court.cases.for_list().pending_first()
    return render(request, "cases/court_detail.html", {"court": court, "cases": cases})


@cached_page()
def person_detail(request, slug):
    person = get_object_or_404(Person.objects.for_page(), slug=slug)
    cases = Case.objects.for_list().involving_person(person).pending_first()
    return render(request, "cases/person_detail.html", {"person": person, "cases": cases})


@cached_page()
def search(request):
    """Cases, parties, persons and filings; cases/search.py does the searching.

    A search answered from the page cache costs nothing; one that has to run counts against its address's limit.
    """
    limit = settings.SEARCHES_PER_MINUTE
    if request.GET.get("q") and not within_limit(f"search:{client_ip(request)}", limit, SEARCH_WINDOW):
        response = render(request, "cases/search_limited.html", status=429)
        response["Retry-After"] = str(SEARCH_WINDOW)
        return response
    return render(request, "cases/search.html", {"search": run_search(request.GET, request.GET.get("page"))})
