"""The admin: where staff keep the records all day.

Change lists load what their columns show in a fixed number of queries. The case page adds a
case with its parties, filings and events in one go; a case's existing filings and events are
listed there, not edited inline, so that the page and its POST stay small however many
documents a case gathers (an inline of 150 filings would exceed DATA_UPLOAD_MAX_NUMBER_FIELDS
and the save would fail). Each filing and event has its own page, with history where it has one.
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Case,
    CaseRelation,
    Court,
    Event,
    Filing,
    Participation,
    Party,
    Person,
    SeedRecord,
    Warrant,
)

admin.site.site_header = _("Proceedings tracker")
admin.site.site_title = _("Proceedings tracker")
admin.site.index_title = _("Records")

# How many of a case's filings and events its admin page lists; the rest are one click away.
RECORDED_LIMIT = 50

CASE_SEARCH_FIELDS = ("title_en", "title_fr", "short_title_en", "short_title_fr", "reference", "slug")


class HttpsByDefault:
    """A URL typed without a scheme is taken as https, as the courts' sites are."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class CompactUrls(HttpsByDefault):
    """In a row of an inline, a URL is a plain input: no "Currently:" link above it."""

    formfield_overrides = {
        models.URLField: {"assume_scheme": "https", "widget": forms.URLInput(attrs={"class": "vTextField"})}
    }


