"""The admin: where staff keep the records all day.

Change lists load what their columns show in a fixed number of queries. The case page adds a
case with its parties, filings and events in one go; a case's existing filings and events are
listed there, not edited inline, so that the page and its POST stay small however many
documents a case gathers (an inline of 150 filings would exceed DATA_UPLOAD_MAX_NUMBER_FIELDS
and the save would fail). Each filing and event has its own page, with history where it has one.
"""

import logging
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import alerts, services
from .models import (
    Case,
    CaseRelation,
    Court,
    DiscoveredCase,
    Event,
    Filing,
    Participation,
    Party,
    Person,
    SeedRecord,
    Source,
    SourceCheck,
    Subscription,
    Warrant,
)
from .sources.base import REGISTRY, adapter_choices

logger = logging.getLogger(__name__)

admin.site.site_header = _("Proceedings tracker")
admin.site.site_title = _("Proceedings tracker")
admin.site.index_title = _("Records")

# How many of a case's filings and events its admin page lists; the rest are one click away.
RECORDED_LIMIT = 50
# How many of a case's latest source checks its admin page shows.
RECENT_CHECKS = 10

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


# Reading the courts' sites -------------------------------------------------------------------------


# Outcomes staff should look at; the others are routine.
def queue_unavailable_message(error, what):
    return _("The task queue is unavailable: %(what)s not queued. (%(error)s)") % {"what": what, "error": error}


def disagrees_with_source():
    """Cases where the last reading of the source gave another status or stage than the case shows."""
    return (~Q(source_status="") & ~Q(source_status=F("status"))) | (~Q(source_stage="") & ~Q(source_stage=F("stage")))


def case_disagrees(case):
    return bool(
        (case.source_status and case.source_status != case.status)
        or (case.source_stage and case.source_stage != case.stage)
    )


def outcome_label(outcome, label=None):
    """An outcome as a word, in the admin's error colour when staff should look at it."""
    label = label or dict(SourceCheck.Outcome.choices).get(outcome, outcome)
    if outcome in SourceCheck.TROUBLE:
        return format_html('<strong class="outcome-trouble">{}</strong>', label)
    return format_html("{}", label)


def local_datetime(value):
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


class ViewOnSiteWhenRouted:
    """ "View on site" links straight to the public page, and is hidden while that page has no URL."""

    def view_on_site(self, obj):
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:
            return None


def two_way_filter(title, parameter, choices, condition):
    """A list filter offering the rows where `condition()` holds and the rows where it does not."""
    (yes, yes_label), (no, no_label) = choices

    class TwoWayFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            return [(yes, yes_label), (no, no_label)]

        def queryset(self, request, queryset):
            if self.value() == yes:
                return queryset.filter(condition())
            if self.value() == no:
                return queryset.filter(~condition())
            return queryset

    TwoWayFilter.title = title
    return TwoWayFilter


WithWarrantFilter = two_way_filter(
    _("warrant of arrest"),
    "with_warrant",
    [("yes", _("With a warrant")), ("no", _("Without a warrant"))],
    lambda: Exists(Warrant.objects.filter(person=OuterRef("pk"))),
)
AtTheSourceFilter = two_way_filter(
    _("at the source"),
    "at_source",
    [("listed", _("Still listed")), ("missing", _("Missing from the source"))],
    lambda: Q(missing_since__isnull=True),
)
DisagreesWithSourceFilter = two_way_filter(
    _("disagrees with the source"),
    "disagrees",
    [("yes", _("Disagrees with the source")), ("no", _("Agrees, or not read yet"))],
    disagrees_with_source,
)


