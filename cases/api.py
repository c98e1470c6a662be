"""The read-only JSON API under /api/: viewsets, their filters, the router, the schema and a docs page.

The case detail is the bulk export's record for that case (`CaseRecordSerializer`); the case list is
lighter (the record without its lists) so that a page of fifty cases stays small. Every list is
cursor-paginated on a unique field, so paging never repeats or skips a row even while rows are added,
and every endpoint runs in a fixed number of queries whatever the number of rows.

What `updated_since` compares, per endpoint:
- cases: the case's last activity, the later of its own last edit and the last filing found in it
  (a new filing does not touch the case row, and a client syncing cases wants to see it);
- filings and warrants: first seen, or changed in their history (staff edits, `missing_since`) since then;
- events: created since then (events are written once, by the tasks or by staff).
"""

import functools

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django_filters import rest_framework as filters
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import pagination, routers, viewsets

from . import pagecache
from .models import Case, Court, Event, Filing, Person, Warrant
from .serializers import (
    CaseRecordSerializer,
    CaseSummarySerializer,
    CourtSerializer,
    EventSerializer,
    FilingSerializer,
    PersonDetailSerializer,
    PersonSerializer,
    WarrantSerializer,
)

UPDATED_SINCE_HELP = "ISO 8601 date-time, e.g. 2025-01-31T00:00:00Z; a time without an offset is UTC."


class CursorPagination(pagination.CursorPagination):
    """Ordered by what the view names: a unique, unchanging field, so page boundaries are exact."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        return view.cursor_ordering


# Filters.


class CaseFilter(filters.FilterSet):
    court = filters.CharFilter(field_name="court__code", lookup_expr="iexact", help_text="Court code: ICJ, ICC, ...")
    status = filters.ChoiceFilter(choices=Case.Status.choices)
    kind = filters.ChoiceFilter(choices=Case.Kind.choices)
    stage = filters.ChoiceFilter(choices=Case.stage.field.choices)
    parent = filters.CharFilter(field_name="parent__slug", help_text="Slug of the situation the cases arise in.")
    party = filters.CharFilter(method="filter_party", help_text="Slug of a party taking part in any role.")
    instituted_after = filters.DateFilter(
        field_name="instituted_on", lookup_expr="gte", help_text="Instituted on or after this date (YYYY-MM-DD)."
    )
    instituted_before = filters.DateFilter(
        field_name="instituted_on", lookup_expr="lte", help_text="Instituted on or before this date (YYYY-MM-DD)."
    )
    updated_since = filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Cases whose record was edited, or in which a filing was found, at or after this time. "
        + UPDATED_SINCE_HELP,
    )

    class Meta:
        model = Case
        fields = []

    def filter_party(self, queryset, name, value):
        return queryset.with_party(value)

    def filter_updated_since(self, queryset, name, value):
        # The same test as `last_activity >= value`, without annotating the detail's queryset.
        new_filing = Filing.objects.filter(case=OuterRef("pk"), first_seen_at__gte=value)
        return queryset.filter(Q(updated_at__gte=value) | Exists(new_filing))


class InCaseFilter(filters.FilterSet):
    case = filters.CharFilter(field_name="case__slug", help_text="Slug of the case.")
    court = filters.CharFilter(field_name="case__court__code", lookup_expr="iexact", help_text="Court code.")


def _changed_in_history(model, since):
    return Exists(model.history.filter(id=OuterRef("pk"), history_date__gte=since))


class FilingFilter(InCaseFilter):
    kind = filters.ChoiceFilter(choices=Filing.Kind.choices)
    language = filters.ChoiceFilter(choices=Filing.Language.choices)
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="Dated on or after (YYYY-MM-DD).")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Dated on or before (YYYY-MM-DD).")
    updated_since = filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Filings first seen, or changed, at or after this time. " + UPDATED_SINCE_HELP,
    )

    class Meta:
        model = Filing
        fields = []

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(Q(first_seen_at__gte=value) | _changed_in_history(Filing, value))


class EventFilter(InCaseFilter):
    kind = filters.ChoiceFilter(choices=Event.Kind.choices)
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after (YYYY-MM-DD).")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before (YYYY-MM-DD).")
    updated_since = filters.IsoDateTimeFilter(
        method="filter_updated_since", help_text="Events recorded at or after this time. " + UPDATED_SINCE_HELP
    )

    class Meta:
        model = Event
        fields = []

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=value)


class WarrantFilter(InCaseFilter):
    status = filters.ChoiceFilter(choices=Warrant.Status.choices)
    person = filters.CharFilter(field_name="person__slug", help_text="Slug of the person named in the warrant.")
    issued_after = filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", help_text="Issued on or after (YYYY-MM-DD)."
    )
    issued_before = filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", help_text="Issued on or before (YYYY-MM-DD)."
    )
    updated_since = filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Warrants recorded or changed at or after this time. " + UPDATED_SINCE_HELP,
    )

    class Meta:
        model = Warrant
        fields = []

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(_changed_in_history(Warrant, value))


# Viewsets: read-only; querysets come from cases/querysets.py where they exist.


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Answers from the page cache (cases/pagecache.py) once throttling has let the request through."""

    pagination_class = CursorPagination
    cursor_ordering = ("-id",)

    def list(self, request, *args, **kwargs):
        return self._cached(pagecache.SITE, super().list, request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._cached(self.version_key(), super().retrieve, request, *args, **kwargs)

    def version_key(self):
        return pagecache.SITE

    def _cached(self, key, handler, request, *args, **kwargs):
        def render():
            # Rendered here, so that what is kept is the bytes; dispatch() finalises a plain response as is.
            response = self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)
            return response.render() if hasattr(response, "render") else response

        return pagecache.serve(request, key, render, variant=f":{request.accepted_renderer.format}")


