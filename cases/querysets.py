"""Reads that pages, feeds, the export and the API share: one place decides what a page loads."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Case as SwitchCase
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone


class CaseQuerySet(models.QuerySet):
    def for_list(self):
        """What a row of a case list shows: court and parent, no per-row queries."""
        return self.select_related("court", "parent")

    def for_page(self, *, filings=True):
        """Everything the case page and the export show, in a fixed number of queries.

        The case page pages through its documents itself (filings=False); the export and the API take them all.
        """
        from .models import CaseRelation, Event, Filing, Participation, Warrant

        queryset = self.select_related("court", "parent", "parent__court")
        if filings:
            queryset = queryset.prefetch_related(Prefetch("filings", Filing.objects.order_by("-date", "-id")))
        return queryset.prefetch_related(
            Prefetch(
                "participations",
                Participation.objects.select_related("party", "party__person").order_by(
                    "role", "joined_on", "party__name"
                ),
            ),
            # A linked document's extracted text can run to megabytes, and these lists show only its link.
            Prefetch("events", Event.objects.select_related("filing").defer("filing__text").order_by("date", "id")),
            Prefetch(
                "warrants",
                Warrant.objects.select_related("person", "filing")
                .defer("filing__text")
                .order_by("issued_on", "person__name"),
            ),
            Prefetch("relations_from", CaseRelation.objects.select_related("to_case", "to_case__court")),
            Prefetch("relations_to", CaseRelation.objects.select_related("from_case", "from_case__court")),
            Prefetch("children", self.model.objects.select_related("court").order_by("reference")),
        )

    def with_party(self, party_slug):
        """Cases the party takes part in, in any role; EXISTS keeps rows unique without DISTINCT."""
        from .models import Participation

        return self.filter(Exists(Participation.objects.filter(case=OuterRef("pk"), party__slug=party_slug)))

    def involving_person(self, person):
        """Cases a person is in: named in a warrant, or a party (suspect, accused) through Party.person.

        Each case carries `person_participations`, the roles the person has in it.
        """
        from .models import Participation, Warrant

        roles = Participation.objects.filter(party__person=person)
        return self.filter(
            Exists(Warrant.objects.filter(case=OuterRef("pk"), person=person))
            | Exists(roles.filter(case=OuterRef("pk")))
        ).prefetch_related(Prefetch("participations", roles.order_by("role"), to_attr="person_participations"))

    def instituted_in(self, year):
        return self.filter(instituted_on__year=year)

    def with_last_activity(self):
        """`last_activity`: the later of the record's own last edit and the last filing we found."""
        from .models import Filing

        last_filing = Filing.objects.filter(case=OuterRef("pk")).order_by("-first_seen_at").values("first_seen_at")[:1]
        return self.annotate(
            last_activity=Greatest("updated_at", Coalesce(Subquery(last_filing), F("updated_at"))),
        )

    def pending_first(self):
        return self.annotate(
            pending_rank=SwitchCase(When(status=self.model.Status.PENDING, then=Value(0)), default=Value(1))
        ).order_by("pending_rank", F("instituted_on").desc(nulls_last=True), "title_en")

    SORTS = {
        "newest": (F("instituted_on").desc(nulls_last=True), "title_en"),
        "oldest": (F("instituted_on").asc(nulls_last=True), "title_en"),
        "title": (Lower("title_en"), "pk"),
        "updated": (F("last_activity").desc(nulls_last=True), "title_en"),
    }

    def sorted_by(self, sort):
        """One of SORTS' keys; anything else falls back to the newest first."""
        if sort == "updated":
            return self.with_last_activity().order_by(*self.SORTS["updated"])
        return self.order_by(*self.SORTS.get(sort, self.SORTS["newest"]))

    def instituted_years(self):
        """Years in which at least one case was instituted, latest first: the year filter's choices."""
        return [d.year for d in self.filter(instituted_on__isnull=False).dates("instituted_on", "year", order="DESC")]


class FilingQuerySet(models.QuerySet):
    def for_table(self):
        """A case's documents table: latest first, without the long extracted text."""
        return self.defer("text").order_by("-date", "-id")

    def latest_first(self):
        return self.select_related("case", "case__court").order_by("-first_seen_at", "-date", "-id")


