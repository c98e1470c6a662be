"""Search over cases, parties, persons and filings, on SQLite (icontains) and PostgreSQL (full text).

Every test runs on both: CI sets DATABASE_URL to PostgreSQL, `make test` on a bare machine uses SQLite.
"""

import datetime
import io
import itertools
import logging
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from cases import search, services, tasks
from cases.models import Case, Filing, Participation, Party, Warrant
from tests.factories import (
    CaseFactory,
    CourtFactory,
    FilingFactory,
    ParticipationFactory,
    PartyFactory,
    PersonFactory,
    WarrantFactory,
)

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
# Court and year choices, the cases (those whose own titles or names match, the rows shown), the filings
# (the ids listed, the rows of the page); PostgreSQL also reads the clauses once, first: which are stop
# words in English or French, and which cases' titles or names each is in.
FIRST_PAGE = 6 + POSTGRES
LATER_PAGE = 4 + POSTGRES  # no cases: they head the first page only

_serial = itertools.count()


def find(**params):
    from django.test import Client

    response = Client().get(reverse("cases:search"), params)
    assert response.status_code == 200
    return response


def case_hits(response):
    return [hit.case for hit in response.context["search"].cases]


def filing_hits(response):
    return [hit.filing for hit in response.context["search"].filings.object_list]


@pytest.fixture
def cases():
    icj = CourtFactory(code="ICJ", name_en="International Court of Justice")
    icc = CourtFactory(code="ICC", name_en="International Criminal Court")
    south_africa_v_israel = CaseFactory(
        court=icj,
        reference="192",
        title_en="Application of the Convention on the Prevention and Punishment of the Crime of Genocide "
        "in the Gaza Strip (South Africa v. Israel)",
        title_fr="Application de la convention pour la prévention et la répression du crime de génocide "
        "dans la bande de Gaza (Afrique du Sud c. Israël)",
        short_title_en="South Africa v. Israel",
        short_title_fr="Afrique du Sud c. Israël",
        slug="south-africa-v-israel",
        instituted_on=datetime.date(2023, 12, 29),
    )
    for name, role in [
        ("South Africa", Participation.Role.APPLICANT),
        ("Israel", Participation.Role.RESPONDENT),
        ("Colombia", Participation.Role.INTERVENER_ART_63),
    ]:
        ParticipationFactory(case=south_africa_v_israel, party=PartyFactory(name=name), role=role)
    order = FilingFactory(
        case=south_africa_v_israel,
        title="Order of 26 January 2024 on the request for the indication of provisional measures",
        reference="192-20240126-ORD-01-00-EN",
        kind=Filing.Kind.ORDER,
    )
    FilingFactory(case=south_africa_v_israel, title="Application instituting proceedings", kind=Filing.Kind.APPLICATION)
    nicaragua_v_germany = CaseFactory(
        court=icj,
        reference="193",
        title_en="Alleged Breaches of Certain International Obligations in respect of the Occupied Palestinian "
        "Territory (Nicaragua v. Germany)",
        short_title_en="Nicaragua v. Germany",
        slug="nicaragua-v-germany",
        instituted_on=datetime.date(2024, 3, 1),
    )
    nicaragua_filing = FilingFactory(
        case=nicaragua_v_germany,
        title="Request for provisional measures under the Genocide Convention: the situation in Gaza",
        kind=Filing.Kind.WRITTEN_PLEADING,
    )
    hostile = FilingFactory(
        case=nicaragua_v_germany, title="<script>alert(1)</script> genocide", kind=Filing.Kind.OTHER
    )
    advisory = CaseFactory(
        court=icj,
        kind=Case.Kind.ADVISORY,
        stage="opinion_delivered",
        reference="186",
        title_en="Legal Consequences arising from the Policies and Practices of Israel in the Occupied "
        "Palestinian Territory, including East Jerusalem",
        short_title_en="Occupied Palestinian Territory",
        slug="opt-advisory",
        instituted_on=datetime.date(2023, 1, 19),
    )
    palestine = CaseFactory(
        court=icc,
        kind=Case.Kind.SITUATION,
        stage="investigation",
        reference="ICC-01/18",
        title_en="Situation in the State of Palestine",
        title_fr="Situation dans l'État de Palestine",
        short_title_en="Palestine",
        slug="palestine",
        instituted_on=datetime.date(2021, 3, 3),
    )
    WarrantFactory(case=palestine, person=PersonFactory(name="Benjamin Netanyahu", slug="benjamin-netanyahu"))
    decision = FilingFactory(
        case=palestine,
        title="Decision on Israel's challenge to the jurisdiction of the Court",
        reference="ICC-01/18-374",
        kind=Filing.Kind.DECISION,
    )
    redacted = FilingFactory(
        case=palestine, title="Public redacted version", reference="ICC-01/18-375", kind=Filing.Kind.DECISION
    )
    return {
        "south_africa_v_israel": south_africa_v_israel,
        "order": order,
        "nicaragua_v_germany": nicaragua_v_germany,
        "nicaragua_filing": nicaragua_filing,
        "hostile": hostile,
        "advisory": advisory,
        "palestine": palestine,
        "decision": decision,
        "redacted": redacted,
    }


