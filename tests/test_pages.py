"""The public pages: what each shows, the case list's filters, redirects, errors and escaping."""

import datetime
import re
from html import escape
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from cases.citations import BLUEBOOK, OSCOLA, filing_citation
from cases.models import Case, Event, Filing, Participation, Party, Source, SourceCheck, Warrant
from cases.querysets import _history_with_previous, case_changes
from cases.services import SEED_DIR
from cases.templatetags.cases_tags import fuzzy_date
from tests.factories import (
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

TODAY = datetime.date(2025, 6, 2)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def today():
    """Pages say what is upcoming: fix "today". Time ticks, so history records keep their order."""
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)):
        yield TODAY


@pytest.fixture
def icj():
    return CourtFactory(
        code="ICJ",
        name_en="International Court of Justice",
        name_fr="Cour internationale de Justice",
        website="https://www.icj-cij.org/",
    )


@pytest.fixture
def icc():
    return CourtFactory(
        code="ICC", name_en="International Criminal Court", name_fr="Cour pénale internationale", website=""
    )


@pytest.fixture
def gaza(icj):
    case = CaseFactory(
        court=icj,
        reference="192",
        slug="south-africa-v-israel",
        title_en="Application of the Genocide Convention in the Gaza Strip (South Africa v. Israel)",
        short_title_en="South Africa v. Israel",
        stage="written_proceedings",
        status_changed_on=datetime.date(2024, 4, 5),
        instituted_on=datetime.date(2023, 12, 29),
        summary="South Africa instituted proceedings.\n\nThe Court indicated provisional measures.",
        source_url="https://www.icj-cij.org/case/192",
    )
    ParticipationFactory(case=case, party=PartyFactory(name="South Africa", slug="south-africa"), role="applicant")
    ParticipationFactory(case=case, party=PartyFactory(name="Israel", slug="israel"), role="respondent")
    ParticipationFactory(
        case=case,
        party=PartyFactory(name="Nicaragua", slug="nicaragua"),
        role=Participation.Role.INTERVENER_ART_62,
        joined_on=datetime.date(2024, 1, 23),
        withdrawn_on=datetime.date(2025, 4, 2),
        source_url="",
        source_note="justiceandpower.com, 3 Apr 2025",
    )
    order = FilingFactory(
        case=case,
        title="Order of 26 January 2024",
        kind=Filing.Kind.ORDER,
        date=datetime.date(2024, 1, 26),
        reference="192-20240126-ORD-01-00-EN",
        language="en",
        url="https://www.icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf",
    )
    EventFactory(
        case=case,
        kind=Event.Kind.HEARING,
        title="Public hearings on provisional measures",
        date=datetime.date(2024, 1, 11),
        end_date=datetime.date(2024, 1, 12),
    )
    EventFactory(case=case, kind=Event.Kind.ORDER, title="Order on provisional measures", filing=order)
    EventFactory(
        case=case,
        kind=Event.Kind.INTERVENTION,
        title="Bolivia files a declaration",
        date=datetime.date(2024, 10, 1),
        precision=Event.Precision.MONTH,
    )
    EventFactory(
        case=case,
        kind=Event.Kind.OTHER,
        title="Something in 2023",
        date=datetime.date(2023, 1, 1),
        precision=Event.Precision.YEAR,
        source_url="",
        source_note="Reported by a newspaper",
    )
    EventFactory(
        case=case,
        kind=Event.Kind.DEADLINE,
        title="Time-limit for the Counter-Memorial",
        date=datetime.date(2026, 3, 12),
    )
    return case


def get(client, name, *args, **query):
    return client.get(reverse(f"cases:{name}", args=args), query)


def titles(response):
    return [case.short_title_en for case in response.context["cases"]]


# Base layout


def test_layout_is_accessible_and_marks_the_language(client, gaza):
    html = get(client, "home").content.decode()
    assert '<html lang="en"' in html
    assert '<meta name="viewport"' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html and "<nav" in html
    assert "official sites" in html
    assert "/static/css/site.css" in html
    assert f'href="{reverse("cases:case_list")}"' in html


def test_the_active_language_sets_html_lang(client, gaza):
    response = client.get(reverse("cases:home"), headers={"accept-language": "fr"})
    assert '<html lang="fr"' in response.content.decode()


# Home


