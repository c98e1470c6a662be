"""The admin as staff use it: every list, filter, search and form renders, a case goes in on one page,
and the lists cost the same number of queries however many rows they show."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.forms import CheckboxInput
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from cases.models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, SeedRecord, Warrant

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
}

MODELS = list(ROW)

# The inline formsets of the case page, by prefix (the related_name of each foreign key).
INLINE_PREFIXES = ("participations", "filings", "events", "warrants", "relations_from")
EDITABLE = [model for model in MODELS if model is not SeedRecord]


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
