"""The HUDOC adapter: the search URL staff paste, and the JSON it answers turned into a Snapshot.

Whole sample answers are compared in test_sample_pages.py; these tests pin one rule each.
"""

import contextlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.sources.base import REGISTRY, MalformedPage, SourceError
from cases.sources.echr import parse, search_url

CASE_URL = search_url(appno="53600/20")
LISTING_URL = search_url(respondent="CHE")


def row(**columns):
    base = {
        "itemid": "001-000001",
        "docname": "CASE OF SAMPLE v. SOMEWHERE",
        "appno": "53600/20",
        "doctype": "HEJUD",
        "kpdate": "2024-04-09T00:00:00",
        "languageisocode": "ENG",
        "conclusion": "",
        "ecli": "",
    }
    base.update(columns)
    return {"columns": {key: value for key, value in base.items() if value is not None}}


def answer(*rows, resultcount=None):
    return json.dumps({"resultcount": len(rows) if resultcount is None else resultcount, "results": list(rows)})


def only_filing(text, url=CASE_URL):
    snapshot = parse(text, url)
    assert len(snapshot.filings) == 1, snapshot
    return snapshot.filings[0]


# search_url


def query_of(url):
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hudoc.echr.coe.int", "/app/query/results")
    return {name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()}


def test_search_url_by_application_is_the_official_query_properly_encoded():
    url = search_url(appno="53600/20")
    assert url == (
        "https://hudoc.echr.coe.int/app/query/results"
        "?query=contentsitename%3AECHR%20AND%20(languageisocode%3A%22ENG%22)%20AND%20(appno%3A%2253600%2F20%22)"
        "&select=itemid%2Cdocname%2Cappno%2Cdoctype%2Ckpdate%2Clanguageisocode%2Cconclusion%2Cecli"
        "&sort=kpdate%20Descending&start=0&length=100"
    )
    assert " " not in url and '"' not in url and "+" not in url
    assert query_of(url) == {
        "query": 'contentsitename:ECHR AND (languageisocode:"ENG") AND (appno:"53600/20")',
        "select": "itemid,docname,appno,doctype,kpdate,languageisocode,conclusion,ecli",
        "sort": "kpdate Descending",
        "start": "0",
        "length": "100",
    }


def test_search_url_by_respondent_language_and_length():
    assert query_of(search_url(respondent=" rus ", language="fre", length=25))["query"] == (
        'contentsitename:ECHR AND (languageisocode:"FRE") AND (respondent:"RUS")'
    )
    assert query_of(search_url(respondent="RUS", length=25))["length"] == "25"


def test_search_url_without_a_language_asks_for_every_language():
    assert query_of(search_url(appno="53600/20", language=""))["query"] == 'contentsitename:ECHR AND (appno:"53600/20")'


def test_search_url_with_both_filters_narrows_to_both():
    query = query_of(search_url(appno="53600/20", respondent="CHE"))["query"]
    assert query.endswith('AND (appno:"53600/20") AND (respondent:"CHE")')


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"language": "ENG"},
        {"appno": '53600/20") OR (doctype:"PR'},
        {"appno": "53600"},
        {"appno": ""},
        {"respondent": "Switzerland"},
        {"respondent": 'CH"E'},
        {"appno": "53600/20", "language": "English"},
        {"appno": "53600/20", "length": 0},
        {"appno": "53600/20", "length": True},
        {"appno": "53600/20", "length": "100"},
    ],
)
def test_search_url_refuses_what_would_not_be_one_clean_query(kwargs):
    with pytest.raises(ValueError):
        search_url(**kwargs)


def test_the_adapter_is_registered_for_json():
    adapter = REGISTRY["hudoc"]
    assert adapter.parse is parse
    assert adapter.court == "ECHR"
    assert adapter.content_types == ("application/json", "text/json", "text/plain")


# One document


