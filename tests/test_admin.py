"""The admin as staff use it: every list, filter, search and form renders, a case goes in on one page,
and the lists cost the same number of queries however many rows they show."""

import datetime
import itertools
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.forms import CheckboxInput
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from kombu import pools
from kombu.exceptions import OperationalError

from cases.models import (
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
    Warrant,
)

from .factories import (
    CaseFactory,
    CaseRelationFactory,
    CourtFactory,
    EventFactory,
    FilingFactory,
    ParticipationFactory,
    PartyFactory,
    PersonFactory,
    WarrantFactory,
)

pytestmark = pytest.mark.django_db


def seed_record():
    case = CaseFactory()
    return SeedRecord.objects.create(
        model="cases.Case", key=case.slug, object_id=case.pk, values={"title_en": case.title_en}
    )


_serial = itertools.count(1)


def source_row(case=None, **fields):
    case = case or CaseFactory()
    url = fields.pop("url", f"https://www.icj-cij.org/case/{next(_serial)}")
    return Source.objects.create(case=case, adapter=fields.pop("adapter", "icj"), url=url, **fields)


def check_row(source=None, **fields):
    source = source or source_row()
    values = {"outcome": SourceCheck.Outcome.FAILED, "http_status": 503, "error": "Service Unavailable"} | fields
    return SourceCheck.objects.create(source=source, case=source.case, url=source.url, **values)


def discovered_row(**fields):
    n = next(_serial)
    values = {
        "court": CourtFactory(code="ICJ"),
        "url": f"https://www.icj-cij.org/case/{900 + n}",
        "reference": str(900 + n),
        "title": f"Discovered case {n}",
        "found_at": "https://www.icj-cij.org/pending-cases",
    }
    return DiscoveredCase.objects.create(**(values | fields))


# One row of each model, each with its own related rows, so that a per-row query would show.
ROW = {
    Court: CourtFactory,
    Case: lambda: CaseFactory(parent=CaseFactory(kind=Case.Kind.SITUATION, stage="investigation")),
    CaseRelation: CaseRelationFactory,
    Party: lambda: PartyFactory(kind=Party.Kind.PERSON, person=PersonFactory()),
    Participation: ParticipationFactory,
    Person: lambda: WarrantFactory().person,
    Warrant: lambda: WarrantFactory(filing=FilingFactory()),
    Filing: lambda: FilingFactory(reference=f"REF-{Filing.objects.count()}"),
    Event: lambda: EventFactory(filing=FilingFactory()),
    SeedRecord: seed_record,
    Source: source_row,
    SourceCheck: check_row,
    DiscoveredCase: discovered_row,
}

# A search term that finds the row.
SEARCH = {
    Court: lambda row: row.code,
    Case: lambda row: row.reference,
    CaseRelation: lambda row: row.to_case.short_title_en,
    Party: lambda row: row.name,
    Participation: lambda row: row.party.name,
    Person: lambda row: row.name,
    Warrant: lambda row: row.person.name,
    Filing: lambda row: row.reference,
    Event: lambda row: row.title,
    SeedRecord: lambda row: row.key,
    Source: lambda row: row.url,
    SourceCheck: lambda row: row.url,
    DiscoveredCase: lambda row: row.title,
}

MODELS = list(ROW)

# The inline formsets of the case page, by prefix (the related_name of each foreign key).
INLINE_PREFIXES = ("participations", "filings", "events", "warrants", "relations_from", "sources")
# Rows the tasks write: staff read them (and decide on discovered cases), but add none.
WRITTEN_BY_TASKS = (SeedRecord, SourceCheck, DiscoveredCase)
EDITABLE = [model for model in MODELS if model not in WRITTEN_BY_TASKS]


def admin_url(model, view, *args):
    return reverse(f"admin:cases_{model._meta.model_name}_{view}", args=args)


def ids(model):
    return model.__name__


def test_every_model_is_registered():
    assert set(MODELS) <= set(admin.site._registry)


def test_site_is_named():
    assert admin.site.site_header == "Proceedings tracker"
    assert admin.site.site_title == "Proceedings tracker"


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_changelist_renders(admin_client, model):
    rows = [ROW[model]() for _ in range(2)]
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert set(rows) <= set(response.context["cl"].result_list)
    assert b"Proceedings tracker" in response.content


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_changelist_search(admin_client, model):
    ROW[model]()
    row = ROW[model]()
    response = admin_client.get(admin_url(model, "changelist"), {"q": SEARCH[model](row)})
    assert response.status_code == 200
    assert row in response.context["cl"].result_list


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_changelist_every_filter_choice(admin_client, model):
    """Each choice of each filter, as the sidebar offers it, and the date drill-down."""
    for _ in range(2):
        ROW[model]()
    url = admin_url(model, "changelist")
    cl = admin_client.get(url).context["cl"]
    query_strings = {choice["query_string"] for spec in cl.filter_specs for choice in spec.choices(cl)}
    date_hierarchy = admin.site._registry[model].date_hierarchy
    if date_hierarchy:
        query_strings.add(f"?{date_hierarchy}__year=2024")
    assert query_strings or model is Court
    for query_string in sorted(query_strings):
        response = admin_client.get(url + query_string)
        assert response.status_code == 200, query_string
        assert "e=1" not in response.get("Location", ""), query_string


