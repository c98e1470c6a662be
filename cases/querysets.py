"""Reads that pages, feeds, the export and the API share: one place decides what a page loads."""

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone


class CaseQuerySet(models.QuerySet):
    def for_list(self):
        """What a row of a case list shows: court and parent, no per-row queries."""
        return self.select_related("court", "parent")

    def for_page(self):
        """Everything the case page and the export show, in a fixed number of queries."""
        from .models import CaseRelation, Event, Filing, Participation, Warrant

        return self.select_related("court", "parent", "parent__court").prefetch_related(
            Prefetch(
                "participations",
                Participation.objects.select_related("party", "party__person").order_by(
                    "role", "joined_on", "party__name"
                ),
            ),
            Prefetch("filings", Filing.objects.order_by("-date", "-id")),
            Prefetch("events", Event.objects.select_related("filing").order_by("date", "id")),
            Prefetch("warrants", Warrant.objects.select_related("person").order_by("issued_on", "person__name")),
            Prefetch("relations_from", CaseRelation.objects.select_related("to_case", "to_case__court")),
            Prefetch("relations_to", CaseRelation.objects.select_related("from_case", "from_case__court")),
            Prefetch("children", self.model.objects.select_related("court").order_by("reference")),
        )

    def with_party(self, party_slug):
        return self.filter(participations__party__slug=party_slug).distinct()


class FilingQuerySet(models.QuerySet):
    def latest_first(self):
        return self.select_related("case", "case__court").order_by("-first_seen_at", "-date", "-id")


class EventQuerySet(models.QuerySet):
    def upcoming(self, today=None):
        today = today or timezone.localdate()
        return self.filter(date__gte=today).select_related("case", "case__court").order_by("date", "id")

    def recent(self, today=None):
        today = today or timezone.localdate()
        return self.filter(date__lte=today).select_related("case", "case__court").order_by("-date", "-id")
