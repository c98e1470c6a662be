"""One shape for the bulk export and the API: the case record and the records listed in it.

`CaseRecordSerializer` is the export's case, key for key and in the same order (README "Bulk export",
schema_version 1): `/api/cases/<slug>/` returns exactly what `manage.py export_cases` writes for that
case. The nested lists are sorted here rather than in the database, so that the order is the
documented one whatever the prefetch orders by. The top-level API records (a filing, an event, a
warrant on its own) are the nested record plus what identifies it outside its case.

Codes are the stored values, dates ISO 8601 or null, text never null: as the export documents.
"""

import datetime

from django.db import models
from rest_framework import serializers

from .models import Case, Court, Event, Filing, Participation, Party, Person, Warrant


def _by_date(value: datetime.date | None) -> tuple[bool, datetime.date]:
    """Undated entries first, then oldest to newest."""
    return (value is not None, value or datetime.date.min)


class SortedListSerializer(serializers.ListSerializer):
    """A nested list in the export's order, sorted in Python so a prefetched list costs no query."""

    def __init__(self, *args, sort_key, **kwargs):
        self.sort_key = sort_key
        super().__init__(*args, **kwargs)

    def to_representation(self, data):
        items = data.all() if isinstance(data, models.manager.BaseManager) else data
        return [self.child.to_representation(item) for item in sorted(items, key=self.sort_key)]


# The records listed inside a case.


class ParticipationRecordSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="party.name", read_only=True)
    kind = serializers.ChoiceField(choices=Party.Kind.choices, source="party.kind", read_only=True)

    class Meta:
        model = Participation
        fields = ["name", "kind", "role", "joined_on", "withdrawn_on", "source_url", "source_note"]
        read_only_fields = fields

    @staticmethod
    def sort_key(participation: Participation) -> tuple:
        return (_by_date(participation.joined_on), participation.party.name, participation.role, participation.pk)


class FilingRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = Filing
        fields = ["date", "title", "kind", "language", "reference", "url", "source_url", "source_note"]
        read_only_fields = fields

    @staticmethod
    def sort_key(filing: Filing) -> tuple:
        return (_by_date(filing.date), filing.title, filing.language, filing.url, filing.pk)


class EventRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["date", "precision", "end_date", "kind", "title", "source_url", "source_note"]
        read_only_fields = fields

    @staticmethod
    def sort_key(event: Event) -> tuple:
        return (_by_date(event.date), event.title, event.pk)


class WarrantRecordSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.name", read_only=True)
    person_slug = serializers.CharField(source="person.slug", read_only=True)

    class Meta:
        model = Warrant
        fields = [
            "person",
            "person_slug",
            "issued_on",
            "made_public_on",
            "under_seal",
            "issued_by",
            "charges",
            "status",
            "status_on",
            "source_url",
            "source_note",
        ]
        read_only_fields = fields

    @staticmethod
    def sort_key(warrant: Warrant) -> tuple:
        return (_by_date(warrant.issued_on), warrant.person.name, warrant.pk)


def _sorted(record_serializer, **kwargs):
    return SortedListSerializer(
        child=record_serializer(), sort_key=record_serializer.sort_key, read_only=True, **kwargs
    )


# Cases.

_CASE_FIELDS = [
    "court",
    "reference",
    "slug",
    "page",
    "kind",
    "parent",
    "title",
    "title_fr",
    "short_title",
    "short_title_fr",
    "status",
    "stage",
    "status_changed_on",
    "instituted_on",
    "concluded_on",
    "summary",
    "official_url",
    "source_url",
    "source_note",
]


class CaseSummarySerializer(serializers.ModelSerializer):
    """A case in a list: the record's own fields without its lists, and the `url` of the full record."""

    court = serializers.SlugRelatedField(slug_field="code", read_only=True)
    page = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The case's page on this site.")
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Slug of the situation an ICC case arises in."
    )
    # The record's titles are the English ones whatever the request's language, as in the export.
    title = serializers.CharField(source="title_en", read_only=True)
    short_title = serializers.CharField(source="short_title_en", read_only=True)
    last_activity = serializers.DateTimeField(
        read_only=True,
        help_text="The later of the record's last edit and the last filing found; what updated_since compares.",
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:case-detail", lookup_field="slug")

    class Meta:
        model = Case
        fields = [*_CASE_FIELDS, "last_activity", "url"]
        read_only_fields = fields


class CaseRecordSerializer(CaseSummarySerializer):
    """A case in full: the bulk export's record for it (schema_version 1), key for key."""

    # Expects a case from `Case.objects.for_page()`: every list below is prefetched there.

    parties = _sorted(ParticipationRecordSerializer, source="participations")
    filings = _sorted(FilingRecordSerializer)
    events = _sorted(EventRecordSerializer)
    warrants = _sorted(WarrantRecordSerializer)
    related = serializers.SerializerMethodField(help_text="Slugs of related cases, in either direction, sorted.")

    class Meta:
        model = Case
        fields = [*_CASE_FIELDS, "parties", "filings", "events", "warrants", "related"]
        read_only_fields = fields

    def get_related(self, case: Case) -> list[str]:
        related = {relation.to_case.slug for relation in case.relations_from.all()}
        related |= {relation.from_case.slug for relation in case.relations_to.all()}
        return sorted(related)


# Courts and persons.


class CourtSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="name_en", read_only=True)
    page = serializers.CharField(source="get_absolute_url", read_only=True)
    num_cases = serializers.IntegerField(read_only=True)
    num_pending = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:court-detail", lookup_field="code")

    class Meta:
        model = Court
        fields = ["code", "name", "name_fr", "website", "page", "num_cases", "num_pending", "url"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    page = serializers.CharField(source="get_absolute_url", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:person-detail", lookup_field="slug")

    class Meta:
        model = Person
        fields = ["slug", "name", "description", "page", "source_url", "source_note", "url"]
        read_only_fields = fields


# Filings, events and warrants on their own: the record in the case, plus its id and its case.


class _InCase(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    court = serializers.CharField(source="case.court.code", read_only=True)


class FilingSerializer(_InCase, FilingRecordSerializer):
    class Meta:
        model = Filing
        fields = [
            "id",
            "case",
            "court",
            *FilingRecordSerializer.Meta.fields,
            "missing_since",
            "first_seen_at",
        ]
        read_only_fields = fields


class EventSerializer(_InCase, EventRecordSerializer):
    class Meta:
        model = Event
        fields = ["id", "case", "court", *EventRecordSerializer.Meta.fields, "filing", "created_at"]
        read_only_fields = fields


class WarrantSerializer(_InCase, WarrantRecordSerializer):
    class Meta:
        model = Warrant
        fields = ["id", "case", "court", *WarrantRecordSerializer.Meta.fields, "filing"]
        read_only_fields = fields


class PersonDetailSerializer(PersonSerializer):
    warrants = WarrantSerializer(many=True, read_only=True)

    class Meta:
        model = Person
        fields = [*PersonSerializer.Meta.fields, "warrants"]
        read_only_fields = fields