def test_home_shows_latest_changes_upcoming_events_and_courts(client, gaza, icc):
    FilingFactory(case=gaza, title="Newly found order", url="https://www.icj-cij.org/new.pdf")
    response = get(client, "home")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Time-limit for the Counter-Memorial" in html  # upcoming
    assert "12 March 2026" in html
    assert "Order on provisional measures" in html  # recent
    assert "Newly found order" in html
    assert 'href="https://www.icj-cij.org/new.pdf" rel="noopener external"' in html
    assert f'href="{gaza.get_absolute_url()}"' in html
    assert "1 case, 1 pending" in html  # the ICJ
    assert "0 cases" in html  # the ICC
    assert f'href="{reverse("cases:court", args=["icc"])}"' in html


def test_home_renders_with_no_data(client):
    response = get(client, "home")
    assert response.status_code == 200
    assert "No hearing or deadline is scheduled" in response.content.decode()


# Case list


@pytest.fixture
def docket(icj, icc):
    """Four cases that differ in every filtered field."""
    state = PartyFactory(name="Ukraine", slug="ukraine")
    person_party = PartyFactory(name="Rodrigo Duterte", slug="duterte", kind=Party.Kind.PERSON)
    cases = {
        "Alpha": CaseFactory(
            court=icj, short_title_en="Alpha", title_en="Alpha v. Beta", instituted_on=datetime.date(2022, 2, 26)
        ),
        "Bravo": CaseFactory(
            court=icj,
            short_title_en="Bravo",
            title_en="Bravo",
            kind=Case.Kind.ADVISORY,
            stage="opinion_delivered",
            status=Case.Status.CONCLUDED,
            instituted_on=datetime.date(2023, 3, 29),
            concluded_on=datetime.date(2025, 7, 23),
        ),
        "Charlie": CaseFactory(
            court=icc,
            short_title_en="Charlie",
            title_en="Charlie",
            kind=Case.Kind.CASE,
            stage="trial",
            instituted_on=datetime.date(2025, 3, 7),
        ),
        "Delta": CaseFactory(court=icc, short_title_en="Delta", title_en="delta", instituted_on=None, stage=""),
    }
    ParticipationFactory(case=cases["Alpha"], party=state)
    ParticipationFactory(case=cases["Charlie"], party=person_party, role=Participation.Role.SUSPECT)
    ParticipationFactory(case=cases["Charlie"], party=state, role=Participation.Role.PARTICIPANT)
    return cases


def test_case_list_shows_every_case_newest_first(client, docket):
    response = get(client, "case_list")
    assert response.status_code == 200
    assert titles(response) == ["Charlie", "Bravo", "Alpha", "Delta"]
    html = response.content.decode()
    assert "4 cases" in html
    assert "General List No." in html


def test_case_list_form_has_labels_and_a_submit_button(client, docket):
    html = get(client, "case_list").content.decode()
    for name in ("court", "kind", "status", "party", "year", "sort"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html
    assert '<button type="submit">' in html
    assert 'method="get"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"court": "icc"}, ["Charlie", "Delta"]),
        ({"court": "ICJ"}, ["Bravo", "Alpha"]),
        ({"kind": "advisory"}, ["Bravo"]),
        ({"status": "concluded"}, ["Bravo"]),
        ({"status": "pending", "court": "icj"}, ["Alpha"]),
        ({"party": "ukraine"}, ["Charlie", "Alpha"]),
        ({"party": "duterte"}, ["Charlie"]),
        ({"year": "2023"}, ["Bravo"]),
        ({"sort": "oldest"}, ["Alpha", "Bravo", "Charlie", "Delta"]),
        ({"sort": "title"}, ["Alpha", "Bravo", "Charlie", "Delta"]),
        ({"sort": "newest", "court": "icc"}, ["Charlie", "Delta"]),
    ],
)
def test_case_list_filters(client, docket, query, expected):
    response = get(client, "case_list", **query)
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert titles(response) == expected


def test_case_list_sorts_by_recent_activity(client, docket):
    FilingFactory(case=docket["Delta"])  # found now, later than every record's own last edit
    response = get(client, "case_list", sort="updated")
    assert titles(response)[0] == "Delta"


def test_party_select_groups_states_and_organisations_and_a_person_still_filters(client, docket):
    PartyFactory(name="United Nations General Assembly", slug="unga", kind=Party.Kind.ORGANISATION)
    html = get(client, "case_list").content.decode()
    assert '<optgroup label="States">' in html
    assert '<optgroup label="Organisations">' in html
    assert '<option value="unga">United Nations General Assembly</option>' in html
    # Persons have pages of their own: thousands of them would swamp the select.
    assert '<optgroup label="Persons">' not in html
    assert 'value="duterte"' not in html
    response = get(client, "case_list", party="duterte")
    assert not response.context["form"].errors
    assert response.context["form"].cleaned_data["party"] == "duterte"