class SourceKindFilter(admin.SimpleListFilter):
    title = _("kind of source")
    parameter_name = "listing"

    def lookups(self, request, model_admin):
        return [("no", _("A case's page")), ("yes", _("A listing or feed"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(case__isnull=self.value() == "yes")
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


def _adapter_choices():
    return [("", "---------"), *adapter_choices()]


class SourceForm(forms.ModelForm):
    """A source is read by a registered adapter, and only on a court's host the fetcher may visit."""

    adapter = forms.ChoiceField(
        label=_("adapter"),
        choices=_adapter_choices,
        error_messages={"invalid_choice": _("No adapter is registered as “%(value)s”.")},
    )
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https", widget=forms.URLInput(attrs={"class": "vTextField"})
    )
    # Set per request on the form class the admin builds: the adapter a new row starts with.
    default_adapter = ""

    class Meta:
        model = Source
        fields = ("case", "adapter", "url", "enabled")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and self.default_adapter and "adapter" in self.fields:
            self.fields["adapter"].initial = self.default_adapter

    def clean_url(self):
        url = self.cleaned_data["url"]
        host = (urlsplit(url).hostname or "").lower()
        if host not in settings.COURT_HOSTS:
            raise forms.ValidationError(
                _("%(host)s is not a court's site we read. Known hosts: %(hosts)s."),
                params={"host": host or url, "hosts": ", ".join(settings.COURT_HOSTS)},
                code="host",
            )
        return url

    def clean(self):
        cleaned = super().clean()
        adapter = REGISTRY.get(cleaned.get("adapter") or "")
        url = cleaned.get("url")
        if adapter and adapter.hosts and url and (urlsplit(url).hostname or "").lower() not in adapter.hosts:
            self.add_error(
                "url",
                forms.ValidationError(
                    _("The %(adapter)s adapter reads pages on %(hosts)s."),
                    params={"adapter": adapter.name, "hosts": ", ".join(adapter.hosts)},
                    code="adapter_host",
                ),
            )
        return cleaned


class SourceInline(CompactUrls, admin.TabularInline):
    model = Source
    form = SourceForm
    fields = ("adapter", "url", "enabled", "last_checked_at", "outcome")
    readonly_fields = ("last_checked_at", "outcome")
    extra = 1
    show_change_link = True
    verbose_name_plural = _("sources read for this case")

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("id")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The form class is made afresh for each call, so the default does not leak into other requests.
        official_url = obj.official_url if obj is not None else request.GET.get("official_url", "")
        formset.form.default_adapter = services.default_adapter_for(official_url)
        return formset

    @admin.display(description=_("last outcome"))
    def outcome(self, source):
        return outcome_label(source.last_outcome) if source.last_outcome else None


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
        "last_checked",
        "official_link",
    )
    list_display_links = ("case_title",)
    list_filter = (
        "court",
        "kind",
        "status",
        "stage",
        DisagreesWithSourceFilter,
        "status_set_by_staff",
        "refresh_enabled",
        "instituted_on",
    )
    list_select_related = ("court", "parent")
    search_fields = (*CASE_SEARCH_FIELDS, "official_url", "source_url", "participations__party__name")
    date_hierarchy = "instituted_on"
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("short_title_en",)}
    readonly_fields = ("created_at", "updated_at", "referring_cases", "at_the_source", "recent_checks")
    history_list_display = ("status", "stage")
    fieldsets = (
        (_("Identity"), {"fields": ("court", "kind", "parent", "reference", "slug")}),
        (_("Titles in English"), {"fields": ("title_en", "short_title_en")}),
        (_("Titles in French"), {"fields": ("title_fr", "short_title_fr")}),
        (_("Status"), {"fields": ("status", "stage", "status_changed_on", "at_the_source", "status_set_by_staff")}),
        (_("Dates"), {"fields": ("instituted_on", "concluded_on")}),
        (_("Summary and sources"), {"fields": ("summary", "official_url", "source_url", "source_note")}),
        (_("Reading the court's site"), {"fields": ("refresh_enabled", "recent_checks")}),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = (
        ParticipationInline,
        FilingInline,
        EventInline,
        WarrantInline,
        CaseRelationInline,
        SourceInline,
    )
    actions = ("refresh_now",)

    def get_queryset(self, request):
        checked = Source.objects.filter(case=OuterRef("pk"), last_checked_at__isnull=False).order_by(
            "-last_checked_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                filing_count=related_count(Filing, "case"),
                last_checked_at=Subquery(checked.values("last_checked_at")[:1]),
                last_checked_outcome=Subquery(checked.values("last_outcome")[:1]),
            )
        )

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name=f"{opts.app_label}_{opts.model_name}_refresh",
            ),
            *super().get_urls(),
        ]

    def refresh_view(self, request, object_id):
        """The "Refresh now" button of the case page: POST only, CSRF-checked by admin_view."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        self._queue_refresh(request, Case.objects.filter(pk=case.pk))
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))

    @admin.action(description=_("Refresh now from the court's site"), permissions=["change"])
    def refresh_now(self, request, queryset):
        self._queue_refresh(request, queryset)

    def _queue_refresh(self, request, cases):
        """Queue a refresh of each case that has a source to read; staff asked, so concluded cases count too."""
        from .tasks import QueueUnavailable, queue_each, refresh_case

        readable = Exists(Source.objects.filter(case=OuterRef("pk"), enabled=True))
        cases = list(cases.annotate(readable=readable).order_by("pk"))
        unreadable = [case for case in cases if not case.readable]
        if unreadable:
            messages.warning(
                request,
                _("Not queued, as no enabled source is recorded: %(cases)s.")
                % {"cases": ", ".join(str(case) for case in unreadable)},
            )
        ids = [case.pk for case in cases if case.readable]
        if not ids:
            return
        try:
            queued = queue_each(refresh_case, ids)
        except QueueUnavailable as error:
            messages.error(request, queue_unavailable_message(error, _("refresh")))
            return
        messages.success(
            request,
            ngettext("Refresh of %(count)d case queued.", "Refresh of %(count)d cases queued.", queued)
            % {"count": queued},
        )

    def save_model(self, request, obj, form, change):
        edited = {"status", "stage"} & set(form.changed_data)
        # Staff may release the status in the same save, by unticking the box.
        if change and edited and "status_set_by_staff" not in form.changed_data and not obj.status_set_by_staff:
            obj.status_set_by_staff = True
            messages.info(
                request,
                _("The status and stage are now kept as set here: the source's reading no longer changes them."),
            )
        super().save_model(request, obj, form, change)
        if not change:
            self._mark_discovered_tracked(request, obj)

    def _mark_discovered_tracked(self, request, case):
        """A case added through "Track as a new case" takes its discovered entry out of the queue."""
        discovered = request.GET.get("discovered", "")
        if discovered.isdigit():
            tracked = DiscoveredCase.Decision.TRACKED
            DiscoveredCase.objects.filter(pk=int(discovered)).update(decision=tracked, case=case)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.pop("discovered", None)
        return initial

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

    @admin.display(description=_("last checked"), ordering="last_checked_at")
    def last_checked(self, case):
        if case.last_checked_at is None:
            return None
        return format_html("{}<br>{}", local_datetime(case.last_checked_at), outcome_label(case.last_checked_outcome))

    @admin.display(description=_("at the source"))
    def at_the_source(self, case):
        """What the court's page said at the last reading, marked where it differs from the status above."""
        said = [
            case.get_source_status_display() if case.source_status else "",
            case.get_source_stage_display() if case.source_stage else "",
        ]
        said = ", ".join(part for part in said if part)
        if not said:
            return _("No status or stage read from the source yet.")
        if case_disagrees(case):
            return format_html(
                '<strong class="disagrees">{}</strong> — {}', said, _("differs from the status and stage above")
            )
        return format_html("{} — {}", said, _("as above"))

    @admin.display(description=_("latest checks"))
    def recent_checks(self, case):
        if case.pk is None:
            return _("Add sources below; they are read once the case is saved.")
        checks = list(SourceCheck.objects.filter(case=case).order_by("-checked_at", "-id")[:RECENT_CHECKS])
        if not checks:
            return _("Not read yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    local_datetime(check.checked_at),
                    outcome_label(check.outcome, check.get_outcome_display()),
                    check.http_status or "",
                    check.new_filings,
                    external_link(check.url, 40),
                    Truncator(check.error).chars(80),
                )
                for check in checks
            ),
        )
        names = (_("checked at"), _("outcome"), _("HTTP"), _("new filings"), _("URL"), _("error"))
        headers = format_html_join("", "<th>{}</th>", ((name,) for name in names))
        changelist = reverse("admin:cases_sourcecheck_changelist") + f"?case__id__exact={case.pk}"
        return format_html(
            '<table class="recent-checks"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
            '<p><a href="{}">{}</a></p>',
            headers,
            rows,
            changelist,
            _("Every check of this case"),
        )

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
        "text",
    )
    history_list_display = ("link_status",)
    fieldsets = (
        (_("Document"), {"fields": ("case", "title", "kind", "date", "language", "reference")}),
        (_("Where it is"), {"fields": ("url", "source_url", "source_note")}),
        (_("For citations"), {"fields": ("chamber", "reports_year", "reports_page")}),
        (_("Copy and text"), {"fields": ("document", "text")}),
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "document" in form.changed_data and obj.document:
            from .search import queue_text_extraction
            from .tasks import QueueUnavailable

            try:
                queue_text_extraction([obj.pk])
            except QueueUnavailable as error:
                messages.error(request, queue_unavailable_message(error, _("text extraction")))
            else:
                messages.info(request, _("The text of the attached copy will be extracted for search."))

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


@admin.register(Source)
class SourceAdmin(CompactUrls, admin.ModelAdmin):
    """The pages the tasks read: a case's own pages, and the listings and feeds that cover a whole court."""

    form = SourceForm
    list_display = ("url_link", "case", "adapter", "enabled", "last_checked_at", "outcome")
    list_filter = (
        SourceKindFilter,
        "adapter",
        "enabled",
        "last_outcome",
        ("case__court", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("case",)
    search_fields = ("url", *case_related_search("case"))
    autocomplete_fields = ("case",)
    readonly_fields = ("last_checked_at", "last_outcome", "etag", "last_modified", "created_at")
    fieldsets = (
        (None, {"fields": ("case", "adapter", "url", "enabled")}),
        (_("Last reading"), {"fields": ("last_checked_at", "last_outcome", "etag", "last_modified", "created_at")}),
    )
    actions = ("refresh_now",)

    @admin.display(description=_("URL"), ordering="url")
    def url_link(self, source):
        return external_link(source.url)

    @admin.display(description=_("last outcome"), ordering="last_outcome")
    def outcome(self, source):
        return outcome_label(source.last_outcome) if source.last_outcome else None

    @admin.action(description=_("Refresh now from the court's site"), permissions=["change"])
    def refresh_now(self, request, queryset):
        from .tasks import QueueUnavailable, queue_each, refresh_source

        ids = list(queryset.filter(enabled=True).order_by("pk").values_list("pk", flat=True))
        if len(ids) < queryset.count():
            messages.warning(request, _("Disabled sources are not read."))
        if not ids:
            return
        try:
            queued = queue_each(refresh_source, ids)
        except QueueUnavailable as error:
            messages.error(request, queue_unavailable_message(error, _("refresh")))
            return
        messages.success(
            request,
            ngettext("Refresh of %(count)d source queued.", "Refresh of %(count)d sources queued.", queued)
            % {"count": queued},
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the tasks write and staff only read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SourceCheck)
class SourceCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "checked_at",
        "case",
        "url_link",
        "outcome_label",
        "http_status",
        "duration_ms",
        "new_filings",
        "missing_filings",
        "short_error",
    )
    list_filter = ("outcome", ("case__court", admin.RelatedOnlyFieldListFilter), "source__adapter")
    list_select_related = ("case",)
    search_fields = ("url", "error")
    date_hierarchy = "checked_at"
    # The table grows by every reading of every source: no second COUNT(*) over all of it.
    show_full_result_count = False
    fields = (
        "checked_at",
        "source",
        "case",
        "url",
        "outcome",
        "http_status",
        "duration_ms",
        "new_filings",
        "missing_filings",
        "status_reported",
        "stage_reported",
        "warnings",
        "error",
    )

    @admin.display(description=_("URL"), ordering="url")
    def url_link(self, check):
        return external_link(check.url)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, check):
        return outcome_label(check.outcome, check.get_outcome_display())

    @admin.display(description=_("error"))
    def short_error(self, check):
        return Truncator(check.error).chars(100)


@admin.register(DiscoveredCase)
class DiscoveredCaseAdmin(HttpsByDefault, admin.ModelAdmin):
    """Cases a court's listing names that we do not track yet: staff track them, or set them aside.

    "Track as a new case" opens the case form filled from the listing; saving that case marks the entry
    tracked and links it. An entry staff track by hand under another case is linked here, by its case field.
    """

    list_display = (
        "label",
        "reference",
        "court",
        "url_link",
        "found_at_link",
        "first_seen_at",
        "last_seen_at",
        "decision",
        "case",
    )
    list_filter = ("decision", "court")
    list_select_related = ("court", "case")
    search_fields = ("title", "reference", "url")
    autocomplete_fields = ("case",)
    readonly_fields = ("court", "url", "reference", "title", "found_at", "first_seen_at", "last_seen_at")
    fields = (*readonly_fields, "decision", "case")
    actions = ("track_as_new_case", "mark_ignored", "mark_to_review")

    def has_add_permission(self, request):
        return False  # found by the tasks in the courts' listings

    def save_model(self, request, obj, form, change):
        if obj.case_id and obj.decision == DiscoveredCase.Decision.NEW:
            obj.decision = DiscoveredCase.Decision.TRACKED
        super().save_model(request, obj, form, change)

    @admin.display(description=_("title"), ordering="title")
    def label(self, discovered):
        return discovered.title or discovered.url

    @admin.display(description=_("URL"), ordering="url")
    def url_link(self, discovered):
        return external_link(discovered.url, 40)

    @admin.display(description=_("found at"), ordering="found_at")
    def found_at_link(self, discovered):
        return external_link(discovered.found_at, 40)

    @admin.action(description=_("Track as a new case"), permissions=["change"])
    def track_as_new_case(self, request, queryset):
        if not request.user.has_perm("cases.add_case"):
            raise PermissionDenied
        if queryset.count() != 1:
            messages.warning(request, _("Choose one discovered case at a time to track."))
            return None
        discovered = queryset.get()
        if discovered.case_id:
            messages.warning(request, _("%(title)s is tracked already.") % {"title": discovered})
            return None
        query = {
            "court": discovered.court_id,
            "reference": discovered.reference,
            "title_en": discovered.title,
            "official_url": discovered.url,
            "discovered": discovered.pk,
        }
        return HttpResponseRedirect(f"{reverse('admin:cases_case_add')}?{urlencode(query)}")

    @admin.action(description=_("Mark as ignored"), permissions=["change"])
    def mark_ignored(self, request, queryset):
        count = queryset.update(decision=DiscoveredCase.Decision.IGNORED)
        messages.success(
            request, ngettext("%(count)d case ignored.", "%(count)d cases ignored.", count) % {"count": count}
        )

    @admin.action(description=_("Put back to review"), permissions=["change"])
    def mark_to_review(self, request, queryset):
        count = queryset.exclude(case__isnull=False).update(decision=DiscoveredCase.Decision.NEW)
        messages.success(
            request,
            ngettext("%(count)d case back to review.", "%(count)d cases back to review.", count) % {"count": count},
        )


# Alerts by email ------------------------------------------------------------------------------------------


def _date_set_filter(field, title, yes, no):
    """A yes/no filter on whether a date field is set: "Confirmed" reads better than "confirmed at: not empty"."""

    class DateSetFilter(admin.SimpleListFilter):
        parameter_name = field.removesuffix("_at")

        def lookups(self, request, model_admin):
            return [("yes", yes), ("no", no)]

        def queryset(self, request, queryset):
            if self.value() in ("yes", "no"):
                return queryset.filter(**{f"{field}__isnull": self.value() == "no"})
            return queryset

    DateSetFilter.title = title
    return DateSetFilter


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Who follows what. Only the owner of an address subscribes it (double opt-in), so staff add none."""

    list_display = (
        "email",
        "follows",
        "frequency",
        "language",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "last_sent_at",
    )
    list_filter = (
        _date_set_filter("confirmed_at", _("confirmed"), _("Confirmed"), _("Not confirmed")),
        _date_set_filter("unsubscribed_at", _("unsubscribed"), _("Unsubscribed"), _("Still subscribed")),
        "frequency",
        "language",
    )
    list_select_related = ("case", "court")
    search_fields = ("email",)
    readonly_fields = (
        "email",
        "case",
        "court",
        "created_at",
        "confirmed_at",
        "last_sent_at",
        "unsubscribe_link",
        "confirm_link",
    )
    fields = (
        "email",
        "case",
        "court",
        "frequency",
        "language",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "last_sent_at",
        "unsubscribe_link",
        "confirm_link",
    )
    actions = ("unsubscribe_selected",)

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("follows"))
    def follows(self, subscription):
        return subscription.case or subscription.court

    @admin.display(description=_("unsubscribe link"))
    def unsubscribe_link(self, subscription):
        return alerts.unsubscribe_url(subscription) if subscription.pk else ""

    @admin.display(description=_("confirmation link"))
    def confirm_link(self, subscription):
        """For staff to forward to the address's owner when the email went astray; only while not active."""
        if not subscription.pk or subscription.is_active:
            return "—"
        return alerts.confirm_url(subscription, frequency=subscription.frequency, language=subscription.language)

    @admin.action(description=_("Unsubscribe the selected addresses"), permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        count = queryset.filter(unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
        messages.success(
            request,
            ngettext("%(count)d subscription ended.", "%(count)d subscriptions ended.", count) % {"count": count},
        )
