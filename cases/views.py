"""The public pages. Thin: each asks a QuerySet for what it shows and renders it."""

import datetime

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from .citation_urls import cite_urls
from .citations import STYLES, citation_meta, citations, coins_html
from .forms import CaseFilterForm
from .models import Case, Court, Event, Filing, Person, SourceCheck
from .querysets import case_changes
from .search import run_search
from .timeline import layout_timeline

CASES_PER_PAGE = 25
HOME_ITEMS = 10
CHANGES_SHOWN = 20
# A filing first seen this recently is marked "New" on its case's page.
NEW_FOR = datetime.timedelta(days=7)


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


def case_list(request):
    form = CaseFilterForm(request.GET or None)
    cases = Case.objects.for_list()
    # A bad value shows its error above the whole list rather than failing the page.
    cases = form.filter(cases) if form.is_bound and form.is_valid() else cases.sorted_by("newest")
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {"form": form, "page_obj": page, "cases": page.object_list})


def case_detail(request, slug):
    case = Case.objects.for_page().filter(slug=slug).first()
    if case is None:
        return _redirect_from_old_slug(slug)
    today = timezone.localdate()
    filings = case.filings.all()
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "changes": case_changes(case, limit=CHANGES_SHOWN),
            "last_check": SourceCheck.objects.filter(case=case).order_by("-checked_at", "-id").first(),
            "new_since": timezone.now() - NEW_FOR,
            "timeline": layout_timeline(case.events.all(), filings=filings, today=today, name=str(case)),
            "cite": _cite(case, "cite-case", today),
            "citation_meta": citation_meta(case),
            "filing_rows": [(filing, _cite(filing, f"cite-filing-{filing.pk}", today)) for filing in filings],
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


def court_list(request):
    return render(request, "cases/court_list.html", {"courts": Court.objects.with_case_counts()})


def court_detail(request, code):
    court = get_object_or_404(Court, code__iexact=code)
    if code != court.code.lower():
        return redirect(court, permanent=True)
    cases = court.cases.for_list().pending_first()
    return render(request, "cases/court_detail.html", {"court": court, "cases": cases})


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.for_page(), slug=slug)
    cases = Case.objects.for_list().involving_person(person).pending_first()
    return render(request, "cases/person_detail.html", {"person": person, "cases": cases})


def search(request):
    """Cases, parties, persons and filings; cases/search.py does the searching."""
    return render(request, "cases/search.html", {"search": run_search(request.GET, request.GET.get("page"))})