@pytest.mark.parametrize(
    "query",
    [
        {"court": "nope"},
        {"kind": "banana"},
        {"status": "asleep"},
        {"party": "nobody"},
        {"year": "abc"},
        {"year": "1800"},
        {"sort": "random"},
        {"court": "icc", "year": "x" * 500},
    ],
)
def test_a_bad_filter_shows_its_error_and_the_whole_list(client, docket, query):
    response = get(client, "case_list", **query)
    assert response.status_code == 200
    assert response.context["form"].errors
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Select a valid choice" in html
    assert 'aria-invalid="true"' in html
    assert titles(response) == ["Charlie", "Bravo", "Alpha", "Delta"]


def test_case_list_paginates_by_25_and_page_links_keep_the_filters(client, icj, icc):
    CaseFactory.create_batch(30, court=icc)
    CaseFactory.create_batch(3, court=icj)
    first = get(client, "case_list", court="icc", sort="title")
    assert len(first.context["cases"]) == 25
    html = first.content.decode()
    assert "30 cases" in html
    assert 'href="?court=icc&amp;sort=title&amp;page=2"' in html
    assert 'aria-current="page"' in html

    second = get(client, "case_list", court="icc", sort="title", page="2")
    assert second.status_code == 200
    assert len(second.context["cases"]) == 5
    assert 'href="?court=icc&amp;sort=title&amp;page=1"' in second.content.decode()


@pytest.mark.parametrize("page", ["99", "abc", "-1", ""])
def test_a_bad_page_number_does_not_crash(client, docket, page):
    response = get(client, "case_list", page=page)
    assert response.status_code == 200
    assert response.context["cases"]


# Case page


def test_case_page_shows_the_case(client, gaza):
    response = get(client, "case", gaza.slug)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>South Africa v. Israel</h1>" in html
    assert "Application of the Genocide Convention in the Gaza Strip" in html
    assert "General List No. 192" in html
    assert "International Court of Justice" in html
    assert "Written proceedings" in html
    assert 'since <time datetime="2024-04-05">5 April 2024</time>' in html
    assert "<p>The Court indicated provisional measures.</p>" in html
    assert 'href="https://www.icj-cij.org/case/192" rel="noopener external"' in html  # the status's source