def test_title_words_rank_a_case_above_one_that_has_them_only_in_a_filing(cases):
    found = case_hits(find(q="genocide Gaza"))
    assert found[0] == cases["south_africa_v_israel"]
    assert cases["nicaragua_v_germany"] in found
    assert cases["palestine"] not in found


def test_the_reasons_for_a_case_say_where_it_matched(cases):
    response = find(q="genocide Gaza")
    first, *_ = response.context["search"].cases
    assert "<mark>" in first.title
    assert "Gaza" in first.title
    nicaragua = next(hit for hit in response.context["search"].cases if hit.case == cases["nicaragua_v_germany"])
    assert nicaragua.title is None
    # As many as the list of documents shows for it: the request has both words, the filing with a script
    # in its title only "genocide", and the case's title has not "Gaza" to make up for it.
    assert nicaragua.filing_count == 1
    assert [f.case for f in filing_hits(response)].count(cases["nicaragua_v_germany"]) == 1
    assert "1 matching document<" in response.content.decode()


def test_a_french_query_finds_the_french_title(cases):
    found = case_hits(find(q="génocide bande de Gaza"))
    assert found[0] == cases["south_africa_v_israel"]


def test_a_party_finds_its_case(cases):
    response = find(q="Colombia")
    assert case_hits(response) == [cases["south_africa_v_israel"]]
    assert response.context["search"].cases[0].parties == ["Colombia"]


def test_a_person_finds_the_case_of_their_warrant(cases):
    response = find(q="Netanyahu")
    assert case_hits(response) == [cases["palestine"]]
    assert response.context["search"].cases[0].persons == ["Benjamin Netanyahu"]


def test_an_official_reference_finds_the_filing(cases):
    response = find(q="ICC-01/18-374")
    assert filing_hits(response) == [cases["decision"]]
    assert case_hits(response) == [cases["palestine"]]
    assert "<mark>" in response.context["search"].filings.object_list[0].reference


def test_the_start_of_a_reference_finds_what_it_covers(cases):
    response = find(q="ICC-01/18")
    assert set(filing_hits(response)) == {cases["decision"], cases["redacted"]}
    assert case_hits(response) == [cases["palestine"]]
    assert response.context["search"].cases[0].reference == "<mark>ICC-01/18</mark>"


def test_each_word_may_match_the_filing_or_its_case(cases):
    # No single field holds all three words: the case's title has Gaza, the order's title the rest.
    found = filing_hits(find(q="Gaza provisional measures"))
    assert cases["order"] in found
    assert found[0] == cases["nicaragua_filing"]  # all three in its own title
    assert len(found) == 2  # not the case's other filings, which have none of the words themselves


def test_a_word_with_a_minus_is_left_out(cases):
    found = case_hits(find(q="genocide -Israel"))
    assert cases["south_africa_v_israel"] not in found
    assert cases["nicaragua_v_germany"] in found


