from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case, Court, Party, Subscription
from .querysets import CaseQuerySet


class CodeChoiceField(forms.ChoiceField):
    """A court code, accepted in any case: ?court=ICJ and ?court=icj are one filter."""

    def to_python(self, value):
        value = super().to_python(value)
        return next((code for code, _label in self.choices if code.lower() == value.lower()), value)


class PartyChoiceField(forms.ChoiceField):
    """States and organisations are listed; a person, listed on their own page, is still a valid ?party=."""

    def valid_value(self, value):
        return super().valid_value(value) or Party.objects.filter(slug=value, kind=Party.Kind.PERSON).exists()


class CaseFilterForm(forms.Form):
    """The case list's filters, read from the query string. Every field is optional.

    Choices come from one query each, so validating a value queries again only for a person (not listed).
    """

    SORT_CHOICES = [
        ("newest", _("Newest first")),
        ("oldest", _("Oldest first")),
        ("title", _("Title (A–Z)")),
        ("updated", _("Recently updated")),
    ]

    court = CodeChoiceField(label=_("Court"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of proceedings"), required=False, choices=[("", _("Any kind")), *Case.Kind.choices]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Case.Status.choices])
    party = PartyChoiceField(label=_("Party"), required=False)
    year = forms.TypedChoiceField(label=_("Year instituted"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court"].choices = [("", _("All courts"))] + [
            (court.code, f"{court.code}: {court.name}") for court in Court.objects.only("code", "name_en", "name_fr")
        ]
        # Persons (the accused, the suspects) are left out: at scale they are thousands, each with a page of
        # their own listing their cases, and a select of thousands helps nobody.
        labels = {Party.Kind.STATE: _("States"), Party.Kind.ORGANISATION: _("Organisations")}
        groups = {kind: [] for kind in labels}
        parties = Party.objects.filter(kind__in=list(labels)).order_by("name").values_list("slug", "name", "kind")
        for slug, name, kind in parties:
            groups[kind].append((slug, name))
        self.fields["party"].choices = [("", _("Any party"))] + [
            (labels.get(kind, kind), options) for kind, options in groups.items() if options
        ]
        years = Case.objects.instituted_years()
        self.fields["year"].choices = [("", _("Any year"))] + [(str(year), str(year)) for year in years]

    def filter(self, cases: CaseQuerySet) -> CaseQuerySet:
        """The cases the valid form asks for, sorted; call only after is_valid()."""
        data = self.cleaned_data
        if data.get("court"):
            cases = cases.filter(court__code=data["court"])
        if data.get("kind"):
            cases = cases.filter(kind=data["kind"])
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("party"):
            cases = cases.with_party(data["party"])
        if data.get("year"):
            cases = cases.instituted_in(data["year"])
        return cases.sorted_by(data.get("sort") or "newest")

    @property
    def is_filtered(self):
        return self.is_bound and any(self.data.get(name) for name in ("court", "kind", "status", "party", "year"))


class SubscribeForm(forms.Form):
    """Follow a case or a court by email. `website` is a honeypot: hidden from people, filled in by bots."""

    email = forms.EmailField(label=_("Email address"), max_length=254)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Subscription.Frequency.choices,
        initial=Subscription.Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    @property
    def is_spam(self):
        """Call after is_valid(): a bot is told what a person is told, and nothing is stored or sent."""
        return bool(self.cleaned_data.get("website"))