def test_case_page_groups_parties_by_role_with_intervention_dates(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    applicant, respondent, intervener = (
        html.index("<dt>Applicant</dt>"),
        html.index("<dt>Respondent</dt>"),
        html.index("<dt>Intervener (Article 62)</dt>"),
    )
    assert applicant < respondent < intervener
    assert 'filed on <time datetime="2024-01-23">23 January 2024</time>' in html
    assert 'withdrawn on <time datetime="2025-04-02">2 April 2025</time>' in html
    assert "justiceandpower.com, 3 Apr 2025" in html  # a source note, as text


def test_case_page_timeline_dates_follow_their_precision(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    assert '<time datetime="2024-01-26">26 January 2024</time>' in html
    assert '<time datetime="2024-10">October 2024</time>' in html
    assert '<time datetime="2023">2023</time>' in html
    # A hearing over two days: "11–12 January 2024".
    assert '<time datetime="2024-01-11">11</time><span aria-hidden="true">–</span>' in html
    assert '<time datetime="2024-01-12">12 January 2024</time>' in html
    # Past events come first; the deadline still ahead is marked.
    timeline = html[html.index('id="timeline-heading"') :]
    assert timeline.index("Something in 2023") < timeline.index("Time-limit for the Counter-Memorial")
    assert timeline.count("Upcoming") == 1
    assert timeline.index("Upcoming") > timeline.index("Bolivia files a declaration")


def test_case_page_lists_filings_with_official_links(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    assert (
        'href="https://www.icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf" '
        'rel="noopener external"'
    ) in html
    assert "(external site)" in html
    assert "192-20240126-ORD-01-00-EN" in html
    assert "English" in html


def test_a_filing_without_a_web_url_is_text_not_a_link(client, gaza):
    FilingFactory(case=gaza, title="Letter from the Registrar", url="", source_url="")
    Filing.objects.filter(title="Letter from the Registrar").update(url="javascript:alert(1)")
    html = get(client, "case", gaza.slug).content.decode()
    assert "Letter from the Registrar" in html
    assert "javascript:" not in html  # not a link, and not cited either


def test_case_page_shows_situation_and_its_cases(client, icc):
    situation = CaseFactory(
        court=icc, kind=Case.Kind.SITUATION, stage="investigation", reference="ICC-01/18", short_title_en="Palestine"
    )
    case = CaseFactory(
        court=icc, kind=Case.Kind.CASE, stage="warrant_issued", parent=situation, short_title_en="Prosecutor v. X"
    )
    html = get(client, "case", situation.slug).content.decode()
    assert "Cases in this situation" in html
    assert f'href="{case.get_absolute_url()}"' in html
    html = get(client, "case", case.slug).content.decode()
    assert f'href="{situation.get_absolute_url()}"' in html
    assert "ICC-01/18" in html


def test_case_page_lists_warrants_with_person_links(client, icc):
    situation = CaseFactory(court=icc, kind=Case.Kind.SITUATION, stage="investigation")
    person = PersonFactory(name="Vladimir Putin", slug="putin")
    WarrantFactory(
        case=situation,
        person=person,
        issued_on=datetime.date(2023, 3, 17),
        under_seal=True,
        status=Warrant.Status.OUTSTANDING,
        status_on=datetime.date(2023, 3, 17),
        source_url="https://www.icc-cpi.int/news/putin",
    )
    html = get(client, "case", situation.slug).content.decode()
    assert "Warrants of arrest" in html
    assert f'href="{person.get_absolute_url()}">Vladimir Putin</a>' in html
    assert "Outstanding" in html
    assert "17 March 2023" in html
    assert ">Yes<" in html  # under seal
    assert 'href="https://www.icc-cpi.int/news/putin"' in html


def test_case_page_shows_related_cases_both_ways(client, gaza, icj):
    later = CaseFactory(court=icj, short_title_en="Nicaragua v. Germany")
    earlier = CaseFactory(court=icj, short_title_en="Bosnia v. Serbia")
    CaseRelationFactory(from_case=gaza, to_case=earlier, kind="same_instrument")
    CaseRelationFactory(from_case=later, to_case=gaza, kind="same_events")
    html = get(client, "case", gaza.slug).content.decode()
    assert "Under the same treaty" in html and "Bosnia v. Serbia" in html
    assert "Concerns the same events" in html and "Nicaragua v. Germany" in html


def test_what_changed_lists_history_of_the_case_its_filings_and_warrants(client, gaza):
    gaza.status, gaza.stage, gaza.concluded_on = Case.Status.CONCLUDED, "discontinued", datetime.date(2025, 6, 1)
    gaza.save()
    filing = gaza.filings.get()
    filing.title = "Order of 26 January 2024 (provisional measures)"
    filing.save()
    filing.link_status = Filing.LinkStatus.OK  # a link check only: not news
    filing.save()
    warrant = WarrantFactory(case=gaza, person=PersonFactory(name="Someone Accused"))
    warrant.status = Warrant.Status.EXECUTED
    warrant.save()
    FilingFactory(case=gaza, title="Soon gone").delete()

    response = get(client, "case", gaza.slug)
    html = response.content.decode()
    changes = response.context["changes"]
    assert [c.action for c in changes][:3] == ["-", "+", "~"]
    assert "Document removed</strong>: Soon gone" in html
    assert "Warrant updated</strong>: Someone Accused" in html
    assert "Executed: in custody" in html
    assert "Case updated" in html
    assert "Pending" in html and "Concluded" in html
    assert "Document updated</strong>: Order of 26 January 2024 (provisional measures)" in html
    assert sum(c.model == "filing" and c.action == "~" for c in changes) == 1  # the link check is left out


def test_what_changed_shows_at_most_twenty(client, gaza):
    FilingFactory.create_batch(30, case=gaza)
    response = get(client, "case", gaza.slug)
    assert len(response.context["changes"]) == 20


def test_what_changed_pairs_each_record_with_the_one_before_even_beyond_the_window(gaza):
    filing = gaza.filings.get()
    for title in ["B", "C", "D"]:
        filing.title = title
        filing.save()
    pairs = _history_with_previous(Filing.history.filter(case_id=gaza.pk), window=2)
    # The latest two records; the second's previous one is outside the window and still found.
    assert [(r.title, p.title) for r, p in pairs] == [("D", "C"), ("C", "B")]


def test_what_changed_looks_for_no_earlier_record_where_every_record_is_a_first(gaza, django_assert_num_queries):
    FilingFactory.create_batch(3, case=gaza)
    with django_assert_num_queries(1):
        pairs = _history_with_previous(Filing.history.filter(case_id=gaza.pk), window=10)
    assert len(pairs) == 4 and {p for _, p in pairs} == {None}


def test_what_changed_finds_the_record_before_a_document_moved_from_another_case(gaza):
    elsewhere = CaseFactory()
    filing = FilingFactory(case=elsewhere, title="Order")
    filing.case = gaza
    filing.save()
    [moved] = [c for c in case_changes(gaza) if c.model == "filing" and c.record.id == filing.pk]
    assert (moved.action, moved.label, moved.record.prev_record.case_id) == ("~", "Order", elsewhere.pk)
    assert [f.name for f in moved.fields] == ["case"]


# Reading the court's site: last checked, new and missing filings

NOW = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)


def checked(case, outcome, at, url="https://www.icj-cij.org/case/192"):
    source, _ = Source.objects.get_or_create(case=case, url=url, defaults={"adapter": "icj"})
    return SourceCheck.objects.create(source=source, case=case, url=url, outcome=outcome, checked_at=at)


def test_case_page_says_when_the_source_was_last_checked(client, gaza):
    checked(gaza, "failed", NOW - datetime.timedelta(days=1))
    checked(gaza, "unchanged", NOW - datetime.timedelta(minutes=30))
    checked(CaseFactory(), "changed", NOW)  # another case's
    html = get(client, "case", gaza.slug).content.decode()
    assert "<dt>Last checked</dt>" in html
    assert '<time datetime="2025-06-02T08:30:00+00:00">2 June 2025, 08:30 UTC</time> · no change' in html
    assert "could not be read" not in html


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        ("changed", "new information found"),
        ("failed", "the court's page could not be read"),
        ("blocked", "the court's site turned our reader away"),
        ("suspect", "the page looked incomplete, so nothing was changed"),
    ],
)
def test_last_check_outcome_in_words(client, gaza, outcome, text):
    checked(gaza, outcome, NOW - datetime.timedelta(hours=1))
    html = get(client, "case", gaza.slug).content.decode()
    assert f'<dd class="last-check last-check--{outcome}">' in html
    assert text in html