def test_alternatives_with_or(cases):
    found = case_hits(find(q="Netanyahu or Colombia"))
    assert set(found) == {cases["palestine"], cases["south_africa_v_israel"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"court": "icc"}, {"palestine"}),
        ({"kind": "advisory"}, {"advisory"}),
        ({"year": "2023"}, {"south_africa_v_israel", "advisory"}),
    ],
)
def test_filters_narrow_the_cases(cases, params, expected):
    found = case_hits(find(q="Israel", **params))
    assert set(found) == {cases[name] for name in expected}


def test_the_filing_kind_filter_narrows_the_filings(cases):
    assert set(filing_hits(find(q="genocide"))) == {cases["nicaragua_filing"], cases["hostile"]}
    assert filing_hits(find(q="genocide", filing_kind="written_pleading")) == [cases["nicaragua_filing"]]


def test_a_bad_filter_is_reported_and_left_out(cases):
    response = find(q="genocide Gaza", year="banana")
    assert response.context["search"].form.errors
    assert case_hits(response)[0] == cases["south_africa_v_israel"]


def test_hostile_text_is_escaped_and_the_match_marked(cases):
    content = find(q="genocide").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content
    assert "<mark>genocide</mark>" in content or "<mark>Genocide</mark>" in content


def test_a_title_cannot_forge_a_highlight(cases):
    FilingFactory(case=cases["palestine"], title="</mark><b>bold</b> qs0qs Genocide qe0qe")
    content = find(q="genocide").content.decode()
    assert "&lt;/mark&gt;&lt;b&gt;bold&lt;/b&gt;" in content
    assert "<b>bold</b>" not in content


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   \t "}, {"q": "  ", "court": "icj"}])
def test_an_empty_search_explains_and_queries_nothing(cases, client, django_assert_num_queries, params):
    with django_assert_num_queries(0):
        response = client.get(reverse("cases:search"), params)
    assert response.status_code == 200
    assert response.context["search"].searched is False
    assert "What you can search for" in response.content.decode()


def test_a_very_long_query_is_cut(cases):
    response = find(q="Gaza " * 100)
    result = response.context["search"]
    assert result.truncated
    assert len(result.query) <= search.MAX_QUERY_LENGTH
    assert case_hits(response)[0] == cases["south_africa_v_israel"]
    assert "only its first 200 characters" in response.content.decode()


def test_control_characters_are_dropped(cases):
    assert case_hits(find(q="\x00Netanyahu\x07"))[0] == cases["palestine"]


def test_the_header_has_a_search_box(client, cases):
    content = client.get(reverse("cases:home")).content.decode()
    assert 'role="search"' in content
    assert '<label for="site-search-q"' in content
    assert f'action="{reverse("cases:search")}"' in content


def test_cases_past_those_ranked_are_counted_as_at_least(cases, monkeypatch):
    monkeypatch.setattr(search, "MAX_CASES_RANKED", 1)
    response = find(q="Israel")  # in the title of one case and the parties of another: two, one ranked
    result = response.context["search"]
    assert result.more_cases
    assert cases["palestine"] in case_hits(response)  # through its filing, which is listed
    assert f"At least {result.case_count} matching cases<" in response.content.decode()


def test_parse_query_reads_websearch_syntax():
    clauses = search.parse_query('genocide "bande de Gaza" Ukraine or Russia -Myanmar (South')
    assert [(c.parts, c.phrases, c.negated) for c in clauses] == [
        (("genocide",), ("genocide",), False),
        (('"bande de Gaza"',), ("bande de Gaza",), False),
        (("Ukraine", "Russia"), ("Ukraine", "Russia"), False),
        (("Myanmar",), ("Myanmar",), True),
        (("(South",), ("South",), False),
    ]


# A fixed number of queries, whatever the size of the data.


