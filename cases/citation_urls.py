"""Citation downloads: /cases/<slug>/cite.<bib|ris|json> and /cases/<slug>/filings/<id>/cite.<bib|ris|json>.

Included from cases/urls.py, so the names are "cases:case_cite" and "cases:filing_cite".
"""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import re_path, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from .citations import download_filename, to_bibtex, to_csl_json, to_ris
from .models import Case, Filing

# Extension -> (writer, content type).
FORMATS = {
    "bib": (to_bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (to_ris, "application/x-research-info-systems; charset=utf-8"),
    "json": (to_csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}


def _download(obj, fmt):
    write, content_type = FORMATS[fmt]
    response = HttpResponse(write(obj), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, download_filename(obj, fmt))
    # A download, not a page: search engines should index the case page instead.
    response["X-Robots-Tag"] = "noindex"
    return response


def _case_once_called(slug, case_id=None):
    """Links are permanent: the id of the case that once had this slug (optionally: if it is this case)."""
    history = Case.history.filter(slug=slug)
    if case_id is not None:
        history = history.filter(id=case_id)
    return history.order_by("-history_date").values_list("id", flat=True).first()


@require_safe
def case_cite(request, slug, fmt):
    case = Case.objects.select_related("court").filter(slug=slug).first()
    if case is None:
        current = Case.objects.filter(pk=_case_once_called(slug)).only("slug").first()
        if current is None:
            raise Http404("No case has this address.")
        kwargs = {"slug": current.slug, "fmt": fmt}
        return redirect(reverse(request.resolver_match.view_name, kwargs=kwargs), permanent=True)
    return _download(case, fmt)


@require_safe
def filing_cite(request, slug, filing_id, fmt):
    filing = Filing.objects.select_related("case", "case__court").filter(pk=filing_id).first()
    if filing is None:
        raise Http404("No such filing.")
    if filing.case.slug != slug:
        # Another case's slug is a 404; this case's old slug leads to its present one.
        if _case_once_called(slug, filing.case_id) is None:
            raise Http404("This filing belongs to another case.")
        kwargs = {"slug": filing.case.slug, "filing_id": filing.pk, "fmt": fmt}
        return redirect(reverse(request.resolver_match.view_name, kwargs=kwargs), permanent=True)
    return _download(filing, fmt)


def cite_urls(obj):
    """{"bib": url, "ris": url, "json": url} for a case or a filing, for a page's download links."""
    if isinstance(obj, Filing):
        return {fmt: reverse("cases:filing_cite", args=[obj.case.slug, obj.pk, fmt]) for fmt in FORMATS}
    return {fmt: reverse("cases:case_cite", args=[obj.slug, fmt]) for fmt in FORMATS}


_SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"
_FORMAT = r"cite\.(?P<fmt>bib|ris|json)"

urlpatterns = [
    re_path(rf"^cases/{_SLUG}/{_FORMAT}$", case_cite, name="case_cite"),
    re_path(rf"^cases/{_SLUG}/filings/(?P<filing_id>[0-9]+)/{_FORMAT}$", filing_cite, name="filing_cite"),
]