def test_a_case_never_checked_says_nothing_of_it(client, gaza):
    assert "Last checked" not in get(client, "case", gaza.slug).content.decode()


def filing_row(html, title):
    start = html.index(title)
    return html[start : html.index("</th>", start)]


def test_filings_first_seen_this_week_are_marked_new(client, gaza):
    for title, age in [("Seen today", 0), ("Seen six days ago", 6.9), ("Seen eight days ago", 8)]:
        FilingFactory(case=gaza, title=title, first_seen_at=NOW - datetime.timedelta(days=age))
    html = get(client, "case", gaza.slug).content.decode()
    new = '<span class="badge badge--new"'
    assert new in filing_row(html, "Seen today")
    assert new in filing_row(html, "Seen six days ago")
    assert new not in filing_row(html, "Seen eight days ago")
    assert 'title="First seen on 2 June 2025">New</span>' in html


def test_a_filing_no_longer_listed_says_since_when(client, gaza):
    FilingFactory(case=gaza, title="Withdrawn from the page", missing_since=datetime.date(2025, 5, 30))
    html = get(client, "case", gaza.slug).content.decode()
    row = filing_row(html, "Withdrawn from the page")
    assert 'no longer listed at the source since <time datetime="2025-05-30">30 May 2025</time>' in row
    assert "no longer listed" not in filing_row(html, "Order of 26 January 2024")


def test_unknown_case_is_a_friendly_404(client):
    response = get(client, "case", "no-such-case")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert f'href="{reverse("cases:case_list")}"' in html
    assert '<main id="main"' in html


def test_an_old_slug_redirects_permanently_to_the_current_one(client, gaza):
    gaza.slug = "south-africa-v-israel-genocide"
    gaza.save()
    gaza.slug = "south-africa-v-israel-gaza"
    gaza.save()
    for old in ("south-africa-v-israel", "south-africa-v-israel-genocide"):
        response = get(client, "case", old)
        assert response.status_code == 301
        assert response["Location"] == reverse("cases:case", args=["south-africa-v-israel-gaza"])
    assert get(client, "case", "south-africa-v-israel-gaza").status_code == 200