def grow(court, size):
    """`size` more of everything a search for "genocide" finds: cases, parties, persons, filings."""
    for _ in range(size):
        n = next(_serial)
        case = CaseFactory(court=court, title_en=f"Genocide case number {n}", instituted_on=datetime.date(2024, 1, 1))
        ParticipationFactory(case=case, party=PartyFactory(name=f"Genocide Survivors Association {n}"))
        person = PersonFactory(name=f"Genocide Witness {n}")
        WarrantFactory(case=case, person=person)
        ParticipationFactory(
            case=case,
            party=PartyFactory(name=f"Accused {n}", kind=Party.Kind.PERSON, person=person),
            role=Participation.Role.ACCUSED,
        )
        Filing.objects.bulk_create(
            Filing(
                case=case,
                title=f"Genocide order {n}.{i}",
                reference=f"G-{n}-{i}",
                kind=Filing.Kind.ORDER,
                text=f"The Court considers the genocide claim {n}.{i}. " * 20,
            )
            for i in range(15)
        )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "genocide"}, FIRST_PAGE),
        ({"q": "genocide order -Myanmar", "court": "icj", "year": "2024", "filing_kind": "order"}, FIRST_PAGE),
        ({"q": "genocide", "page": "2"}, LATER_PAGE),
    ],
)
def test_a_fixed_number_of_queries(cases, client, django_assert_num_queries, params, expected):
    court = cases["south_africa_v_israel"].court
    grow(court, 2)
    with django_assert_num_queries(expected):
        small = client.get(reverse("cases:search"), params)
    grow(court, 60)
    with django_assert_num_queries(expected):
        large = client.get(reverse("cases:search"), params)
    assert small.status_code == large.status_code == 200
    assert large.context["search"].filings.paginator.count > small.context["search"].filings.paginator.count