def test_case_search_finds_a_party_once(admin_client):
    case = CaseFactory()
    party = PartyFactory(name="Bosnia and Herzegovina")
    ParticipationFactory(case=case, party=party, role=Participation.Role.APPLICANT)
    ParticipationFactory(case=case, party=PartyFactory(name="Herzegovina Ltd"), role=Participation.Role.RESPONDENT)
    CaseFactory()
    response = admin_client.get(admin_url(Case, "changelist"), {"q": "Herzegovina"})
    assert list(response.context["cl"].result_list) == [case]


def test_case_changelist_links_the_official_page_safely(admin_client):
    CaseFactory(official_url="https://www.icj-cij.org/case/192?a=1&b=<2>")
    response = admin_client.get(admin_url(Case, "changelist"))
    content = response.content.decode()
    assert 'href="https://www.icj-cij.org/case/192?a=1&amp;b=&lt;2&gt;"' in content
    assert 'rel="noopener noreferrer"' in content
    assert "<2>" not in content


def test_filing_changelist_filters_by_case(admin_client):
    filing = FilingFactory()
    FilingFactory()
    response = admin_client.get(admin_url(Filing, "changelist"), {"case__id__exact": filing.case_id})
    assert list(response.context["cl"].result_list) == [filing]


@pytest.mark.parametrize("model", EDITABLE, ids=ids)
def test_add_page_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_change_page_renders(admin_client, model):
    row = ROW[model]()
    response = admin_client.get(admin_url(model, "change", row.pk))
    assert response.status_code == 200


def test_seed_records_are_read_only(admin_client):
    record = seed_record()
    assert admin_client.get(admin_url(SeedRecord, "add")).status_code == 403
    response = admin_client.get(admin_url(SeedRecord, "change", record.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.post(admin_url(SeedRecord, "change", record.pk), {"key": "changed"}).status_code == 403
    assert admin_client.get(admin_url(SeedRecord, "delete", record.pk)).status_code == 403
    record.refresh_from_db()
    assert record.key != "changed"


def test_filing_link_check_fields_are_read_only(admin_client):
    filing = FilingFactory()
    form = admin_client.get(admin_url(Filing, "change", filing.pk)).context["adminform"].form
    for name in ("first_seen_at", "missing_since", "link_status", "link_checked_at", "link_http_status", "sha256"):
        assert name not in form.fields
    assert "title" in form.fields


# The case page ---------------------------------------------------------------------------------


def full_case():
    court = CourtFactory(code="ICC")
    situation = CaseFactory(court=court, kind=Case.Kind.SITUATION, stage="investigation", short_title_en="Situation")
    case = CaseFactory(court=court, kind=Case.Kind.CASE, stage="warrant_issued", parent=situation)
    ParticipationFactory(case=case, party=PartyFactory(name="Office of the Prosecutor"), role="prosecutor")
    filing = FilingFactory(case=case, title="Warrant of arrest for Someone", kind=Filing.Kind.WARRANT_OF_ARREST)
    EventFactory(case=case, title="Warrant issued", kind=Event.Kind.WARRANT, filing=filing)
    WarrantFactory(case=case, person=PersonFactory(name="Some One"), filing=filing)
    CaseRelationFactory(from_case=case, to_case=CaseFactory(short_title_en="A related case"))
    CaseRelationFactory(from_case=CaseFactory(short_title_en="A referring case"), to_case=case)
    return case


def test_case_change_page_shows_inlines_and_records(admin_client):
    case = full_case()
    response = admin_client.get(admin_url(Case, "change", case.pk))
    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "Office of the Prosecutor",
        "Warrant of arrest for Someone",
        "Warrant issued",
        "Some One",
        "A related case",
        "A referring case",
    ):
        assert text in content, text
    filing = case.filings.get()
    assert admin_url(Filing, "change", filing.pk) in content
    assert f"{admin_url(Filing, 'changelist')}?case__id__exact={case.pk}" in content
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert prefixes == set(INLINE_PREFIXES)


def test_case_page_filing_choices_are_the_cases_own(admin_client):
    case = full_case()
    FilingFactory(title="Another case's order")
    response = admin_client.get(admin_url(Case, "change", case.pk))
    formsets = {formset.formset.prefix: formset.formset for formset in response.context["inline_admin_formsets"]}
    choices = formsets["events"].empty_form.fields["filing"].queryset
    assert list(choices) == list(case.filings.all())


def test_case_page_lists_only_the_latest_filings(admin_client):
    case = CaseFactory()
    FilingFactory.create_batch(55, case=case)
    response = admin_client.get(admin_url(Case, "change", case.pk))
    recorded = {formset.formset.prefix: formset.formset for formset in response.context["inline_admin_formsets"]}
    assert recorded["filings"].recorded.total == 55
    assert len(recorded["filings"].recorded.rows) == 50
    assert recorded["filings"].initial_form_count() == 0
    assert b"The latest 50 are shown." in response.content


def test_case_page_queries_do_not_grow_with_its_records(admin_client, django_assert_max_num_queries):
    case = full_case()
    url = admin_url(Case, "change", case.pk)

    def add_records(n):
        for _ in range(n):
            filing = FilingFactory(case=case)
            EventFactory(case=case, filing=filing)
            ParticipationFactory(case=case, role=Participation.Role.INTERVENER_ART_63)
            CaseRelationFactory(from_case=case)

    admin_client.get(url)
    add_records(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    add_records(30)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(url)
    assert response.content.decode().count("Intervener (Article 63)") >= 32


def test_autocomplete_for_a_situation_offers_situations_only(admin_client):
    situation = CaseFactory(kind=Case.Kind.SITUATION, stage="investigation", short_title_en="Situation in X")
    CaseFactory(short_title_en="Situation in name only")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "case", "field_name": "parent", "term": "Situation"},
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(situation.pk)]