def test_the_slug_of_a_deleted_case_is_404(client, icj):
    case = CaseFactory(court=icj, slug="gone")
    case.delete()
    assert get(client, "case", "gone").status_code == 404


def test_data_from_court_sites_is_escaped(client, gaza):
    FilingFactory(case=gaza, title=XSS, reference=XSS)
    EventFactory(case=gaza, title=XSS, source_note=XSS)
    for response in (get(client, "case", gaza.slug), get(client, "home")):
        html = response.content.decode()
        assert XSS not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


# Timeline chart and "Cite this"

GAZA_OSCOLA = (
    "Application of the Genocide Convention in the Gaza Strip (South Africa v Israel) (ICJ, General List No 192) "
    "<https://court.example/case/192> accessed 2 June 2025"
)


def head(html):
    return html[: html.index("</head>")]


def between(html, start, end):
    first = html.index(start)
    return html[first : html.index(end, first)]


class _StartTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def start_tags(html):
    parser = _StartTags()
    parser.feed(html)
    return parser.found


def test_case_page_draws_the_timeline_as_an_accessible_svg(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    section = between(html, 'id="timeline-heading"', "</section>")
    svg = between(section, "<svg", "</svg>")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="tl__svg" role="img"' in svg
    assert 'viewBox="0 0 ' in svg
    assert '<title id="timeline-title">Timeline of South Africa v. Israel</title>' in svg
    assert '<desc id="timeline-desc">5 events from 1 January 2023 to 12 March 2026' in svg
    # The list of events stays, and is what the chart is described by.
    assert 'aria-describedby="timeline-desc timeline-list"' in svg
    assert '<ol class="timeline" id="timeline-list">' in section
    assert section.index("<svg") < section.index('id="timeline-list"')
    assert "<title>12 March 2026 – Deadline: Time-limit for the Counter-Memorial (upcoming)</title>" in svg
    assert "<title>October 2024, day not known – Intervention: Bolivia files a declaration</title>" in svg
    assert 'class="tl__scroll" tabindex="0" role="region"' in section
    legend = between(section, '<ul class="tl__legend"', "</ul>")
    for key in ("Hearing", "Order or decision", "Deadline", "Intervention", "Still to come", "Month or year only"):
        assert key in legend


def test_no_events_no_chart(client, icj):
    case = CaseFactory(court=icj)
    FilingFactory(case=case)
    html = get(client, "case", case.slug).content.decode()
    assert "<svg" not in html
    assert 'id="timeline-heading"' not in html


def test_a_hostile_event_title_is_escaped_inside_the_svg(client, gaza):
    EventFactory(case=gaza, title=XSS, date=datetime.date(2025, 1, 1))
    html = get(client, "case", gaza.slug).content.decode()
    svg = between(html, "<svg xmlns", "</svg>")
    assert XSS not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg


def test_cite_this_case_box(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    box = between(html, 'id="cite-heading"', "</section>")
    # The text a copy button copies, and the same text on the page, the case name in italics.
    assert f'data-copy="{escape(GAZA_OSCOLA)}"' in box
    assert (
        '<p class="cite__text" id="cite-case-oscola"><i>Application of the Genocide Convention in the Gaza Strip '
        "(South Africa v Israel)</i> (ICJ, General List No 192) "
        '&lt;<a href="https://court.example/case/192">https://court.example/case/192</a>&gt; accessed 2 June 2025</p>'
    ) in box
    assert "<dt>Bluebook</dt>" in box and 'id="cite-case-bluebook"' in box
    # Without JavaScript the buttons stay hidden: the text can still be selected.
    assert box.count('<button type="button" class="cite__copy"') == box.count(" hidden>") == 2
    assert '<span class="visually-hidden"> the OSCOLA citation</span>' in box
    assert 'id="copy-status" class="visually-hidden" role="status" aria-live="polite"' in box
    assert 'data-copied="Copied"' in box
    for fmt in ("bib", "ris", "json"):
        assert f'href="{reverse("cases:case_cite", args=[gaza.slug, fmt])}"' in box
    assert '<span class="Z3988" title="url_ver=Z39.88-2004&amp;' in box


def test_each_document_links_to_its_own_page_with_its_citation(client, gaza):
    FilingFactory(case=gaza, title="Memorial of South Africa", kind=Filing.Kind.WRITTEN_PLEADING)
    html = get(client, "case", gaza.slug).content.decode()
    filings = list(gaza.filings.select_related("case", "case__court"))
    assert len(filings) == 2
    # The case page carries the case's citation only; each document's is on the document's page.
    assert html.count('<span class="Z3988"') == 1
    for filing in filings:
        url = reverse("cases:filing", args=[gaza.slug, filing.pk])
        assert filing.get_absolute_url() == url
        assert f'<a class="small filing-cite" href="{url}">' in html
        page = client.get(url).content.decode()
        box = between(page, '<section id="cite"', "</section>")
        for style in (OSCOLA, BLUEBOOK):
            text = filing_citation(filing, style, accessed=TODAY)
            assert f'id="cite-filing-{filing.pk}-{style}"' in box
            assert f'data-copy="{escape(text)}"' in box
        for fmt in ("bib", "ris", "json"):
            assert f'href="{reverse("cases:filing_cite", args=[gaza.slug, filing.pk, fmt])}"' in box
        assert page.count('<span class="Z3988"') == 1
        title_tag = between(head(page), '<meta name="citation_title" content="', '">')
        assert escape(filing.title) in title_tag


def test_a_document_page_under_another_case_moves_to_its_own_and_an_unknown_one_is_404(client, gaza):
    filing = gaza.filings.first()
    other = CaseFactory()
    response = client.get(reverse("cases:filing", args=[other.slug, filing.pk]))
    assert response.status_code == 301
    assert response["Location"] == filing.get_absolute_url()
    assert client.get(reverse("cases:filing", args=[gaza.slug, 10**9])).status_code == 404


def test_cite_download_links_resolve(client, gaza):
    pages = [get(client, "case", gaza.slug).content.decode()]
    pages += [client.get(filing.get_absolute_url()).content.decode() for filing in gaza.filings.all()]
    links = [link for html in pages for link in re.findall(r'href="(/cases/[^"]+/cite\.(?:bib|ris|json))"', html)]
    assert len(links) == 3 * (1 + gaza.filings.count())
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response["Content-Disposition"].startswith("attachment")


def test_citation_meta_tags_are_in_the_head_and_escaped(client, gaza):
    html = get(client, "case", gaza.slug).content.decode()
    tags = head(html)
    assert '<meta name="DC.type" content="case">' in tags
    assert (
        '<meta name="citation_title" '
        'content="Application of the Genocide Convention in the Gaza Strip (South Africa v. Israel)">'
    ) in tags
    assert '<meta name="citation_date" content="2023/12/29">' in tags
    assert '<meta name="citation_publisher" content="International Court of Justice">' in tags
    assert '<meta name="citation_technical_report_number" content="General List No. 192">' in tags

    gaza.title_en = '"><script>alert(1)</script>'
    gaza.save()
    tags = head(get(client, "case", gaza.slug).content.decode())
    assert "<script>alert" not in tags
    assert 'content="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in tags


def test_cite_js_is_deferred_and_served(client, gaza, settings):
    html = get(client, "case", gaza.slug).content.decode()
    assert '<script src="/static/js/cite.js" defer></script>' in head(html)
    settings.WHITENOISE_USE_FINDERS = True  # no collectstatic in tests: serve from static/
    response = Client().get("/static/js/cite.js")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"navigator.clipboard.writeText" in body
    assert b'getElementById("copy-status")' in body


def test_the_case_page_has_no_inline_script_or_event_handler(client, gaza):
    EventFactory(case=gaza, title=XSS)
    FilingFactory(case=gaza, title=XSS)
    html = get(client, "case", gaza.slug).content.decode()
    tags = start_tags(html)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts and all(attrs.get("src") for attrs in scripts)
    assert [(tag, name) for tag, attrs in tags for name in attrs if name.startswith("on")] == []
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)


# Court page


def test_court_page_shows_names_website_and_cases_pending_first(client, icj):
    CaseFactory(court=icj, short_title_en="Old concluded", status="concluded", concluded_on=datetime.date(2024, 2, 1))
    CaseFactory(court=icj, short_title_en="Still pending", instituted_on=datetime.date(2020, 1, 1))
    response = get(client, "court", "icj")
    assert response.status_code == 200
    html = response.content.decode()
    assert "International Court of Justice" in html
    assert '<dd lang="fr">Cour internationale de Justice</dd>' in html
    assert 'href="https://www.icj-cij.org/" rel="noopener external"' in html
    assert html.index("Still pending") < html.index("Old concluded")
    assert "Pending cases" in html and "Concluded cases" in html
    assert "Written proceedings" in html  # the stage


def test_court_url_is_lower_case(client, icj):
    response = get(client, "court", "ICJ")
    assert response.status_code == 301
    assert response["Location"] == reverse("cases:court", args=["icj"])
    assert get(client, "court", "xyz").status_code == 404


def test_court_list(client, icj, icc):
    html = get(client, "court_list").content.decode()
    assert "International Court of Justice" in html and "International Criminal Court" in html


# Person page


def test_person_page_lists_warrants_and_cases(client, icc):
    person = PersonFactory(name="Rodrigo Roa Duterte", slug="duterte", description="Former President")
    situation = CaseFactory(court=icc, kind=Case.Kind.SITUATION, stage="investigation", short_title_en="Philippines")
    case = CaseFactory(court=icc, kind=Case.Kind.CASE, stage="trial", parent=situation, short_title_en="Duterte")
    WarrantFactory(
        case=case,
        person=person,
        issued_on=datetime.date(2025, 3, 7),
        under_seal=True,
        status=Warrant.Status.EXECUTED,
        status_on=datetime.date(2025, 3, 12),
        charges="Murder as a crime against humanity",
    )
    party = PartyFactory(name="Rodrigo Roa Duterte", slug="duterte-party", kind=Party.Kind.PERSON, person=person)
    other = CaseFactory(court=icc, kind=Case.Kind.CASE, stage="trial", short_title_en="Another case")
    ParticipationFactory(case=other, party=party, role=Participation.Role.ACCUSED)
    CaseFactory(court=icc, short_title_en="Unrelated")

    response = get(client, "person", "duterte")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Rodrigo Roa Duterte</h1>" in html
    assert "Former President" in html
    assert '<time datetime="2025-03-07">7 March 2025</time>' in html
    assert "Executed: in custody" in html
    assert '<time datetime="2025-03-12">12 March 2025</time>' in html
    assert "Murder as a crime against humanity" in html
    assert f'href="{case.get_absolute_url()}"' in html
    assert f'href="{other.get_absolute_url()}"' in html
    assert "Accused" in html
    assert "Unrelated" not in html
    assert {c.short_title_en for c in response.context["cases"]} == {"Another case", "Duterte"}


def test_unknown_person_is_404(client):
    assert get(client, "person", "nobody").status_code == 404


# Errors


def test_500_page_renders_without_a_request_context_or_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert '<html lang="en">' in html


# Real data, when the seed files are there


@pytest.mark.skipif(not any(SEED_DIR.glob("*.toml")), reason="no seed files in cases/seed/")
def test_every_seeded_page_renders(client, seeded):
    from cases.models import Court, Person

    assert get(client, "home").status_code == 200
    assert get(client, "case_list").status_code == 200
    for case in Case.objects.all():
        assert client.get(case.get_absolute_url()).status_code == 200, case.slug
    for court in Court.objects.all():
        assert client.get(court.get_absolute_url()).status_code == 200, court.code
    for person in Person.objects.all():
        assert client.get(person.get_absolute_url()).status_code == 200, person.slug


@pytest.mark.parametrize(
    ("start", "end", "precision", "text"),
    [
        (datetime.date(2024, 1, 26), None, "day", "26 January 2024"),
        (datetime.date(2024, 10, 1), None, "month", "October 2024"),
        (datetime.date(2024, 1, 1), None, "year", "2024"),
        (datetime.date(2024, 1, 11), datetime.date(2024, 1, 12), "day", "11–12 January 2024"),
        (datetime.date(2024, 4, 29), datetime.date(2024, 5, 2), "day", "29 April–2 May 2024"),
        (datetime.date(2024, 12, 30), datetime.date(2025, 1, 3), "day", "30 December 2024–3 January 2025"),
        (datetime.date(2024, 1, 11), datetime.date(2024, 1, 11), "day", "11 January 2024"),
    ],
)
def test_fuzzy_dates(start, end, precision, text):
    """What a sighted reader sees; a screen reader hears "to" in place of the dash."""
    html = fuzzy_date(start, precision, end)
    seen = re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", html))
    assert seen == text
    if end and end != start:
        assert '<span class="visually-hidden"> to </span>' in html


def test_court_page_has_one_follow_form_in_its_body(client):
    court = CaseFactory().court
    html = client.get(court.get_absolute_url()).content.decode()
    head, body = html.split("</head>")
    assert "<form" not in head and "<title>" in head and "follow" not in head.split("<title>")[1].split("</title>")[0]
    assert body.count('id="follow-email"') == 1