# Text extraction from the attached copy.


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica, built by hand: a few hundred bytes."""
    content = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def attach(filing, content: bytes, name="copy.pdf"):
    filing.document = SimpleUploadedFile(name, content, content_type="application/pdf")
    filing.save()
    return filing


def test_the_text_of_an_attached_pdf_is_extracted_without_a_history_row(cases, media):
    filing = attach(cases["decision"], tiny_pdf("The Chamber finds reasonable grounds regarding starvation."))
    records = filing.history.count()
    text = services.extract_filing_text(filing=filing)
    assert "reasonable grounds regarding starvation" in text
    assert Filing.objects.get(pk=filing.pk).text == text
    assert filing.history.count() == records


def test_extracted_text_is_searched_and_excerpted(cases, media):
    filing = attach(cases["decision"], tiny_pdf("Before it, <b>the</b> Chamber & Prosecutor considered starvation."))
    tasks.extract_filing_text(filing.pk)
    response = find(q="starvation")
    assert filing_hits(response) == [cases["decision"]]
    excerpt = response.context["search"].filings.object_list[0].excerpt
    assert "<mark>starvation</mark>" in excerpt
    assert "<b>" not in excerpt  # escaped on SQLite; PostgreSQL's headline drops tags outright
    assert "&amp; Prosecutor" in excerpt


def test_a_pdf_encrypted_only_against_editing_is_read(cases, media):
    filing = attach(cases["decision"], encrypted(tiny_pdf("Warrant of arrest"), user_password=""))
    assert "Warrant of arrest" in services.extract_filing_text(filing=filing)


@pytest.mark.parametrize(
    "content",
    [b"not a PDF at all", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", encrypted(tiny_pdf("Secret"), user_password="pw")],
    ids=["not-a-pdf", "truncated", "password"],
)
def test_an_unreadable_pdf_leaves_the_text_empty_and_is_logged(cases, media, caplog, content):
    filing = cases["decision"]
    Filing.objects.filter(pk=filing.pk).update(text="text of an earlier copy")
    filing = attach(Filing.objects.get(pk=filing.pk), content)
    with caplog.at_level(logging.WARNING, logger="cases.services"):
        assert tasks.extract_filing_text(filing.pk) == 0
    assert Filing.objects.get(pk=filing.pk).text == ""
    assert "could not read the text of filing" in caplog.text


def test_text_read_from_a_replaced_copy_is_not_stored(cases, media):
    filing = attach(cases["decision"], tiny_pdf("First copy"))
    stale = Filing.objects.get(pk=filing.pk)
    attach(filing, tiny_pdf("Second copy"), name="second.pdf")
    services.extract_filing_text(filing=stale)
    assert Filing.objects.get(pk=filing.pk).text == ""


def test_nul_characters_are_stripped():
    assert services._clean_text("a\x00b\ud800c") == "abc"


def test_a_missing_filing_or_copy_is_no_error(cases):
    assert tasks.extract_filing_text(0) == 0
    assert tasks.extract_filing_text(cases["decision"].pk) == 0


def test_extraction_is_queued_after_the_commit(cases, django_capture_on_commit_callbacks):
    with (
        mock.patch("cases.tasks.extract_filing_text.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        assert search.queue_text_extraction([cases["decision"].pk]) == 1
        delay.assert_not_called()
    assert len(callbacks) == 1
    delay.assert_called_once_with(cases["decision"].pk)


# PostgreSQL: stop words; the stored documents and the GIN indexes of migrations 0006 and 0009.


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no stop words: it looks for the letters")
def test_stop_words_are_left_out_and_said_so(cases):
    response = find(q="the genocide de")
    assert response.context["search"].ignored == ["the", "de"]
    assert set(filing_hits(response)) == {cases["nicaragua_filing"], cases["hostile"]}
    assert "Left out as too common to search for: the, de" in response.content.decode()
    assert filing_hits(find(q="the")) == []


@pytest.mark.skipif(not POSTGRES, reason="full-text indexes exist on PostgreSQL only")
def test_the_indexed_expressions_are_the_queried_ones(cases):
    matcher = search._FullText()
    clause = search.parse_query("genocide")[0]
    reference = search.parse_query("ICC-01/18")[0]
    queries = {
        "cases_filing_search_en": Filing.objects.order_by().filter(matcher.filing(clause)),
        "cases_filing_search_fr": Filing.objects.order_by().filter(matcher.filing(clause)),
        "cases_filing_reference_upper": Filing.objects.order_by().filter(matcher.filing(reference)),
        "cases_party_search_en": Participation.objects.order_by().filter(matcher.name(clause, "party__name")),
        "cases_person_search_fr": Warrant.objects.order_by().filter(matcher.name(clause, "person__name")),
    }
    merge_gin_pending_lists()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for index, queryset in queries.items():
            assert index in queryset.explain(), index
        # The first query of a search: the cases whose titles or names each clause is in.
        cursor.execute("EXPLAIN " + search._clauses_sql(), [["genocide"], [""]])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in ["case", "party", "person"]:
        for language in ["en", "fr"]:
            assert f"Bitmap Index Scan on cases_{index}_search_{language}" in plan


def merge_gin_pending_lists():
    """Rows a test has just written wait in the GIN indexes' pending lists, which the planner prices as
    slow to read; in production autovacuum merges them. Merge them now, as it would."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
               WHERE am.amname = 'gin' AND c.relname LIKE %s""",
            ["cases_%"],
        )


def stored_documents(filing):
    """The filing's stored documents, and what search.filing_vector() computes from its fields now."""
    return Filing.objects.filter(pk=filing.pk).values_list(
        search.stored_vector("english"),
        search.filing_vector("english"),
        search.stored_vector("french"),
        search.filing_vector("french"),
    )[0]


def assert_stored_documents_are_current(filing):
    stored_en, computed_en, stored_fr, computed_fr = stored_documents(filing)
    assert (stored_en, stored_fr) == (computed_en, computed_fr)


@pytest.mark.skipif(not POSTGRES, reason="the stored documents exist on PostgreSQL only")
def test_the_stored_documents_follow_every_write(cases):
    """save(), bulk_create() and QuerySet.update() alike: the trigger of 0009 sees them all."""
    filing = FilingFactory(case=cases["palestine"], title="Decision on the prosecution's request", text="Mesures")
    assert_stored_documents_are_current(filing)
    (bulk,) = Filing.objects.bulk_create(
        [Filing(case=cases["palestine"], title="Arrest warrants", reference="ICC-01/18-9", text="Starvation")]
    )
    assert_stored_documents_are_current(bulk)
    for change in [{"title": "Judgment on the appeals"}, {"reference": "ICC-01/18-10"}, {"text": "Famine"}]:
        Filing.objects.filter(pk=bulk.pk).update(**change)
        assert_stored_documents_are_current(bulk)
    filing.text = "Les mesures conservatoires indiquées"
    filing.save()
    assert_stored_documents_are_current(filing)
    assert filing_hits(find(q="famine")) == [bulk]
    assert filing_hits(find(q="conservatoires")) == [filing]
    assert filing_hits(find(q="starvation")) == []