# Adding a case on one page ---------------------------------------------------------------------


@pytest.fixture
def editor(client):
    """A member of staff who may edit the records, but is no superuser."""
    group = Group.objects.create(name="Editors")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="cases").exclude(codename__endswith="seedrecord")
    )
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(group)
    client.force_login(user)
    client.user = user
    return client


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def page_data(response):
    """What a browser posts back for an admin form page as it was rendered, untouched."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = value
    return data


def case_form(court, **changes):
    data = {
        "court": court.pk,
        "kind": Case.Kind.CONTENTIOUS,
        "reference": "192",
        "title_en": "Application of the Convention on the Prevention and Punishment of the Crime of Genocide",
        "short_title_en": "South Africa v. Israel",
        "slug": "south-africa-v-israel",
        "status": Case.Status.PENDING,
        "stage": "provisional_measures",
        "instituted_on": "2023-12-29",
        "official_url": "https://www.icj-cij.org/case/192",
    }
    return data | changes


def test_editor_adds_a_case_with_its_parties_and_first_filing_on_one_page(editor):
    court = CourtFactory(code="ICJ")
    applicant = PartyFactory(name="South Africa")
    url = admin_url(Case, "add")
    page = editor.get(url)
    assert page.status_code == 200
    assert {formset.formset.prefix for formset in page.context["inline_admin_formsets"]} == set(INLINE_PREFIXES)
    data = case_form(court, _save="Save")
    data |= management("participations", 1) | {
        "participations-0-party": applicant.pk,
        "participations-0-role": Participation.Role.APPLICANT,
        "participations-0-source_url": "https://www.icj-cij.org/case/192",
    }
    data |= management("filings", 1) | {
        "filings-0-title": "Application instituting proceedings",
        "filings-0-kind": Filing.Kind.APPLICATION,
        "filings-0-date": "2023-12-29",
        "filings-0-language": Filing.Language.EN,
        "filings-0-url": "https://www.icj-cij.org/sites/default/files/case-related/192/192-20231228-app-01-00-en.pdf",
    }
    # The rows a browser sends untouched: only their defaults, which add nothing.
    data |= management("events", 1) | {"events-0-precision": Event.Precision.DAY}
    data |= management("warrants", 1) | {"warrants-0-status": Warrant.Status.OUTSTANDING}
    data |= management("relations_from", 1) | {"relations_from-0-kind": CaseRelation.Kind.RELATED}
    data |= management("sources", 1) | {
        "sources-0-adapter": "icj",
        "sources-0-url": "https://www.icj-cij.org/case/192",
        "sources-0-enabled": "on",
    }

    response = editor.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    case = Case.objects.get(slug="south-africa-v-israel")
    assert [(p.party, p.role) for p in case.participations.all()] == [(applicant, "applicant")]
    filing = case.filings.get()
    assert (filing.title, filing.kind, filing.date) == (
        "Application instituting proceedings",
        "application",
        datetime.date(2023, 12, 29),
    )
    assert not case.events.exists() and not case.warrants.exists() and not case.relations_from.exists()
    assert [(s.adapter, s.url, s.enabled) for s in case.sources.all()] == [
        ("icj", "https://www.icj-cij.org/case/192", True)
    ]
    assert not case.status_set_by_staff  # a new case's status is where the source takes over
    assert case.history.get().history_user == editor.user
    assert filing.history.get().history_user == editor.user


def test_case_form_reports_a_stage_that_does_not_fit(editor):
    data = case_form(CourtFactory(), stage="trial", _save="Save")
    for prefix in INLINE_PREFIXES:
        data |= management(prefix, 0)
    response = editor.post(admin_url(Case, "add"), data)
    assert response.status_code == 200
    assert "stage" in response.context["adminform"].form.errors
    assert not Case.objects.exists()


def test_case_page_saves_untouched_without_changing_anything(editor):
    case = full_case()
    warrant = case.warrants.get()
    url = admin_url(Case, "change", case.pk)
    response = editor.post(url, page_data(editor.get(url)) | {"_save": "Save"})
    assert response.status_code == 302
    assert case.history.count() == 2
    assert (case.participations.count(), case.filings.count(), case.events.count()) == (1, 1, 1)
    assert case.relations_from.count() == 1 and case.relations_to.count() == 1
    warrant.refresh_from_db()
    assert warrant.filing is not None


def test_warrant_rows_offer_the_situations_filings_and_keep_their_link(editor):
    case = full_case()
    situation_filing = FilingFactory(case=case.parent, title="Warrant filed in the situation")
    elsewhere = FilingFactory(title="Filed in an unrelated record")
    warrant = case.warrants.get()
    warrant.filing = elsewhere
    warrant.save()
    url = admin_url(Case, "change", case.pk)
    page = editor.get(url)
    formsets = {inline.formset.prefix: inline.formset for inline in page.context["inline_admin_formsets"]}
    choices = set(formsets["warrants"].forms[0].fields["filing"].queryset)
    assert choices == {*case.filings.all(), situation_filing, elsewhere}
    assert editor.post(url, page_data(page) | {"_save": "Save"}).status_code == 302
    warrant.refresh_from_db()
    assert warrant.filing == elsewhere


def test_a_filing_url_given_twice_is_refused_not_crashed(editor):
    case = FilingFactory(url="https://court.example/files/known.pdf").case
    url = admin_url(Case, "change", case.pk)
    page = page_data(editor.get(url)) | {"_save": "Save", "filings-TOTAL_FORMS": "3"}
    for i, filing_url in enumerate(
        ["https://x.example/a.pdf", "https://x.example/a.pdf", "https://court.example/files/known.pdf"]
    ):
        page |= {f"filings-{i}-title": f"Copy {i}", f"filings-{i}-kind": "order", f"filings-{i}-url": filing_url}
    response = editor.post(url, page)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.errors
    assert errors == [
        {},
        {"url": ["Another new filing has this URL."]},
        {"url": ["This case already has a filing at this URL."]},
    ]
    assert case.filings.count() == 1


# Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, model):
    url = admin_url(model, "changelist")
    for _ in range(3):
        ROW[model]()
    admin_client.get(url)
    with CaptureQueriesContext(connection) as three:
        admin_client.get(url)
    assert len(three) <= 12, [q["sql"] for q in three]
    for _ in range(27):
        ROW[model]()
    with django_assert_max_num_queries(len(three)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count >= 30


# Access and history -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=ids)
def test_anonymous_users_are_sent_to_log_in(client, model):
    url = admin_url(model, "changelist")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_is_refused(client):
    client.force_login(User.objects.create_user("reader", password="x", is_staff=True))
    assert client.get(admin_url(Case, "changelist")).status_code == 403


def test_case_history_shows_who_changed_what(editor):
    case = full_case()
    url = admin_url(Case, "change", case.pk)
    data = page_data(editor.get(url)) | {"stage": "in_custody", "_save": "Save"}
    assert editor.post(url, data).status_code == 302

    response = editor.get(admin_url(Case, "history", case.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "editor" in content
    assert "in_custody" in content
    record = case.history.first()
    assert record.history_user == editor.user
    assert editor.get(reverse("admin:cases_case_simple_history", args=[case.pk, record.pk])).status_code == 200


@pytest.mark.parametrize("model", [Filing, Warrant], ids=ids)
def test_filing_and_warrant_history_pages(admin_client, model):
    row = ROW[model]()
    assert admin_client.get(admin_url(model, "history", row.pk)).status_code == 200


# "View on site" ---------------------------------------------------------------------------------


def public_page(request, **kwargs):
    return HttpResponse("public page")


PUBLIC_PAGES = [
    path("cases/<slug:slug>/", public_page, name="case"),
    path("courts/<str:code>/", public_page, name="court"),
    path("persons/<slug:slug>/", public_page, name="person"),
]


class WithPublicPages:
    """A URLconf (any object with urlpatterns will do) with the public pages in place."""

    urlpatterns = [path("admin/", admin.site.urls), path("", include((PUBLIC_PAGES, "cases")))]


class WithoutPublicPages:
    urlpatterns = [path("admin/", admin.site.urls)]


@pytest.mark.parametrize(
    ("make", "public_url"),
    [
        (lambda: CaseFactory(slug="a-case"), "/cases/a-case/"),
        (lambda: CourtFactory(code="ICJ"), "/courts/icj/"),
        (lambda: PersonFactory(slug="some-one"), "/persons/some-one/"),
    ],
)
def test_view_on_site_links_the_public_page(admin_client, settings, make, public_url):
    settings.ROOT_URLCONF = WithPublicPages
    row = make()
    response = admin_client.get(admin_url(type(row), "change", row.pk))
    assert f'href="{public_url}"' in response.content.decode()


def test_view_on_site_is_hidden_while_public_pages_are_missing(admin_client, settings):
    settings.ROOT_URLCONF = WithoutPublicPages
    case = full_case()
    response = admin_client.get(admin_url(Case, "change", case.pk))
    assert response.status_code == 200
    assert b"View on site" not in response.content


# Sources -----------------------------------------------------------------------------------------


def source_formset(response):
    return {inline.formset.prefix: inline.formset for inline in response.context["inline_admin_formsets"]}["sources"]


def test_source_rows_choose_among_the_registered_adapters(admin_client):
    case = CaseFactory(official_url="https://www.icj-cij.org/case/192")
    source_row(case=case, url="https://www.icj-cij.org/case/192")
    response = admin_client.get(admin_url(Case, "change", case.pk))
    formset = source_formset(response)
    choices = dict(formset.empty_form.fields["adapter"].choices)
    assert {"icj", "icc", "hudoc"} <= set(choices)
    assert choices["icj"].startswith("ICJ:")
    assert formset.forms[0]["adapter"].value() == "icj"
    assert "https://www.icj-cij.org/case/192" in response.content.decode()


@pytest.mark.parametrize(
    ("official_url", "adapter"),
    [
        ("https://www.icj-cij.org/case/192", "icj"),
        ("https://www.icc-cpi.int/palestine", "icc"),
        ("https://court.example/case/1", ""),
        ("", ""),
    ],
)
def test_a_new_source_row_starts_with_the_adapter_for_the_official_url(admin_client, official_url, adapter):
    case = CaseFactory(official_url=official_url)
    formset = source_formset(admin_client.get(admin_url(Case, "change", case.pk)))
    assert formset.forms[0]["adapter"].value() == (adapter or None)
    # On the add page, from the official URL in the address (as "Track as a new case" passes it).
    add = admin_client.get(admin_url(Case, "add"), {"official_url": official_url})
    assert source_formset(add).forms[0]["adapter"].value() == (adapter or None)


def test_an_untouched_prefilled_source_row_adds_nothing(editor):
    case = full_case()
    case.official_url = "https://www.icc-cpi.int/palestine"
    case.save()
    url = admin_url(Case, "change", case.pk)
    assert editor.post(url, page_data(editor.get(url)) | {"_save": "Save"}).status_code == 302
    assert not case.sources.exists()


@pytest.mark.parametrize(
    ("adapter", "url", "field", "message"),
    [
        ("icj", "https://evil.example/case/1", "url", "evil.example is not a court&#x27;s site we read"),
        ("nope", "https://www.icj-cij.org/case/1", "adapter", "No adapter is registered as “nope”"),
        ("icc", "https://www.icj-cij.org/case/1", "url", "The icc adapter reads pages on www.icc-cpi.int"),
    ],
)
def test_a_source_needs_a_court_host_and_a_registered_adapter(editor, adapter, url, field, message):
    response = editor.post(admin_url(Source, "add"), {"adapter": adapter, "url": url, "enabled": "on"})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert message in response.content.decode()
    assert not Source.objects.filter(url=url).exists()

    case = CaseFactory()
    change = admin_url(Case, "change", case.pk)
    data = page_data(editor.get(change)) | {"_save": "Save", "sources-0-adapter": adapter, "sources-0-url": url}
    response = editor.post(change, data)
    assert response.status_code == 200
    assert field in source_formset(response).errors[0]
    assert not case.sources.exists()


def test_a_source_on_a_court_host_is_saved(editor):
    case = CaseFactory()
    data = {"case": case.pk, "adapter": "hudoc", "url": "hudoc.echr.coe.int/app/query/results?query=x", "enabled": "on"}
    assert editor.post(admin_url(Source, "add"), data).status_code == 302
    source = Source.objects.get(case=case)
    assert (source.adapter, source.url) == ("hudoc", "https://hudoc.echr.coe.int/app/query/results?query=x")


def test_the_case_page_lists_its_sources_with_their_last_outcome(admin_client):
    case = CaseFactory()
    source_row(case=case, last_checked_at=timezone.now(), last_outcome="blocked")
    content = admin_client.get(admin_url(Case, "change", case.pk)).content.decode()
    assert '<strong class="outcome-trouble">Blocked</strong>' in content


# "Refresh now" -----------------------------------------------------------------------------------


# Tasks are queued on commit: these tests commit, as a request does, so that the callbacks run in the request.
# (Serialised rollback restores what the migrations wrote, such as the listings' sources.)
commits = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def delay():
    with mock.patch("cases.tasks.refresh_case.delay") as delay:
        yield delay


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def run_action(client, model, action, rows, **extra):
    data = {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [row.pk for row in rows]} | extra
    return client.post(admin_url(model, "changelist"), data, follow=True)


@commits
def test_refresh_action_queues_each_case_with_a_source(editor, delay):
    first, second = source_row().case, source_row().case
    concluded = source_row(case=CaseFactory(status="concluded", concluded_on=datetime.date(2025, 1, 1))).case
    without = CaseFactory(short_title_en="No source here")
    source_row(case=CaseFactory(short_title_en="Disabled only"), enabled=False)
    disabled_only = Case.objects.get(short_title_en="Disabled only")

    response = run_action(editor, Case, "refresh_now", [first, second, concluded, without, disabled_only])

    assert response.status_code == 200
    assert sorted(call.args for call in delay.call_args_list) == sorted([(first.pk,), (second.pk,), (concluded.pk,)])
    assert ("success", "Refresh of 3 cases queued.") in messages_of(response)
    warning = dict(messages_of(response))["warning"]
    assert "No source here" in warning and "Disabled only" in warning


@commits
def test_refresh_action_when_the_broker_is_down_says_so(editor, delay):
    delay.side_effect = OperationalError("Error 111 connecting to localhost:6379. Connection refused.")
    case = source_row().case
    response = run_action(editor, Case, "refresh_now", [case])
    assert response.status_code == 200
    assert messages_of(response) == [
        (
            "error",
            "The task queue is unavailable: refresh not queued. "
            "(Error 111 connecting to localhost:6379. Connection refused.)",
        )
    ]


@commits
def test_refresh_action_catches_whatever_the_transport_raises(editor, delay):
    delay.side_effect = ConnectionRefusedError("refused")
    response = run_action(editor, Case, "refresh_now", [source_row().case])
    assert response.status_code == 200
    assert messages_of(response)[0][0] == "error"


@commits
def test_refresh_button_on_the_case_page(editor, delay):
    case = source_row().case
    page = editor.get(admin_url(Case, "change", case.pk)).content.decode()
    refresh_url = reverse("admin:cases_case_refresh", args=[case.pk])
    assert f'action="{refresh_url}"' in page
    assert "Refresh now" in page

    response = editor.post(refresh_url, follow=True)
    assert response.redirect_chain == [(admin_url(Case, "change", case.pk), 302)]
    delay.assert_called_once_with(case.pk)
    assert ("success", "Refresh of 1 case queued.") in messages_of(response)


@commits
def test_refresh_button_is_post_only_and_checks_csrf(editor, delay):
    case = source_row().case
    refresh_url = reverse("admin:cases_case_refresh", args=[case.pk])
    assert editor.get(refresh_url).status_code == 405
    editor.handler.enforce_csrf_checks = True
    assert editor.post(refresh_url).status_code == 403
    delay.assert_not_called()


@commits
def test_refresh_button_when_the_broker_is_down(editor, delay):
    delay.side_effect = OperationalError("Connection refused")
    case = source_row().case
    response = editor.post(reverse("admin:cases_case_refresh", args=[case.pk]), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [
        ("error", "The task queue is unavailable: refresh not queued. (Connection refused)")
    ]


@commits
def test_refresh_needs_the_right_to_change_cases(client, delay):
    user = User.objects.create_user("reader", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_case"))
    client.force_login(user)
    case = source_row().case
    assert client.post(reverse("admin:cases_case_refresh", args=[case.pk])).status_code == 403
    page = client.get(admin_url(Case, "change", case.pk)).content.decode()
    assert "Refresh now" not in page
    delay.assert_not_called()


@commits
def test_refresh_of_an_unknown_case_redirects_with_a_message(editor, delay):
    response = editor.post(reverse("admin:cases_case_refresh", args=[987654]))
    assert response.status_code == 302
    delay.assert_not_called()


@commits
def test_source_refresh_action_queues_enabled_sources(editor):
    listing = Source.objects.create(case=None, adapter="icj-decisions", url="https://www.icj-cij.org/decisions")
    disabled = source_row(enabled=False)
    with mock.patch("cases.tasks.refresh_source.delay") as delay:
        response = run_action(editor, Source, "refresh_now", [listing, disabled])
    delay.assert_called_once_with(listing.pk)
    assert ("success", "Refresh of 1 source queued.") in messages_of(response)


@pytest.fixture
def broker():
    """Point the Celery app at another broker for one test, then back."""
    from tracker.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options

    def reset_pools():
        """Connections made for one broker URL must not be reused for another."""
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    def use(url):
        reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options = url, {}
        return app

    yield use
    reset_pools()
    app.conf.broker_url, app.conf.broker_transport_options = saved


@commits
def test_refresh_queues_a_real_message_on_the_memory_broker(editor, broker):
    app = broker("memory://")
    case = source_row().case
    response = editor.post(reverse("admin:cases_case_refresh", args=[case.pk]), follow=True)
    assert ("success", "Refresh of 1 case queued.") in messages_of(response)
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        message = queue.get(timeout=2)
        message.ack()
        queue.close()
    assert message.headers["task"] == "cases.tasks.refresh_case"
    assert message.payload[0] == [case.pk]


@commits
def test_refresh_with_an_unreachable_redis_is_a_message_not_a_500(editor, broker):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker(f"redis://127.0.0.1:{port}/0")
    case = source_row().case
    response = editor.post(reverse("admin:cases_case_refresh", args=[case.pk]), follow=True)
    assert response.status_code == 200
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("The task queue is unavailable: refresh not queued. (")


# Status set by staff, and what the source says ---------------------------------------------------------------


def test_changing_the_status_by_hand_keeps_it_from_the_tasks(editor):
    case = CaseFactory()
    url = admin_url(Case, "change", case.pk)
    response = editor.post(
        url, page_data(editor.get(url)) | {"stage": "oral_proceedings", "_save": "Save"}, follow=True
    )
    case.refresh_from_db()
    assert case.status_set_by_staff
    assert any("kept as set here" in text for _, text in messages_of(response))


def test_saving_without_touching_the_status_leaves_it_to_the_tasks(editor):
    case = CaseFactory()
    url = admin_url(Case, "change", case.pk)
    editor.post(url, page_data(editor.get(url)) | {"summary": "A new summary.", "_save": "Save"})
    case.refresh_from_db()
    assert case.summary == "A new summary."
    assert not case.status_set_by_staff


def test_staff_can_release_the_status_to_the_tasks(editor):
    case = CaseFactory(status_set_by_staff=True)
    url = admin_url(Case, "change", case.pk)
    data = page_data(editor.get(url)) | {"_save": "Save"}
    del data["status_set_by_staff"]
    editor.post(url, data)
    case.refresh_from_db()
    assert not case.status_set_by_staff
    # Even when the stage changes in the same save: staff said so explicitly.
    case.status_set_by_staff = True
    case.save()
    data = page_data(editor.get(url)) | {"stage": "deliberation", "_save": "Save"}
    del data["status_set_by_staff"]
    editor.post(url, data)
    case.refresh_from_db()
    assert (case.stage, case.status_set_by_staff) == ("deliberation", False)


def test_the_case_page_shows_what_the_source_says(admin_client):
    agrees = CaseFactory(source_status="pending", source_stage="written_proceedings")
    content = admin_client.get(admin_url(Case, "change", agrees.pk)).content.decode()
    assert "At the source" in content
    assert "Pending, Written proceedings — as above" in content

    differs = CaseFactory(status_set_by_staff=True, source_status="concluded", source_stage="judgment_delivered")
    content = admin_client.get(admin_url(Case, "change", differs.pk)).content.decode()
    assert '<strong class="disagrees">Concluded, Judgment delivered</strong>' in content

    unread = CaseFactory()
    assert (
        "No status or stage read from the source yet."
        in admin_client.get(admin_url(Case, "change", unread.pk)).content.decode()
    )


def test_changelist_filters_cases_that_disagree_with_the_source(admin_client):
    status_differs = CaseFactory(source_status="concluded")
    stage_differs = CaseFactory(source_stage="deliberation")
    agrees = CaseFactory(source_status="pending", source_stage="written_proceedings")
    unread = CaseFactory()
    url = admin_url(Case, "changelist")
    assert set(admin_client.get(url, {"disagrees": "yes"}).context["cl"].result_list) == {
        status_differs,
        stage_differs,
    }
    assert set(admin_client.get(url, {"disagrees": "no"}).context["cl"].result_list) == {agrees, unread}


# Source checks -----------------------------------------------------------------------------------


def test_source_checks_are_read_only(admin_client):
    check = check_row()
    assert admin_client.get(admin_url(SourceCheck, "add")).status_code == 403
    response = admin_client.get(admin_url(SourceCheck, "change", check.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.post(admin_url(SourceCheck, "change", check.pk), {"error": "x"}).status_code == 403


def test_source_check_list_shows_and_filters(admin_client):
    failed = check_row(error="Server error " + "x" * 300)
    fine = check_row(outcome=SourceCheck.Outcome.UNCHANGED, http_status=304, error="")
    other_court = check_row(source=source_row(case=CaseFactory(court=CourtFactory(code="ICC"))))
    url = admin_url(SourceCheck, "changelist")
    response = admin_client.get(url)
    content = response.content.decode()
    assert f'href="{failed.url}"' in content
    assert '<strong class="outcome-trouble">Failed</strong>' in content
    assert "x" * 300 not in content  # the error is cut short
    assert set(admin_client.get(url, {"outcome": "failed"}).context["cl"].result_list) == {failed, other_court}
    assert list(admin_client.get(url, {"outcome": "unchanged"}).context["cl"].result_list) == [fine]
    icc = Court.objects.get(code="ICC")
    assert list(admin_client.get(url, {"case__court__id__exact": icc.pk}).context["cl"].result_list) == [other_court]
    assert list(admin_client.get(url, {"q": "Server error"}).context["cl"].result_list) == [failed]


def test_the_case_page_shows_its_latest_ten_checks_in_one_query(admin_client, django_assert_max_num_queries):
    case = CaseFactory()
    source = source_row(case=case)
    check_row(source=source, error="first failure")
    url = admin_url(Case, "change", case.pk)
    with CaptureQueriesContext(connection) as one:
        content = admin_client.get(url).content.decode()
    assert "first failure" in content
    for n in range(14):
        check_row(source=source, outcome=SourceCheck.Outcome.CHANGED, new_filings=n, error="", http_status=200)
    with django_assert_max_num_queries(len(one)):
        content = admin_client.get(url).content.decode()
    start = content.index('<table class="recent-checks">')
    table = content[start : content.index("</table>", start)]
    assert table.count("<tr>") == 11  # the header and ten checks
    assert "first failure" not in table
    assert f"{admin_url(SourceCheck, 'changelist')}?case__id__exact={case.pk}" in content


def test_case_changelist_shows_when_each_case_was_last_checked(admin_client):
    case = CaseFactory(short_title_en="Checked case")
    when = timezone.now() - datetime.timedelta(hours=2)
    source_row(case=case, last_checked_at=when - datetime.timedelta(days=1), last_outcome="unchanged")
    source_row(case=case, last_checked_at=when, last_outcome="failed")
    CaseFactory(short_title_en="Never checked")
    response = admin_client.get(admin_url(Case, "changelist"), {"o": "9"})  # sorted by last checked
    rows = {row.short_title_en: row for row in response.context["cl"].result_list}
    assert rows["Checked case"].last_checked_at == when
    assert rows["Checked case"].last_checked_outcome == "failed"
    assert rows["Never checked"].last_checked_at is None
    assert '<strong class="outcome-trouble">Failed</strong>' in response.content.decode()


# Discovered cases --------------------------------------------------------------------------------


def test_discovered_cases_are_not_added_by_hand(admin_client):
    assert admin_client.get(admin_url(DiscoveredCase, "add")).status_code == 403


def test_mark_discovered_cases_ignored_and_back(editor):
    first, second = discovered_row(), discovered_row()
    response = run_action(editor, DiscoveredCase, "mark_ignored", [first, second])
    assert ("success", "2 cases ignored.") in messages_of(response)
    assert set(DiscoveredCase.objects.values_list("decision", flat=True)) == {"ignored"}
    url = admin_url(DiscoveredCase, "changelist")
    assert set(editor.get(url, {"decision__exact": "ignored"}).context["cl"].result_list) == {first, second}
    run_action(editor, DiscoveredCase, "mark_to_review", [first])
    first.refresh_from_db()
    assert first.decision == "new"


def test_track_a_discovered_case_through_the_prefilled_case_form(editor):
    discovered = discovered_row(title="Obligations of Israel (Advisory Opinion)", reference="196")
    response = run_action(editor, DiscoveredCase, "track_as_new_case", [discovered])
    add_url = response.redirect_chain[-1][0]
    assert add_url.startswith(admin_url(Case, "add") + "?")
    form = response.context["adminform"].form
    assert form["court"].value() == str(discovered.court_id)
    assert form["reference"].value() == "196"
    assert form["title_en"].value() == "Obligations of Israel (Advisory Opinion)"
    assert form["official_url"].value() == discovered.url
    assert source_formset(response).forms[0]["adapter"].value() == "icj"

    data = page_data(response) | {
        "kind": Case.Kind.ADVISORY,
        "stage": "",
        "slug": "obligations-of-israel",
        "short_title_en": "Obligations of Israel",
        "sources-0-url": discovered.url,
        "_save": "Save",
    }
    assert editor.post(add_url, data).status_code == 302
    case = Case.objects.get(slug="obligations-of-israel")
    assert list(case.sources.values_list("adapter", "url")) == [("icj", discovered.url)]
    discovered.refresh_from_db()
    assert (discovered.decision, discovered.case) == ("tracked", case)


def test_track_one_discovered_case_at_a_time(editor):
    response = run_action(editor, DiscoveredCase, "track_as_new_case", [discovered_row(), discovered_row()])
    assert response.redirect_chain[-1][0].startswith(admin_url(DiscoveredCase, "changelist"))
    assert ("warning", "Choose one discovered case at a time to track.") in messages_of(response)


def test_linking_a_discovered_case_by_hand_marks_it_tracked(editor):
    discovered = discovered_row()
    case = CaseFactory()
    url = admin_url(DiscoveredCase, "change", discovered.pk)
    assert editor.post(url, {"decision": "new", "case": case.pk, "_save": "Save"}).status_code == 302
    discovered.refresh_from_db()
    assert (discovered.decision, discovered.case) == ("tracked", case)


def test_attaching_a_copy_queues_its_text_extraction(
    admin_client, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases import tasks

    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr(tasks.extract_filing_text, "delay", lambda filing_id: queued.append(filing_id))
    filing = FilingFactory()
    url = reverse("admin:cases_filing_change", args=[filing.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "document"}
    data |= {"case": filing.case_id, "document": SimpleUploadedFile("order.pdf", b"%PDF-1.4 sample")}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200, response.content[:500]
    assert queued == [filing.pk]
