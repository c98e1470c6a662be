"""The records: courts, their proceedings, who takes part, what is filed and what happens when.

Names follow the courts' own words. Every fact carries the URL of the page it was read from.
"""

import functools

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .querysets import CaseQuerySet, CourtQuerySet, EventQuerySet, FilingQuerySet, PersonQuerySet


@functools.cache
def _choice_labels(field) -> dict:
    return dict(field.flatchoices)


class ChoiceLabels:
    """get_FOO_display() without Django's per-call make_hashable() of every choice, which turns each lazy label
    into a gettext call: a case page showing a few hundred kinds and languages spent a third of its time there."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(value, value), strings_only=True)


class Court(ChoiceLabels, models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True, help_text=_("ICJ, ICC, ECHR, ITLOS, ..."))
    name_en = models.CharField(_("name in English"), max_length=200)
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)

    objects = CourtQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("court")

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("cases:court", args=[self.code.lower()])

    @property
    def name(self):
        return self.name_fr if get_language() == "fr" and self.name_fr else self.name_en


class Stage(models.TextChoices):
    """One vocabulary; STAGES_BY_KIND says which stages fit which kind of proceedings."""

    # ICJ contentious cases
    PROVISIONAL_MEASURES = "provisional_measures", _("Provisional measures")
    PRELIMINARY_OBJECTIONS = "preliminary_objections", _("Preliminary objections")
    WRITTEN_PROCEEDINGS = "written_proceedings", _("Written proceedings")
    ORAL_PROCEEDINGS = "oral_proceedings", _("Oral proceedings")
    DELIBERATION = "deliberation", _("Deliberation")
    JUDGMENT_DELIVERED = "judgment_delivered", _("Judgment delivered")
    DISCONTINUED = "discontinued", _("Discontinued")
    REMOVED_FROM_LIST = "removed_from_list", _("Removed from the General List")
    # Advisory proceedings
    REQUEST_RECEIVED = "request_received", _("Request received")
    WRITTEN_STATEMENTS = "written_statements", _("Written statements")
    HEARINGS = "hearings", _("Hearings")
    OPINION_DELIVERED = "opinion_delivered", _("Opinion delivered")
    # ICC situations and cases
    PRELIMINARY_EXAMINATION = "preliminary_examination", _("Preliminary examination")
    INVESTIGATION = "investigation", _("Investigation")
    WARRANT_ISSUED = "warrant_issued", _("Warrant issued")
    IN_CUSTODY = "in_custody", _("In custody")
    CONFIRMATION_OF_CHARGES = "confirmation_of_charges", _("Confirmation of charges")
    TRIAL = "trial", _("Trial")
    APPEAL = "appeal", _("Appeal")
    REPARATIONS = "reparations", _("Reparations")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")


_CRIMINAL_STAGES = {
    Stage.WARRANT_ISSUED,
    Stage.IN_CUSTODY,
    Stage.CONFIRMATION_OF_CHARGES,
    Stage.TRIAL,
    Stage.APPEAL,
    Stage.REPARATIONS,
    Stage.CLOSED,
    Stage.TERMINATED,
}


class Case(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        CONTENTIOUS = "contentious", _("Contentious case")
        ADVISORY = "advisory", _("Advisory proceedings")
        SITUATION = "situation", _("Situation")
        CASE = "case", _("Case against a person")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONCLUDED = "concluded", _("Concluded")

    STAGES_BY_KIND = {
        Kind.CONTENTIOUS: {
            Stage.PROVISIONAL_MEASURES,
            Stage.PRELIMINARY_OBJECTIONS,
            Stage.WRITTEN_PROCEEDINGS,
            Stage.ORAL_PROCEEDINGS,
            Stage.DELIBERATION,
            Stage.JUDGMENT_DELIVERED,
            Stage.DISCONTINUED,
            Stage.REMOVED_FROM_LIST,
        },
        Kind.ADVISORY: {
            Stage.REQUEST_RECEIVED,
            Stage.WRITTEN_STATEMENTS,
            Stage.HEARINGS,
            Stage.DELIBERATION,
            Stage.OPINION_DELIVERED,
        },
        Kind.SITUATION: {Stage.PRELIMINARY_EXAMINATION, Stage.INVESTIGATION, Stage.CLOSED},
        Kind.CASE: _CRIMINAL_STAGES,
    }

    court = models.ForeignKey(Court, models.PROTECT, related_name="cases", verbose_name=_("court"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("situation"),
        help_text=_("The situation an ICC case arises in."),
    )
    reference = models.CharField(
        _("official reference"),
        max_length=64,
        blank=True,
        help_text=_("ICJ General List number (192), ICC-01/18, 53600/20"),
    )
    title_en = models.CharField(_("full title in English"), max_length=500)
    title_fr = models.CharField(_("full title in French"), max_length=500, blank=True)
    short_title_en = models.CharField(_("short title in English"), max_length=200, blank=True)
    short_title_fr = models.CharField(_("short title in French"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    stage = models.CharField(_("stage"), max_length=32, choices=Stage.choices, blank=True)
    status_changed_on = models.DateField(
        _("status changed on"), null=True, blank=True, help_text=_("When the present status and stage began.")
    )
    instituted_on = models.DateField(_("instituted on"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    official_url = models.URLField(_("official URL"), max_length=500, blank=True)
    source_url = models.URLField(
        _("source URL"), max_length=500, blank=True, help_text=_("Where the status and stage were read.")
    )
    status_set_by_staff = models.BooleanField(
        _("status set by staff"),
        default=False,
        help_text=_("Tasks record what the source says but do not overwrite a status or stage set by staff."),
    )
    source_status = models.CharField(_("status at the source"), max_length=16, choices=Status.choices, blank=True)
    source_stage = models.CharField(_("stage at the source"), max_length=32, choices=Stage.choices, blank=True)
    refresh_enabled = models.BooleanField(
        _("refresh from the source"), default=True, help_text=_("Background tasks read this case's sources.")
    )
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )
    related = models.ManyToManyField(
        "self", through="CaseRelation", symmetrical=False, related_name="+", blank=True, verbose_name=_("related cases")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-instituted_on", "title_en"]
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["court", "status"]),
            models.Index(fields=["-instituted_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(concluded_on__isnull=True)
                | Q(instituted_on__isnull=True)
                | Q(concluded_on__gte=models.F("instituted_on")),
                name="case_concluded_after_instituted",
            ),
        ]

    def __str__(self):
        return self.short_title or self.title

    def get_absolute_url(self):
        return reverse("cases:case", args=[self.slug])

    @property
    def title(self):
        return self.title_fr if get_language() == "fr" and self.title_fr else self.title_en

    @property
    def short_title(self):
        if get_language() == "fr" and self.short_title_fr:
            return self.short_title_fr
        return self.short_title_en

    @property
    def display_reference(self):
        """The reference as the court writes it: the ICJ says "General List No. 192"."""
        if self.court.code == "ICJ" and self.reference.isdigit():
            return _("General List No. %(number)s") % {"number": self.reference}
        return self.reference

    def clean(self):
        if self.stage and self.kind and self.stage not in self.STAGES_BY_KIND.get(self.kind, set()):
            raise ValidationError(
                {"stage": _("This stage does not fit a %(kind)s.") % {"kind": self.get_kind_display()}}
            )
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A case cannot be its own situation.")})
        if self.status == self.Status.PENDING and self.concluded_on:
            raise ValidationError({"concluded_on": _("A pending case has no conclusion date.")})


class CaseRelation(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined with")
        SAME_EVENTS = "same_events", _("Concerns the same events")
        SAME_QUESTION = "same_question", _("Asks the same legal question")
        SAME_INSTRUMENT = "same_instrument", _("Under the same treaty")
        RELATED = "related", _("Related")

    from_case = models.ForeignKey(Case, models.CASCADE, related_name="relations_from")
    to_case = models.ForeignKey(Case, models.CASCADE, related_name="relations_to", verbose_name=_("related case"))
    kind = models.CharField(_("kind of relation"), max_length=16, choices=Kind.choices, default=Kind.RELATED)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("related case")
        verbose_name_plural = _("related cases")
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="unique_case_relation"),
            models.CheckConstraint(condition=~Q(from_case=models.F("to_case")), name="case_relation_not_self"),
        ]

    def __str__(self):
        return f"{self.from_case} — {self.get_kind_display()} — {self.to_case}"


class Person(ChoiceLabels, models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.CharField(
        _("description"), max_length=300, blank=True, help_text=_("Position as stated in the court's documents.")
    )
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:person", args=[self.slug])


class Party(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        STATE = "state", _("State")
        ORGANISATION = "organisation", _("Organisation")
        PERSON = "person", _("Person")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATE)
    abbreviation = models.CharField(
        _("abbreviation"), max_length=32, blank=True, help_text=_("As used in citations: S. Afr., Isr.")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    person = models.OneToOneField(
        Person, models.SET_NULL, null=True, blank=True, related_name="party", help_text=_("For a suspect or accused.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self):
        return self.name


class Participation(ChoiceLabels, models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")
        INTERVENER_ART_62 = "intervener_art_62", _("Intervener (Article 62)")
        INTERVENER_ART_63 = "intervener_art_63", _("Intervener (Article 63)")
        REQUESTING_ORGAN = "requesting_organ", _("Requesting organ")
        REQUESTING_STATE = "requesting_state", _("Requesting State")
        PROSECUTOR = "prosecutor", _("Prosecutor")
        SUSPECT = "suspect", _("Suspect")
        ACCUSED = "accused", _("Accused")
        REFERRING_STATE = "referring_state", _("Referring State")
        PARTICIPANT = "participant", _("Participant")

    case = models.ForeignKey(Case, models.CASCADE, related_name="participations", verbose_name=_("case"))
    party = models.ForeignKey(Party, models.PROTECT, related_name="participations", verbose_name=_("party"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    joined_on = models.DateField(
        _("filed on"), null=True, blank=True, help_text=_("For an intervener: the date it filed.")
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )

    class Meta:
        ordering = ["case", "role", "joined_on", "party__name"]
        verbose_name = _("participation")
        constraints = [
            models.UniqueConstraint(fields=["case", "party", "role"], name="unique_participation"),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(withdrawn_on__gte=models.F("joined_on")),
                name="participation_withdrawn_after_joined",
            ),
        ]

    def __str__(self):
        return f"{self.party} ({self.get_role_display()})"

    @property
    def is_intervener(self):
        return self.role in (self.Role.INTERVENER_ART_62, self.Role.INTERVENER_ART_63)


class Filing(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application")
        ORDER = "order", _("Order")
        JUDGMENT = "judgment", _("Judgment")
        ADVISORY_OPINION = "advisory_opinion", _("Advisory opinion")
        OPINION = "opinion", _("Separate or dissenting opinion")
        WRITTEN_PLEADING = "written_pleading", _("Written pleading")
        VERBATIM_RECORD = "verbatim_record", _("Verbatim record")
        PRESS_RELEASE = "press_release", _("Press release")
        SUMMARY = "summary", _("Summary")
        WARRANT_OF_ARREST = "warrant_of_arrest", _("Warrant of arrest")
        DECISION = "decision", _("Decision")
        INTERVENTION = "intervention", _("Intervention")
        OTHER = "other", _("Other")

    class Language(models.TextChoices):
        EN = "en", _("English")
        FR = "fr", _("French")
        BILINGUAL = "bi", _("Bilingual")
        OTHER = "other", _("Other")

    class LinkStatus(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        OK = "ok", _("Resolves")
        BLOCKED = "blocked", _("Blocked by the court's bot wall")
        BROKEN = "broken", _("Broken")

    case = models.ForeignKey(Case, models.CASCADE, related_name="filings", verbose_name=_("case"))
    title = models.CharField(_("title"), max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    date = models.DateField(_("date"), null=True, blank=True, help_text=_("The document's own date."))
    reference = models.CharField(
        _("official reference"), max_length=100, blank=True, help_text=_("192-20240126-ORD-01-00-EN, ICC-01/18-374")
    )
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, blank=True)
    url = models.URLField(
        _("official URL"), max_length=500, blank=True, help_text=_("The document on the court's own site.")
    )
    source_url = models.URLField(
        _("source URL"),
        max_length=500,
        blank=True,
        help_text=_("Where this filing was found, when not at its own URL."),
    )
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )
    source = models.ForeignKey(
        "Source",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="filings",
        verbose_name=_("found at"),
        help_text=_("The source page that lists this filing; empty for filings entered by hand or seeded."),
    )
    chamber = models.CharField(
        _("chamber"), max_length=100, blank=True, help_text=_("Pre-Trial Chamber I, Grand Chamber")
    )
    reports_year = models.PositiveSmallIntegerField(
        _("Reports year"), null=True, blank=True, help_text=_("Year of the court's Reports volume (I.C.J. Reports).")
    )
    reports_page = models.PositiveIntegerField(_("Reports page"), null=True, blank=True)
    document = models.FileField(
        _("copy of the document"),
        upload_to="filings/%Y/",
        blank=True,
        help_text=_("A copy staff attach where the court's site is walled; its text is extracted for search."),
    )
    text = models.TextField(_("text"), blank=True, help_text=_("Extracted from the copy, for search."))
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)
    missing_since = models.DateField(_("missing from the source since"), null=True, blank=True)
    # Link checks (filled by the link checker).
    link_status = models.CharField(
        _("link status"), max_length=10, choices=LinkStatus.choices, default=LinkStatus.UNCHECKED
    )
    link_checked_at = models.DateTimeField(_("link checked at"), null=True, blank=True)
    link_http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    link_final_url = models.URLField(_("final URL"), max_length=500, blank=True)
    link_failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0)
    content_length = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    history = HistoricalRecords()
    objects = FilingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("filing")
        # On PostgreSQL the table also has what search reads and no model declares: the stored documents
        # search_en and search_fr, kept by a trigger, and their indexes (migration 0009 says why).
        indexes = [
            models.Index(fields=["case", "-date"]),
            models.Index(fields=["-first_seen_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "url"], condition=~Q(url=""), name="unique_filing_url_per_case"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cases:filing", kwargs={"slug": self.case.slug, "filing_id": self.pk})

    @property
    def official_link(self):
        return self.url or self.source_url


class Warrant(ChoiceLabels, models.Model):
    class Status(models.TextChoices):
        OUTSTANDING = "outstanding", _("Outstanding")
        EXECUTED = "executed", _("Executed: in custody")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        TERMINATED = "terminated", _("Proceedings terminated")

    case = models.ForeignKey(Case, models.CASCADE, related_name="warrants", verbose_name=_("case"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="warrants", verbose_name=_("person"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    made_public_on = models.DateField(_("made public on"), null=True, blank=True)
    under_seal = models.BooleanField(
        _("under seal"), default=False, help_text=_("The warrant itself is secret or sealed.")
    )
    issued_by = models.CharField(_("issued by"), max_length=100, blank=True, help_text=_("Pre-Trial Chamber I"))
    charges = models.TextField(_("charges in brief"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OUTSTANDING)
    status_on = models.DateField(_("status since"), null=True, blank=True)
    filing = models.ForeignKey(
        Filing, models.SET_NULL, null=True, blank=True, related_name="warrants", verbose_name=_("document")
    )
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "person__name"]
        verbose_name = _("warrant of arrest")
        verbose_name_plural = _("warrants of arrest")
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "issued_on"], name="unique_warrant"),
        ]

    def __str__(self):
        return f"{self.person} ({self.issued_on or '?'})"


class Event(ChoiceLabels, models.Model):
    class Precision(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")
        YEAR = "year", _("Year")

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        HEARING = "hearing", _("Hearing")
        ORDER = "order", _("Order")
        JUDGMENT = "judgment", _("Judgment")
        OPINION = "opinion", _("Advisory opinion")
        DECISION = "decision", _("Decision")
        DEADLINE = "deadline", _("Deadline")
        INTERVENTION = "intervention", _("Intervention")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        WARRANT = "warrant", _("Warrant")
        ARREST = "arrest", _("Arrest")
        SURRENDER = "surrender", _("Surrender")
        APPEARANCE = "appearance", _("Appearance")
        PRESS_RELEASE = "press_release", _("Press release")
        STATUS_CHANGE = "status_change", _("Status change")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, models.CASCADE, related_name="events", verbose_name=_("case"))
    date = models.DateField(_("date"))
    precision = models.CharField(_("precision"), max_length=5, choices=Precision.choices, default=Precision.DAY)
    end_date = models.DateField(_("until"), null=True, blank=True, help_text=_("For hearings held over several days."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=500)
    filing = models.ForeignKey(
        Filing, models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("filing")
    )
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_note = models.CharField(
        _("source note"), max_length=300, blank=True, help_text=_("Who reported it, where no official page was read.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("event")
        indexes = [models.Index(fields=["case", "date"]), models.Index(fields=["kind", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("date")), name="event_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.date}: {self.title}"

    @property
    def is_upcoming(self):
        """A hearing already under way still counts: it ends on its end date."""
        return (self.end_date or self.date) >= timezone.localdate()


class Source(ChoiceLabels, models.Model):
    """One page a court publishes that an adapter reads: a case page, a sub-page, a listing or a feed."""

    case = models.ForeignKey(
        Case,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("case"),
        help_text=_("Empty for a listing or feed that covers many cases."),
    )
    adapter = models.CharField(_("adapter"), max_length=32)
    url = models.URLField(_("URL"), max_length=500)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Validators for conditional requests: an unchanged page costs one 304.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "url"]
        verbose_name = _("source")
        constraints = [
            models.UniqueConstraint(fields=["case", "url"], name="unique_source_url_per_case"),
            models.UniqueConstraint(fields=["url"], condition=Q(case__isnull=True), name="unique_listing_source_url"),
        ]
        indexes = [models.Index(fields=["enabled", "last_checked_at"])]

    def __str__(self):
        return self.url


class SourceCheck(ChoiceLabels, models.Model):
    """One reading of one source: what was asked, what came back, and what it changed."""

    class Outcome(models.TextChoices):
        CHANGED = "changed", _("Changed")
        UNCHANGED = "unchanged", _("Unchanged")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Blocked")
        SUSPECT = "suspect", _("Suspect: refused")

    TROUBLE = frozenset({Outcome.FAILED, Outcome.BLOCKED, Outcome.SUSPECT})

    source = models.ForeignKey(Source, models.CASCADE, related_name="checks", verbose_name=_("source"))
    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="checks", verbose_name=_("case"))
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    url = models.URLField(_("URL"), max_length=500)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, db_index=True)
    new_filings = models.PositiveIntegerField(_("new filings"), default=0)
    missing_filings = models.PositiveIntegerField(_("missing filings"), default=0)
    status_reported = models.CharField(_("status reported"), max_length=16, blank=True)
    stage_reported = models.CharField(_("stage reported"), max_length=32, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("source check")
        verbose_name_plural = _("source checks")
        indexes = [models.Index(fields=["case", "-checked_at"])]

    def __str__(self):
        return f"{self.url} {self.outcome} {self.checked_at:%Y-%m-%d %H:%M}"


class DiscoveredCase(ChoiceLabels, models.Model):
    """A case a court's listing names that we do not track: queued for staff, never published on its own."""

    class Decision(models.TextChoices):
        NEW = "new", _("To review")
        TRACKED = "tracked", _("Now tracked")
        IGNORED = "ignored", _("Ignored")

    court = models.ForeignKey(Court, models.CASCADE, related_name="discovered_cases", verbose_name=_("court"))
    url = models.URLField(_("URL"), max_length=500, unique=True)
    reference = models.CharField(_("official reference"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    found_at = models.URLField(_("found at"), max_length=500, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.NEW)
    case = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case"))

    class Meta:
        ordering = ["decision", "-first_seen_at"]
        verbose_name = _("discovered case")
        verbose_name_plural = _("discovered cases")

    def __str__(self):
        return self.title or self.url


class Subscription(ChoiceLabels, models.Model):
    """An email address following a case or a court: double opt-in, no account, one-click unsubscribe."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("As it happens")
        DAILY = "daily", _("Daily digest")

    email = models.EmailField(_("email address"))
    case = models.ForeignKey(
        Case, models.CASCADE, null=True, blank=True, related_name="subscriptions", verbose_name=_("case")
    )
    court = models.ForeignKey(
        Court, models.CASCADE, null=True, blank=True, related_name="subscriptions", verbose_name=_("court")
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, court__isnull=True) | Q(case__isnull=True, court__isnull=False),
                name="subscription_follows_a_case_or_a_court",
            ),
            models.UniqueConstraint(
                fields=["email", "case"], condition=Q(case__isnull=False), name="unique_case_follow"
            ),
            models.UniqueConstraint(
                fields=["email", "court"], condition=Q(court__isnull=False), name="unique_court_follow"
            ),
        ]
        indexes = [models.Index(fields=["confirmed_at", "unsubscribed_at", "frequency"])]

    def __str__(self):
        return f"{self.email} → {self.case or self.court}"

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.unsubscribed_at is None


class SeedRecord(models.Model):
    """What seed_cases last wrote to one record, so a re-run never overwrites a staff edit."""

    model = models.CharField(max_length=64)
    key = models.CharField(max_length=300)
    object_id = models.PositiveBigIntegerField()
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "key"], name="unique_seed_record")]

    def __str__(self):
        return f"{self.model} {self.key}"