@pytest.mark.skipif(not POSTGRES, reason="the stored documents exist on PostgreSQL only")
def test_a_write_that_leaves_title_reference_and_text_alone_does_not_rebuild_the_document(cases):
    filing = cases["decision"]

    def stored():
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_en::text FROM cases_filing WHERE id = %s", [filing.pk])
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:  # a marker no rebuild would keep
        cursor.execute("UPDATE cases_filing SET search_en = 'untouched' WHERE id = %s", [filing.pk])
    Filing.objects.filter(pk=filing.pk).update(link_status=Filing.LinkStatus.OK)  # a link check
    filing.chamber = "Pre-Trial Chamber I"
    filing.save()  # writes every column, the text among them, unchanged
    assert stored() == "'untouched'"
    Filing.objects.filter(pk=filing.pk).update(text="A new copy")
    assert "'copi':" in stored()


@pytest.mark.skipif(not POSTGRES, reason="full-text search runs on PostgreSQL only")
def test_the_search_never_rebuilds_a_filing_document_from_its_text(cases):
    with CaptureQueriesContext(connection) as queries:
        find(q="Gaza provisional measures -Myanmar")
    rebuilt = re.compile(r'to_tsvector\([^()]*COALESCE\([^()]*"text"')
    assert [q["sql"] for q in queries if rebuilt.search(q["sql"])] == []
    assert any("search_en" in q["sql"] for q in queries)


def many_filings(case, count, text, rare=None, rare_text=""):
    """`count` filings of `case` with the same text, newest first as the date index reads them."""
    start = datetime.date(2024, 1, 1)
    Filing.objects.bulk_create(
        Filing(
            case=case,
            title=f"Verbatim record {n}",
            kind=Filing.Kind.VERBATIM_RECORD,
            date=start - datetime.timedelta(days=n),
            text=rare_text if n == rare else text,
        )
        for n in range(count)
    )
    merge_gin_pending_lists()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_filing")


def ranking_plan(queries):
    """EXPLAIN of the query that ranks the filings, run in the search's own transaction settings."""
    (sql,) = [q["sql"] for q in queries if ") AS taken" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(not POSTGRES, reason="full-text indexes exist on PostgreSQL only")
def test_a_rare_word_is_found_through_the_gin_index_of_the_stored_documents(cases):
    many_filings(cases["palestine"], 3000, "The Chamber heard the parties.", rare=1234, rare_text="Starvation.")
    with CaptureQueriesContext(connection) as queries:
        response = find(q="starvation")
    assert len(filing_hits(response)) == 1
    plan = ranking_plan(queries)
    assert "Bitmap Index Scan on cases_filing_search_en" in plan
    assert "Bitmap Index Scan on cases_filing_search_fr" in plan


@pytest.mark.skipif(not POSTGRES, reason="full-text indexes exist on PostgreSQL only")
def test_a_common_word_lists_the_first_thousand_without_reading_every_match(cases):
    many_filings(cases["palestine"], 3000, "The Chamber heard the parties on the admissibility of the appeal.")
    with CaptureQueriesContext(connection) as queries:
        response = find(q="admissibility")
    result = response.context["search"]
    assert result.more_filings
    assert result.filings.paginator.count == search.MAX_LISTED
    hits = filing_hits(response)
    assert [f.date for f in hits] == sorted((f.date for f in hits), reverse=True)  # text-only: newest first
    content = response.content.decode()
    assert f"More than {search.MAX_LISTED} matching documents" in content
    assert f"at least {search.MAX_LISTED} matching documents" in content  # the case's, among those listed
    # The newest matches come from walking the date index until enough match, not from the 3,000 matches.
    assert "Index Scan using cases_filing_newest_first" in ranking_plan(queries)