@pytest.mark.parametrize(
    ("doctype", "kind"),
    [
        ("HEJUD", "judgment"),
        ("HFJUD", "judgment"),
        ("hejud", "judgment"),
        ("HEDEC", "decision"),
        ("HFDEC", "decision"),
        ("HECOM", "other"),
        ("HFCOM", "other"),
        ("HECOMOLD", "other"),
        ("PR", "press_release"),
        ("HEADO", "advisory_opinion"),
        ("CLIN", "other"),
        ("SOMETHINGNEW", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_doctype_gives_the_kind(doctype, kind):
    assert only_filing(answer(row(doctype=doctype))).kind == kind


@pytest.mark.parametrize(
    ("code", "language", "page"),
    [
        ("ENG", "en", "https://hudoc.echr.coe.int/eng?i=001-000001"),
        ("FRE", "fr", "https://hudoc.echr.coe.int/fre?i=001-000001"),
        ("fre", "fr", "https://hudoc.echr.coe.int/fre?i=001-000001"),
        ("RUS", "other", "https://hudoc.echr.coe.int/eng?i=001-000001"),
        ("", "", "https://hudoc.echr.coe.int/eng?i=001-000001"),
        (None, "", "https://hudoc.echr.coe.int/eng?i=001-000001"),
    ],
)
def test_language_gives_the_filing_language_and_the_human_page(code, language, page):
    filing = only_filing(answer(row(languageisocode=code)))
    assert (filing.language, filing.url) == (language, page)


@pytest.mark.parametrize(
    ("appno", "first"),
    [
        ("53600/20", "53600/20"),
        ("53600/20;12345/21", "53600/20"),
        (" 53600/20 ; 12345/21 ", "53600/20"),
        ("53600/20,12345/21", "53600/20"),
        (["53600/20", "12345/21"], "53600/20"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_case_reference_is_the_first_application_number(appno, first):
    assert only_filing(answer(row(appno=appno))).case_reference == first


def test_reference_is_the_ecli_where_there_is_one_else_the_item_id():
    assert only_filing(answer(row(ecli="ECLI:CE:ECHR:2024:0409JUD009999920"))).reference == (
        "ECLI:CE:ECHR:2024:0409JUD009999920"
    )
    assert only_filing(answer(row(ecli=""))).reference == "001-000001"
    assert only_filing(answer(row(ecli=None))).reference == "001-000001"


def test_title_is_the_document_name_with_whitespace_collapsed():
    assert only_filing(answer(row(docname="  CASE OF\n SAMPLE\tv. SOMEWHERE "))).title == "CASE OF SAMPLE v. SOMEWHERE"


def test_date_is_the_date_part_of_kpdate():
    for kpdate in ("2024-04-09T00:00:00", "2024-04-09", "2024-04-09T00:00:00Z", "2024-04-09 00:00:00"):
        assert only_filing(answer(row(kpdate=kpdate))).date.isoformat() == "2024-04-09"


@pytest.mark.parametrize("kpdate", ["2024-02-30T00:00:00", "09/04/2024", "yesterday", "20240409", 20240409])
def test_a_bad_date_leaves_the_document_undated_with_a_warning(kpdate):
    snapshot = parse(answer(row(kpdate=kpdate)), CASE_URL)
    assert snapshot.filings[0].date is None
    assert snapshot.warnings == (f"item 001-000001: date {str(kpdate)!r} is not a date; left undated",)


def test_rows_are_deduplicated_by_item_id_keeping_the_first():
    snapshot = parse(answer(row(docname="FIRST"), row(docname="SECOND"), row(itemid="001-000002")), CASE_URL)
    assert [(f.reference, f.title) for f in snapshot.filings] == [
        ("001-000001", "FIRST"),
        ("001-000002", "CASE OF SAMPLE v. SOMEWHERE"),
    ]


def test_rows_without_a_usable_item_id_are_skipped_with_a_warning():
    snapshot = parse(answer(row(itemid=None), row(itemid="../../admin"), row(itemid="001-000002")), CASE_URL)
    assert [f.reference for f in snapshot.filings] == ["001-000002"]
    assert snapshot.warnings == (
        "result 1: no item id; skipped",
        "result 2: item id '../../admin' is not in HUDOC's form; skipped",
    )


def test_unseen_variation_in_field_order_case_and_types():
    text = json.dumps(
        {
            "Results": [
                {
                    "Columns": {
                        "KPDATE": "2024-04-09T00:00:00",
                        "Conclusion": "Violation of Article 8",
                        "LanguageIsoCode": "eng",
                        "DocType": "HEJUD",
                        "AppNo": 53600,
                        "DocName": 42,
                        "ItemId": "001-000003",
                        "importance": 1,
                        "somethingNew": {"a": [1, None, True]},
                    }
                }
            ],
            "ResultCount": "1",
            "facets": [],
        }
    )
    snapshot = parse(text, CASE_URL)
    (filing,) = snapshot.filings
    assert (filing.url, filing.title, filing.kind, filing.language, filing.case_reference) == (
        "https://hudoc.echr.coe.int/eng?i=001-000003",
        "42",
        "judgment",
        "en",
        "53600",
    )
    assert snapshot.warnings == ()


# The whole answer


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "HUDOC answered with an empty body"),
        ("  \n ", "HUDOC answered with an empty body"),
        (
            "<!DOCTYPE html><html><title>Just a moment...</title></html>",
            "HUDOC answered with an HTML page, not JSON (a bot wall or an error page?)",
        ),
        ('{"resultcount": 1, "results": [', "HUDOC's answer is not JSON: Expecting value at line 1"),
        ("{'results': []}", "HUDOC's answer is not JSON: Expecting property name enclosed in double quotes at line 1"),
        ('{"resultcount": 0}', 'HUDOC\'s answer has no "results": not a search result'),
        ('[{"columns": {}}]', "HUDOC's answer is a JSON list, not a search result"),
        ('"results"', "HUDOC's answer is a JSON str, not a search result"),
        ('{"results": {"columns": {}}}', 'HUDOC\'s "results" is a dict, not a list'),
        ("[" * 100_000 + "]" * 100_000, "HUDOC's answer is not JSON that can be read"),
    ],
)
def test_what_is_not_a_search_result_is_a_malformed_page_with_a_one_line_message(text, message):
    with pytest.raises(MalformedPage) as raised:
        parse(text, CASE_URL)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_an_empty_search_is_a_snapshot_with_a_warning():
    snapshot = parse('{"resultcount": 0, "results": []}', CASE_URL)
    assert snapshot.filings == ()
    assert snapshot.warnings == ("HUDOC found no documents for this search",)


def test_a_page_of_a_longer_search_says_so():
    snapshot = parse(answer(row(), resultcount=250), CASE_URL)
    assert snapshot.warnings == ("HUDOC counts 250 documents and this page lists 1; only these were read",)


def test_a_byte_order_mark_is_no_obstacle():
    assert len(parse("\ufeff" + answer(row()), CASE_URL).filings) == 1


# Title and stage: only a search for one application speaks for one case


def test_a_judgment_on_the_merits_means_judgment_delivered_and_nothing_about_status():
    snapshot = parse(answer(row(doctype="PR"), row(itemid="001-000002", conclusion="Violation of Article 8")), CASE_URL)
    assert (snapshot.title, snapshot.status, snapshot.stage) == (
        "CASE OF SAMPLE v. SOMEWHERE",
        "",
        "judgment_delivered",
    )


@pytest.mark.parametrize(
    "conclusion",
    [
        "No violation of Article 10 - Freedom of expression",
        "Remainder inadmissible;Violation of Article 6 - Right to a fair trial",
        "Non-pecuniary damage - award",
        "Violation de l'article 8 - Droit au respect de la vie privée et familiale",
    ],
)
def test_merits_conclusions(conclusion):
    assert parse(answer(row(conclusion=conclusion)), CASE_URL).stage == "judgment_delivered"


@pytest.mark.parametrize(
    "conclusion",
    [
        "",
        "Struck out of the list (friendly settlement)",
        "Struck out of the list;Remainder inadmissible",
        "Radiation du rôle (règlement amiable)",
    ],
)
def test_a_judgment_without_a_ruling_on_the_merits_gives_no_stage(conclusion):
    snapshot = parse(answer(row(conclusion=conclusion)), CASE_URL)
    assert (snapshot.title, snapshot.stage) == ("CASE OF SAMPLE v. SOMEWHERE", "")


def test_a_decision_or_communication_gives_no_title_and_no_stage():
    snapshot = parse(
        answer(row(doctype="HEDEC", conclusion="Inadmissible"), row(itemid="001-2", doctype="HECOM")), CASE_URL
    )
    assert (snapshot.title, snapshot.stage) == ("", "")


def test_a_judgment_for_another_application_says_nothing_about_this_case():
    snapshot = parse(answer(row(appno="12345/21", conclusion="Violation of Article 3")), CASE_URL)
    assert (snapshot.title, snapshot.stage) == ("", "")


def test_a_joined_judgment_naming_the_application_counts():
    snapshot = parse(answer(row(appno="12345/21;53600/20", conclusion="Violation of Article 3")), CASE_URL)
    assert snapshot.stage == "judgment_delivered"


def test_a_search_by_state_is_a_listing_with_no_title_and_no_stage():
    snapshot = parse(answer(row(conclusion="Violation of Article 8")), LISTING_URL)
    assert (snapshot.title, snapshot.stage) == ("", "")
    assert snapshot.filings[0].case_reference == "53600/20"


def test_a_pasted_query_in_the_other_syntax_names_its_application():
    url = "https://hudoc.echr.coe.int/app/query/results?query=contentsitename:ECHR%20AND%20((appno=53600/20))"
    assert parse(answer(row(conclusion="Violation of Article 8")), url).stage == "judgment_delivered"


def test_the_title_prefers_the_english_judgment():
    snapshot = parse(
        answer(
            row(docname="AFFAIRE EXEMPLE c. SUISSE", languageisocode="FRE"),
            row(itemid="001-000002", docname="CASE OF SAMPLE v. SWITZERLAND"),
        ),
        CASE_URL,
    )
    assert snapshot.title == "CASE OF SAMPLE v. SWITZERLAND"
    assert parse(answer(row(docname="AFFAIRE EXEMPLE c. SUISSE", languageisocode="FRE")), CASE_URL).title == (
        "AFFAIRE EXEMPLE c. SUISSE"
    )


# Never a crash: a Snapshot or a SourceError, whatever comes back

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELD_NAMES = st.sampled_from(["itemid", "ItemId", "docname", "appno", "doctype", "kpdate", "languageisocode", "ecli"])
ROWS = st.one_of(
    JSON_VALUES,
    st.dictionaries(FIELD_NAMES, JSON_VALUES | st.just("001-000001"), max_size=8).map(lambda c: {"columns": c}),
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_snapshot_or_a_source_error(text):
    with contextlib.suppress(SourceError):
        parse(text, CASE_URL)


@settings(max_examples=300, deadline=None)
@given(st.lists(ROWS, max_size=6), JSON_VALUES, st.text(max_size=60))
def test_any_json_rows_give_a_snapshot_or_a_source_error(rows, resultcount, url):
    try:
        snapshot = parse(json.dumps({"resultcount": resultcount, "results": rows}), url)
    except SourceError:
        return
    json.dumps(snapshot.as_json())
    assert all(f.url.startswith("https://hudoc.echr.coe.int/") for f in snapshot.filings)