@extend_schema_view(
    list=extend_schema(
        summary="Courts", description="Every court, with how many cases it has and how many are pending."
    ),
    retrieve=extend_schema(summary="A court", description="One court, by its code (not case-sensitive)."),
)
class CourtViewSet(ReadOnlyViewSet):
    serializer_class = CourtSerializer
    queryset = Court.objects.with_case_counts()
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    cursor_ordering = ("code",)

    def get_object(self):
        # Codes are matched as typed in a URL, as the court pages do: /api/courts/icj/ is the ICJ.
        court = get_object_or_404(self.get_queryset(), code__iexact=self.kwargs["code"])
        self.check_object_permissions(self.request, court)
        return court


@extend_schema_view(
    list=extend_schema(
        summary="Cases",
        description="Cases, newest record first: each case's own fields without its lists. "
        "The full record is at the case's `url`.",
    ),
    retrieve=extend_schema(
        summary="A case",
        description="One case in full, exactly as the bulk export writes it (README, Bulk export, schema_version 1). "
        "A slug the case once had redirects to its present one.",
    ),
)
class CaseViewSet(ReadOnlyViewSet):
    lookup_field = "slug"
    filterset_class = CaseFilter

    def get_queryset(self):
        if self.action == "retrieve":
            return Case.objects.for_page()
        return Case.objects.for_list().with_last_activity()

    def get_serializer_class(self):
        return CaseRecordSerializer if self.action == "retrieve" else CaseSummarySerializer

    def version_key(self):
        return pagecache.case_version_key(self.kwargs["slug"])

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            # Links are permanent: a slug the case once had leads to the case under its present one.
            slug = self.kwargs["slug"]
            old = Case.history.filter(slug=slug).order_by("-history_date").values_list("id", flat=True).first()
            current = Case.objects.filter(pk=old).values_list("slug", flat=True).first() if old else None
            if current is None or current == slug:
                raise
            location = reverse("api:case-detail", args=[current])
            if request.META.get("QUERY_STRING"):
                location += "?" + request.META["QUERY_STRING"]
            return redirect(location, permanent=True)


@extend_schema_view(
    list=extend_schema(summary="Filings", description="Documents filed or issued in the cases, latest found first."),
    retrieve=extend_schema(summary="A filing"),
)
class FilingViewSet(ReadOnlyViewSet):
    serializer_class = FilingSerializer
    queryset = Filing.objects.select_related("case", "case__court")
    filterset_class = FilingFilter


@extend_schema_view(
    list=extend_schema(
        summary="Events", description="Hearings, orders, arrests and other events, latest recorded first."
    ),
    retrieve=extend_schema(summary="An event"),
)
class EventViewSet(ReadOnlyViewSet):
    serializer_class = EventSerializer
    queryset = Event.objects.select_related("case", "case__court")
    filterset_class = EventFilter


@extend_schema_view(
    list=extend_schema(summary="Warrants of arrest", description="Arrest warrants, latest recorded first."),
    retrieve=extend_schema(summary="A warrant of arrest"),
)
class WarrantViewSet(ReadOnlyViewSet):
    serializer_class = WarrantSerializer
    queryset = Warrant.objects.select_related("case", "case__court", "person")
    filterset_class = WarrantFilter


@extend_schema_view(
    list=extend_schema(summary="Persons", description="Persons named in warrants or taking part in a case."),
    retrieve=extend_schema(summary="A person", description="One person, with the warrants naming them."),
)
class PersonViewSet(ReadOnlyViewSet):
    lookup_field = "slug"
    cursor_ordering = ("slug",)

    def get_queryset(self):
        return Person.objects.for_page() if self.action == "retrieve" else Person.objects.all()

    def get_serializer_class(self):
        return PersonDetailSerializer if self.action == "retrieve" else PersonSerializer


# The docs page: our own, rendered on the server from the schema, with nothing loaded from a CDN.


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _type(schema: dict) -> str:
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"] if value != "")
    return schema.get("format") or schema.get("type", "")


def docs(request):
    schema = _schema()
    endpoints = []
    for url, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = [
            {
                "name": parameter["name"],
                "where": parameter["in"],
                "type": _type(parameter.get("schema", {})),
                # A choice's description only repeats its values, which the type column lists.
                "description": "" if "enum" in parameter.get("schema", {}) else parameter.get("description", ""),
            }
            for parameter in operation.get("parameters", [])
        ]
        endpoints.append(
            {
                "path": url,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": parameters,
            }
        )
    return render(request, "api/docs.html", {"info": schema["info"], "endpoints": endpoints})


router = routers.DefaultRouter()
router.include_format_suffixes = False
router.register("courts", CourtViewSet, basename="court")
router.register("cases", CaseViewSet, basename="case")
router.register("filings", FilingViewSet, basename="filing")
router.register("events", EventViewSet, basename="event")
router.register("warrants", WarrantViewSet, basename="warrant")
router.register("persons", PersonViewSet, basename="person")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs, name="docs"),
    *router.urls,
]