def external_link(url, length=60):
    """An official URL as a link that opens the court's page; anything but http(s) stays text."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    label = Truncator(f"{parts.netloc}{parts.path}").chars(length)
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, label)


def related_count(model, fk_name):
    """The number of `model` rows pointing at each row, as a subquery (no GROUP BY over the list's joins)."""
    counted = (
        model.objects.filter(**{fk_name: OuterRef("pk")}).order_by().values(fk_name).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def case_related_search(prefix):
    return tuple(f"{prefix}__{name}" for name in ("title_en", "short_title_en", "short_title_fr", "reference"))


class ViewOnSiteWhenRouted:
    """ "View on site" links straight to the public page, and is hidden while that page has no URL."""

    def view_on_site(self, obj):
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None


class WithWarrantFilter(admin.SimpleListFilter):
    title = _("warrant of arrest")
    parameter_name = "with_warrant"

    def lookups(self, request, model_admin):
        return [("yes", _("With a warrant")), ("no", _("Without a warrant"))]

    def queryset(self, request, queryset):
        has_warrant = Exists(Warrant.objects.filter(person=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(has_warrant)
        if self.value() == "no":
            return queryset.filter(~has_warrant)
        return queryset


class AtTheSourceFilter(admin.SimpleListFilter):
    title = _("at the source")
    parameter_name = "at_source"

    def lookups(self, request, model_admin):
        return [("listed", _("Still listed")), ("missing", _("Missing from the source"))]

    def queryset(self, request, queryset):
        if self.value() == "listed":
            return queryset.filter(missing_since__isnull=True)
        if self.value() == "missing":
            return queryset.filter(missing_since__isnull=False)
        return queryset


# Inlines on the case page ------------------------------------------------------------------------


class RowAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that shows a row's chosen object from the row itself.

    Django's widget looks the chosen object up again for every row it renders; a case with thirty
    interveners would cost thirty queries.
    """

    chosen = None

    def optgroups(self, name, value, attr=None):
        chosen = self.chosen
        if chosen is None or [str(v) for v in value if v not in ("", None)] != [str(chosen.pk)]:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(chosen)
        options.append(self.create_option(name, chosen.pk, label, True, len(options)))
        return [(None, options, 0)]


class RowForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if isinstance(widget, RowAutocompleteSelect) and self.instance._meta.get_field(name).is_cached(
                self.instance
            ):
                widget.chosen = getattr(self.instance, name)


class RowAutocompleteInline:
    """Rows whose autocompleted objects come with the rows (get_queryset selects them)."""

    form = RowForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RowAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CaseFilingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        parts = [str(obj.date) if obj.date else "", obj.title, f"({obj.reference})" if obj.reference else ""]
        return Truncator(" ".join(p for p in parts if p)).chars(80)


class CaseScopedInline:
    """An inline whose `filing` choices are the documents of the case being edited, labelled with date and reference.

    The inline instance is made for one request (ModelAdmin.get_inline_instances), so keeping the
    case on it is safe.
    """

    case = None

    def get_formset(self, request, obj=None, **kwargs):
        self.case = obj
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # A new case has no filings to link to yet.
        return [f for f in fields if f != "filing"] if obj is None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "filing":
            filings = Filing.objects.none()
            if self.case is not None and self.case.pk:
                # ICC warrants are often filed in the situation's record; a row linked elsewhere keeps its link.
                filings = Filing.objects.filter(
                    Q(case=self.case)
                    | Q(case=self.case.parent_id)
                    | Q(pk__in=self.model.objects.filter(case=self.case).values("filing"))
                ).order_by(F("date").desc(nulls_last=True), "-id")
            return CaseFilingChoiceField(queryset=filings, required=False, label=db_field.verbose_name)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class Recorded:
    """What a case already holds of one kind of record, listed above the rows that add more of it."""

    def __init__(self, inline, case):
        self.inline = inline
        self.case = case

    @cached_property
    def total(self):
        if self.case is None or not self.case.pk:
            return 0
        return self.inline.model.objects.filter(case=self.case).count()

    @cached_property
    def rows(self):
        if not self.total:
            return []
        opts = self.inline.model._meta
        return [
            {
                "record": record,
                "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]),
                "cells": self.inline.recorded_cells(record),
            }
            for record in self.inline.recorded_queryset(self.case)[:RECORDED_LIMIT]
        ]

    @property
    def headers(self):
        return self.inline.recorded_headers

    @property
    def more(self):
        return self.total > len(self.rows)

    @property
    def changelist_url(self):
        opts = self.inline.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + f"?case__id__exact={self.case.pk}"

    @property
    def title(self):
        return self.inline.model._meta.verbose_name_plural


class AddOnlyInline(CompactUrls, CaseScopedInline, admin.TabularInline):
    """Rows that add records to a case; what the case already holds is listed above them, each linked to its page."""

    template = "admin/cases/recorded_tabular.html"
    extra = 1
    can_delete = False
    recorded_headers = ()

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.recorded = Recorded(self, obj)
        return formset

    def recorded_queryset(self, case):
        raise NotImplementedError

    def recorded_cells(self, record):
        raise NotImplementedError


class NewFilingsFormSet(BaseInlineFormSet):
    """One filing per URL and case, as the database requires.

    Django's inline forms skip that conditional constraint (it involves the case, which the inline
    sets itself), so without this check a repeated URL would end in an IntegrityError.
    """

    def clean(self):
        super().clean()
        rows = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", {}).get("url") and not (self.can_delete and self._should_delete_form(form))
        ]
        recorded = set()
        if self.instance.pk and rows:
            urls = [form.cleaned_data["url"] for form in rows]
            recorded = set(Filing.objects.filter(case=self.instance, url__in=urls).values_list("url", flat=True))
        seen = set()
        for form in rows:
            url = form.cleaned_data["url"]
            if url in recorded:
                form.add_error("url", _("This case already has a filing at this URL."))
            elif url in seen:
                form.add_error("url", _("Another new filing has this URL."))
            seen.add(url)


class ParticipationInline(CompactUrls, RowAutocompleteInline, admin.TabularInline):
    model = Participation
    autocomplete_fields = ("party",)
    fields = ("party", "role", "joined_on", "withdrawn_on", "source_url", "source_note")
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("party")


class FilingInline(AddOnlyInline):
    model = Filing
    formset = NewFilingsFormSet
    fields = ("title", "kind", "date", "language", "reference", "url", "source_url")
    verbose_name_plural = _("add filings")
    recorded_headers = (_("date"), _("kind"), _("language"), _("official reference"), _("link"), _("missing since"))

    def recorded_queryset(self, case):
        return Filing.objects.filter(case=case).order_by(F("date").desc(nulls_last=True), "-id")

    def recorded_cells(self, filing):
        return (
            filing.date,
            filing.get_kind_display(),
            filing.get_language_display(),
            filing.reference,
            external_link(filing.official_link, 40),
            filing.missing_since,
        )


class EventInline(AddOnlyInline):
    model = Event
    fields = ("date", "end_date", "precision", "kind", "title", "filing", "source_url")
    verbose_name_plural = _("add events")
    recorded_headers = (_("date"), _("until"), _("kind"), _("filing"))

    def recorded_queryset(self, case):
        return Event.objects.filter(case=case).select_related("filing").order_by("-date", "-id")

    def recorded_cells(self, event):
        return (event.date, event.end_date, event.get_kind_display(), event.filing)


class WarrantInline(CompactUrls, RowAutocompleteInline, CaseScopedInline, admin.TabularInline):
    model = Warrant
    autocomplete_fields = ("person",)
    fields = ("person", "issued_on", "under_seal", "status", "status_on", "filing")
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")


class CaseRelationInline(CompactUrls, RowAutocompleteInline, admin.TabularInline):
    model = CaseRelation
    fk_name = "from_case"
    autocomplete_fields = ("to_case",)
    fields = ("to_case", "kind", "note")
    extra = 1
    verbose_name = _("related case")
    verbose_name_plural = _("related cases")

    def get_queryset(self, request):
        # Each row is labelled with both cases (CaseRelation.__str__).
        return super().get_queryset(request).select_related("from_case", "to_case")


# Model admins ------------------------------------------------------------------------------------


@admin.register(Court)
class CourtAdmin(HttpsByDefault, ViewOnSiteWhenRouted, admin.ModelAdmin):
    list_display = ("code", "name_en", "name_fr", "website_link", "case_count")
    search_fields = ("code", "name_en", "name_fr", "website")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=related_count(Case, "court"))

    @admin.display(description=_("website"), ordering="website")
    def website_link(self, court):
        return external_link(court.website)

    @admin.display(description=_("cases"), ordering="case_count")
    def case_count(self, court):
        return court.case_count


@admin.register(Case)
class CaseAdmin(HttpsByDefault, ViewOnSiteWhenRouted, SimpleHistoryAdmin):
    list_display = (
        "case_title",
        "court",
        "kind",
        "reference",
        "status",
        "stage",
        "instituted_on",
        "filing_count",
        "official_link",
    )
    list_display_links = ("case_title",)
    list_filter = ("court", "kind", "status", "stage", "instituted_on")
    list_select_related = ("court", "parent")
    search_fields = (*CASE_SEARCH_FIELDS, "official_url", "source_url", "participations__party__name")
    date_hierarchy = "instituted_on"
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("short_title_en",)}
    readonly_fields = ("created_at", "updated_at", "referring_cases")
    history_list_display = ("status", "stage")
    fieldsets = (
        (_("Identity"), {"fields": ("court", "kind", "parent", "reference", "slug")}),
        (_("Titles in English"), {"fields": ("title_en", "short_title_en")}),
        (_("Titles in French"), {"fields": ("title_fr", "short_title_fr")}),
        (_("Status"), {"fields": ("status", "stage", "status_changed_on")}),
        (_("Dates"), {"fields": ("instituted_on", "concluded_on")}),
        (_("Summary and sources"), {"fields": ("summary", "official_url", "source_url", "source_note")}),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = (
        ParticipationInline,
        FilingInline,
        EventInline,
        WarrantInline,
        CaseRelationInline,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(filing_count=related_count(Filing, "case"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.relations_to.exists():
            # Listed, not edited: each relation belongs to the case that declares it.
            fieldsets = [*fieldsets, (_("Cases referring to this one"), {"fields": ("referring_cases",)})]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "slug" in form.base_fields:
            form.base_fields["slug"].help_text = _(
                "Part of the case's public address, which journalists cite: do not change it once published."
            )
        return form

    def get_inline_instances(self, request, obj=None):
        instances = super().get_inline_instances(request, obj)
        # Warrants concern ICC situations and cases; elsewhere the inline stays folded away.
        if obj is None or obj.kind not in (Case.Kind.SITUATION, Case.Kind.CASE):
            for inline in instances:
                if isinstance(inline, WarrantInline):
                    inline.classes = ("collapse",)
        return instances

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # A case's situation is picked from situations only.
        if request.GET.get("model_name") == "case" and request.GET.get("field_name") == "parent":
            queryset = queryset.filter(kind=Case.Kind.SITUATION)
        return queryset, may_have_duplicates

    @admin.display(description=_("title"), ordering="title_en")
    def case_title(self, case):
        return case.short_title_en or case.title_en

    @admin.display(description=_("referring cases"))
    def referring_cases(self, case):
        relations = case.relations_to.select_related("from_case").order_by("from_case__title_en")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>: {}',
            (
                (reverse("admin:cases_case_change", args=[r.from_case_id]), r.from_case, r.get_kind_display())
                for r in relations
            ),
        )

    @admin.display(description=_("filings"), ordering="filing_count")
    def filing_count(self, case):
        return case.filing_count

    @admin.display(description=_("official URL"), ordering="official_url")
    def official_link(self, case):
        return external_link(case.official_url)


@admin.register(CaseRelation)
class CaseRelationAdmin(HttpsByDefault, admin.ModelAdmin):
    list_display = ("from_case", "kind", "to_case", "note")
    list_filter = ("kind", ("from_case__court", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("from_case", "to_case")
    search_fields = (*case_related_search("from_case"), *case_related_search("to_case"), "note")
    autocomplete_fields = ("from_case", "to_case")


@admin.register(Person)
class PersonAdmin(HttpsByDefault, ViewOnSiteWhenRouted, admin.ModelAdmin):
    list_display = ("name", "description", "slug", "warrant_count", "source_link")
    list_filter = (WithWarrantFilter,)
    search_fields = ("name", "slug", "description", "source_url", "source_note")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(warrant_count=related_count(Warrant, "person"))

    @admin.display(description=_("warrants"), ordering="warrant_count")
    def warrant_count(self, person):
        return person.warrant_count

    @admin.display(description=_("source URL"), ordering="source_url")
    def source_link(self, person):
        return external_link(person.source_url)


@admin.register(Party)
class PartyAdmin(HttpsByDefault, admin.ModelAdmin):
    list_display = ("name", "kind", "abbreviation", "person", "participation_count")
    list_filter = ("kind",)
    list_select_related = ("person",)
    search_fields = ("name", "abbreviation", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participation_count=related_count(Participation, "party"))

    @admin.display(description=_("cases"), ordering="participation_count")
    def participation_count(self, party):
        return party.participation_count


@admin.register(Participation)
class ParticipationAdmin(HttpsByDefault, admin.ModelAdmin):
    list_display = ("party", "role", "case", "joined_on", "withdrawn_on", "source_link")
    list_filter = (
        "role",
        "party__kind",
        ("case__court", admin.RelatedOnlyFieldListFilter),
        ("withdrawn_on", admin.EmptyFieldListFilter),
    )
    list_select_related = ("party", "case")
    search_fields = ("party__name", "party__abbreviation", *case_related_search("case"), "note", "source_url")
    autocomplete_fields = ("case", "party")

    @admin.display(description=_("source URL"), ordering="source_url")
    def source_link(self, participation):
        return external_link(participation.source_url)


@admin.register(Filing)
class FilingAdmin(HttpsByDefault, SimpleHistoryAdmin):
    list_display = (
        "title",
        "case",
        "kind",
        "date",
        "language",
        "reference",
        "link_status",
        "missing",
        "official_link",
    )
    list_filter = (
        ("case__court", admin.RelatedOnlyFieldListFilter),
        "kind",
        "language",
        "link_status",
        AtTheSourceFilter,
        "first_seen_at",
    )
    list_select_related = ("case",)
    search_fields = ("title", "reference", "url", "source_url", "link_final_url", *case_related_search("case"))
    date_hierarchy = "date"
    autocomplete_fields = ("case",)
    readonly_fields = (
        "first_seen_at",
        "missing_since",
        "link_status",
        "link_checked_at",
        "link_http_status",
        "link_final_url",
        "link_failures",
        "content_length",
        "sha256",
    )
    history_list_display = ("link_status",)
    fieldsets = (
        (_("Document"), {"fields": ("case", "title", "kind", "date", "language", "reference")}),
        (_("Where it is"), {"fields": ("url", "source_url", "source_note")}),
        (_("Seen at the source"), {"fields": ("first_seen_at", "missing_since")}),
        (
            _("Link check"),
            {
                "fields": (
                    "link_status",
                    "link_checked_at",
                    "link_http_status",
                    "link_final_url",
                    "link_failures",
                    "content_length",
                    "sha256",
                )
            },
        ),
    )

    @admin.display(description=_("missing since"), ordering="missing_since")
    def missing(self, filing):
        return filing.missing_since

    @admin.display(description=_("official URL"), ordering="url")
    def official_link(self, filing):
        return external_link(filing.official_link)


@admin.register(Warrant)
class WarrantAdmin(HttpsByDefault, SimpleHistoryAdmin):
    list_display = ("person", "case", "issued_on", "made_public_on", "status", "status_on", "under_seal", "issued_by")
    list_filter = (("case__court", admin.RelatedOnlyFieldListFilter), "status", "under_seal")
    list_select_related = ("person", "case")
    search_fields = ("person__name", *case_related_search("case"), "issued_by", "charges", "source_url")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("case", "person", "filing")
    history_list_display = ("status",)
    fieldsets = (
        (None, {"fields": ("case", "person", "issued_by", "charges", "filing")}),
        (_("Dates and status"), {"fields": ("issued_on", "made_public_on", "under_seal", "status", "status_on")}),
        (_("Sources"), {"fields": ("source_url", "source_note")}),
    )


@admin.register(Event)
class EventAdmin(HttpsByDefault, admin.ModelAdmin):
    list_display = ("title", "case", "date", "end_date", "precision", "kind", "filing")
    list_filter = (("case__court", admin.RelatedOnlyFieldListFilter), "kind", "precision")
    list_select_related = ("case", "filing")
    search_fields = ("title", *case_related_search("case"), "filing__title", "filing__reference", "source_url")
    date_hierarchy = "date"
    autocomplete_fields = ("case", "filing")
    readonly_fields = ("created_at",)


@admin.register(SeedRecord)
class SeedRecordAdmin(admin.ModelAdmin):
    """What the seed loader last wrote: read-only, since the loader alone keeps it."""

    list_display = ("model", "key", "object_id", "record_link")
    list_filter = ("model",)
    search_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("record"))
    def record_link(self, seed_record):
        app_label, _dot, model_name = seed_record.model.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model_name.lower()}_change", args=[seed_record.object_id])
        except NoReverseMatch:
            return None
        return format_html('<a href="{}">{}</a>', url, seed_record.key)