class EventQuerySet(models.QuerySet):
    def upcoming(self, today=None):
        today = today or timezone.localdate()
        # A hearing over several days that has begun is still upcoming until its last day.
        ongoing = Q(end_date__isnull=False, end_date__gte=today)
        return self.filter(Q(date__gte=today) | ongoing).select_related("case", "case__court").order_by("date", "id")

    def recent(self, today=None):
        today = today or timezone.localdate()
        return self.filter(date__lte=today).select_related("case", "case__court").order_by("-date", "-id")


class CourtQuerySet(models.QuerySet):
    def with_case_counts(self):
        """`num_cases` and `num_pending` on each court, in the one query."""
        return self.annotate(
            num_cases=Count("cases"),
            num_pending=Count("cases", filter=Q(cases__status="pending")),
        )


class PersonQuerySet(models.QuerySet):
    def for_page(self):
        """The person page: the person, the party that stands for them, and their warrants with cases."""
        from .models import Warrant

        return self.select_related("party").prefetch_related(
            Prefetch(
                "warrants",
                Warrant.objects.select_related("case", "case__court", "filing").order_by(
                    F("issued_on").desc(nulls_last=True), "pk"
                ),
            )
        )


# "What changed": the public history of a case, its filings and its warrants.

# Fields a link checker or the crawler touches on every run: a change there is not news.
_QUIET_FIELDS = {
    "first_seen_at",
    "link_status",
    "link_checked_at",
    "link_http_status",
    "link_final_url",
    "link_failures",
    "content_length",
    "sha256",
}


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any = None
    new: Any = None
    # Long text, URLs and links to other records are named, not quoted.
    show_values: bool = True


@dataclass(frozen=True)
class Change:
    when: datetime.datetime
    action: str  # simple-history's history_type: "+" created, "~" changed, "-" deleted
    model: str  # "case", "filing" or "warrant"
    label: str
    record: Any
    fields: list[FieldChange] = field(default_factory=list)


def _display_value(model_field, value):
    if value in (None, ""):
        return None
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    return value


def _field_changes(record, previous):
    changes = []
    delta = record.diff_against(previous, excluded_fields=_QUIET_FIELDS)
    for change in delta.changes:
        model_field = record._meta.get_field(change.field)
        quoted = not isinstance(model_field, (models.TextField, models.URLField, models.ForeignKey))
        changes.append(
            FieldChange(
                name=str(model_field.verbose_name),
                old=_display_value(model_field, change.old) if quoted else None,
                new=_display_value(model_field, change.new) if quoted else None,
                show_values=quoted,
            )
        )
    return changes


def _history_with_previous(history, window):
    """The latest `window` records of `history`, each with the record before it: at most two queries, whatever the
    size (the second only where some record has one before it)."""
    model = history.model
    before = model.objects.filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")),
        id=OuterRef("id"),
    ).order_by("-history_date", "-history_id")
    records = list(
        history.annotate(previous_id=Subquery(before.values("history_id")[:1])).order_by(
            "-history_date", "-history_id"
        )[:window]
    )
    # The ids rather than the query above as a subquery: compiling that again cost more than running it.
    by_id = model.objects.in_bulk([r.previous_id for r in records if r.previous_id is not None])
    return [(r, by_id.get(r.previous_id)) for r in records]


def case_changes(case, limit=20):
    """The latest public changes to a case, its filings and its warrants, newest first, in at most six queries.

    Records that changed only what the link checker keeps are left out; so are saves that changed nothing.
    """
    # The historical models' own managers: each read of Model.history builds a manager class (simple-history).
    from .models import HistoricalCase, HistoricalFiling, HistoricalWarrant

    window = limit * 2
    sources = [
        ("case", HistoricalCase.objects.filter(id=case.pk), lambda r: r.short_title_en or r.title_en),
        ("filing", HistoricalFiling.objects.filter(case_id=case.pk), lambda r: r.title),
        ("warrant", HistoricalWarrant.objects.filter(case_id=case.pk).select_related("person"), _warrant_label),
    ]
    changes = []
    for name, history, label in sources:
        for record, previous in _history_with_previous(history, window):
            fields = []
            if record.history_type == "~" and previous is not None:
                fields = _field_changes(record, previous)
                if not fields:
                    continue
            changes.append(
                Change(
                    when=record.history_date,
                    action=record.history_type,
                    model=name,
                    label=label(record),
                    record=record,
                    fields=fields,
                )
            )
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:limit]


def _warrant_label(record):
    person = record.person if record.person_id else None
    return person.name if person is not None else ""
