"""The ICJ adapters: the file-name decoder, the case page and its sub-pages, the two listings.

Sample pages under tests/pages/icj/ are compared whole (here and in test_sample_pages.py); the
tests below pin each rule on a page made for it, and check that markup we have not seen yet
(other wrappers, class names, tables) still parses.
"""

import contextlib
import datetime
import json
import random
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cases.sources import icj
from cases.sources.base import FILING_KINDS, REGISTRY, Blocked, MalformedPage, SourceError
from cases.sources.icj import (
    HEADING_KINDS,
    TYPE_KINDS,
    decode_document_name,
    parse_case_page,
    parse_decisions,
    parse_pending_cases,
    parse_text_date,
)

PAGES = Path(__file__).parent / "pages" / "icj"
CASE_URL = "https://www.icj-cij.org/case/192"
FILES = "https://www.icj-cij.org/sites/default/files/case-related/192"
DOCS = "/sites/default/files/case-related"  # where the Court keeps a case's documents


def page(content: str, *, title: str = "South Africa v. Israel", aside: str = "") -> str:
    """A case page in the shape of the site's Drupal markup, with `content` where the documents go."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | International Court of Justice</title></head>
<body><div class="dialog-off-canvas-main-canvas">
  <header role="banner"><a href="/">International Court of Justice</a></header>
  <main role="main"><div class="region region-content">
    <h1 class="page-header">{title}</h1>
    <div class="row"><aside class="case-tabs">{aside}</aside>
      <section class="case-documents">{content}</section>
    </div>
  </div></main>
  <footer role="contentinfo"><p>Peace Palace</p></footer>
</div></body></html>"""


def filings(html: str, url: str = CASE_URL) -> list[dict]:
    return parse_case_page(html, url).as_json()["filings"]


# --- decode_document_name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "case_number", "date", "type_code", "kind", "part", "language", "reference"),
    [
        (
            "192-20240126-ord-01-00-en.pdf",
            192,
            datetime.date(2024, 1, 26),
            "ord",
            "order",
            (1, 0),
            "en",
            "192-20240126-ORD-01-00-EN",
        ),
        (
            f"{FILES}/192-20240306-WRI-01-00-EN.pdf",
            192,
            datetime.date(2024, 3, 6),
            "wri",
            "written_pleading",
            (1, 0),
            "en",
            "192-20240306-WRI-01-00-EN",
        ),
        (
            "https://www.icj-cij.org/sites/default/files/case-related/91/091-20070226-JUD-01-00-EN.pdf",
            91,
            datetime.date(2007, 2, 26),
            "jud",
            "judgment",
            (1, 0),
            "en",
            "091-20070226-JUD-01-00-EN",
        ),
        (
            "193-20240409-ORA-01-00-BI.pdf",
            193,
            datetime.date(2024, 4, 9),
            "ora",
            "verbatim_record",
            (1, 0),
            "bi",
            "193-20240409-ORA-01-00-BI",
        ),
        (
            "192-20240123-Int-01-00-Fr.Pdf",
            192,
            datetime.date(2024, 1, 23),
            "int",
            "intervention",
            (1, 0),
            "fr",
            "192-20240123-INT-01-00-FR",
        ),
        # Underscores for dashes, an upper-case extension.
        (
            "178_20191111_APP_01_00_EN.PDF",
            178,
            datetime.date(2019, 11, 11),
            "app",
            "application",
            (1, 0),
            "en",
            "178-20191111-APP-01-00-EN",
        ),
        # Unpadded numbers are padded in the reference, as the Court writes them.
        (
            "1-19480325-jud-1-0-en.pdf",
            1,
            datetime.date(1948, 3, 25),
            "jud",
            "judgment",
            (1, 0),
            "en",
            "001-19480325-JUD-01-00-EN",
        ),
        # No part numbers: the main document.
        (
            "192-20240126-ORD-EN.pdf",
            192,
            datetime.date(2024, 1, 26),
            "ord",
            "order",
            (1, 0),
            "en",
            "192-20240126-ORD-01-00-EN",
        ),
        # No language.
        (
            "192-20240126-ord-01-00.pdf",
            192,
            datetime.date(2024, 1, 26),
            "ord",
            "order",
            (1, 0),
            "",
            "192-20240126-ORD-01-00",
        ),
        # Percent-encoded, with a query string and a fragment.
        (
            f"{FILES}/192%2D20240126%2Dord%2D01%2D00%2Den.pdf?download=1#page=3",
            192,
            datetime.date(2024, 1, 26),
            "ord",
            "order",
            (1, 0),
            "en",
            "192-20240126-ORD-01-00-EN",
        ),
        # A bare name with a query string.
        (
            "186-20240719-sum-01-00-en.pdf?itok=abc",
            186,
            datetime.date(2024, 7, 19),
            "sum",
            "summary",
            (1, 0),
            "en",
            "186-20240719-SUM-01-00-EN",
        ),
        # Drupal's suffix for a file uploaded twice under one name.
        (
            "192-20250919-pre-01-00-en_0.pdf",
            192,
            datetime.date(2025, 9, 19),
            "pre",
            "press_release",
            (1, 0),
            "en",
            "192-20250919-PRE-01-00-EN",
        ),
        # A document number as node pages show it, without ".pdf".
        (
            "187-20231215-ORD-01-00-EN",
            187,
            datetime.date(2023, 12, 15),
            "ord",
            "order",
            (1, 0),
            "en",
            "187-20231215-ORD-01-00-EN",
        ),
        (
            "187-20250723-adv-01-00-en.pdf",
            187,
            datetime.date(2025, 7, 23),
            "adv",
            "advisory_opinion",
            (1, 0),
            "en",
            "187-20250723-ADV-01-00-EN",
        ),
    ],
)
def test_decode_document_name(name, case_number, date, type_code, kind, part, language, reference):
    decoded = decode_document_name(name)
    assert decoded is not None
    assert (decoded.case_number, decoded.date, decoded.type_code, decoded.kind) == (case_number, date, type_code, kind)
    assert (decoded.part, decoded.language, decoded.reference) == (part, language, reference)
    assert decoded.corrigendum is False


@pytest.mark.parametrize("name", ["192-20240126-ord-01-00-en-Corr.pdf", "192_20240126_ORD_01_00_EN_corrigendum.pdf"])
def test_a_corrigendum_decodes_and_keeps_its_own_reference(name):
    decoded = decode_document_name(name)
    assert decoded.corrigendum is True
    assert decoded.kind == "order"
    assert decoded.reference == "192-20240126-ORD-01-00-EN-CORR"


@pytest.mark.parametrize(("type_code", "kind"), sorted(TYPE_KINDS.items()))
def test_every_type_code_maps_to_a_filing_kind(type_code, kind):
    assert kind in FILING_KINDS
    assert decode_document_name(f"192-20240126-{type_code.upper()}-01-00-EN.pdf").kind == kind


def test_the_type_map_covers_the_codes_sources_md_lists():
    listed = {"app", "ord", "jud", "adv", "sum", "pre", "wri", "int", "ora", "req", "mem", "cmem", "rep", "rej", "obs"}
    assert listed | {"cr"} <= set(TYPE_KINDS)
    assert {TYPE_KINDS[code] for code in ("req", "mem", "cmem", "rep", "rej", "obs")} == {"written_pleading"}
    assert TYPE_KINDS["cr"] == "verbatim_record"


def test_an_unknown_type_code_decodes_as_other():
    decoded = decode_document_name("192-20240126-XYZ-01-00-EN.pdf")
    assert (decoded.type_code, decoded.kind, decoded.reference) == ("xyz", "other", "192-20240126-XYZ-01-00-EN")


@pytest.mark.parametrize(
    ("name", "kind", "part"),
    [
        ("192-20240126-ord-01-01-en.pdf", "opinion", (1, 1)),  # a declaration attached to an order
        ("182-20240202-jud-01-02-en.pdf", "opinion", (1, 2)),  # a dissenting opinion
        ("186-20240719-adv-01-05-en.pdf", "opinion", (1, 5)),
        ("186-20240719-adv-02-00-en.pdf", "opinion", (2, 0)),
        ("192-20240510-wri-01-01-en.pdf", "written_pleading", (1, 1)),  # an annex keeps its pleading's kind
        ("193-20240409-ora-01-01-en.pdf", "verbatim_record", (1, 1)),
        ("186-20240719-sum-01-01-en.pdf", "summary", (1, 1)),
    ],
)
def test_attached_parts_of_decisions_are_opinions_and_others_keep_their_kind(name, kind, part):
    decoded = decode_document_name(name)
    assert (decoded.kind, decoded.part) == (kind, part)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "foo.pdf",
        "10543.pdf",
        "Order of 26 January 2024.pdf",
        "192-2024012-ORD-01-00-EN.pdf",  # seven-digit date
        "192-20240126-ORD-01-00-ES.pdf",  # a language the Court does not publish in
        "192-20240126-ORD-01-00-EN-extra.pdf",
        "192-20240126-ORD-01-00-EN.docx",
        "ORD-192-20240126-01-00-EN.pdf",
        "000-20240126-ORD-01-00-EN.pdf",
        "192-20240126.pdf",
        "https://www.icj-cij.org/case/192",
        "https://www.icj-cij.org/sites/default/files/case-related/192/",
        "http://[::1/192-20240126-ord-01-00-en.pdf",
    ],
)
def test_names_that_do_not_decode_are_none(name):
    assert decode_document_name(name) is None


@pytest.mark.parametrize(
    "name", ["192-20240231-ORD-01-00-EN.pdf", "192-20241301-ord-01-00-en.pdf", "192-00000000-ord.pdf"]
)
def test_an_impossible_date_decodes_without_a_date(name):
    decoded = decode_document_name(name)
    assert decoded is not None
    assert decoded.date is None
    assert decoded.kind == "order"
    assert decoded.raw_date == name.split("-")[1]


def test_document_name_is_frozen():
    decoded = decode_document_name("192-20240126-ord-01-00-en.pdf")
    with pytest.raises(AttributeError):
        decoded.kind = "judgment"


# --- dates in page text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("26 January 2024", datetime.date(2024, 1, 26)),
        ("Order of 26 Jan 2024", datetime.date(2024, 1, 26)),
        ("26 Jan. 2024", datetime.date(2024, 1, 26)),
        ("2 Sept 2025", datetime.date(2025, 9, 2)),
        ("January 26, 2024", datetime.date(2024, 1, 26)),
        ("1st March 2024", datetime.date(2024, 3, 1)),
        ("Ordonnance du 1er juillet 2024", datetime.date(2024, 7, 1)),
        ("Arrêt du 2 février 2024", datetime.date(2024, 2, 2)),
        ("31 June 2024, then 2 July 2024", datetime.date(2024, 7, 2)),  # an impossible date is skipped
        ("CR 2024/16", None),
        ("08/04/2024", None),
        ("June 2024", None),
        ("", None),
    ],
)
def test_parse_text_date(text, expected):
    assert parse_text_date(text) == expected


# --- the case page: documents ------------------------------------------------------------------------


def test_relative_links_are_resolved_against_the_page_url():
    html = page(
        f"""<h4>Orders</h4>
        <p><a href="{DOCS}/192/192-20240126-ord-01-00-en.pdf">Order A</a></p>
        <p><a href="..{DOCS}/192/192-20240328-ord-01-00-en.pdf">Order B</a></p>
        <p><a href="//www.icj-cij.org{DOCS}/192/192-20240405-ord-01-00-en.pdf">Order C</a></p>
        <p><a href="192-20240524-ORD-01-00-EN.pdf">Order D</a></p>
        <p><a href="http://icj-cij.org{DOCS}/192/192-20250414-ord-01-00-en.pdf">Order E</a></p>"""
    )
    urls = [f["url"] for f in filings(html, "https://www.icj-cij.org/case/192/orders")]
    assert urls == [
        f"{FILES}/192-20240126-ord-01-00-en.pdf",
        "https://www.icj-cij.org/case/sites/default/files/case-related/192/192-20240328-ord-01-00-en.pdf",
        f"{FILES}/192-20240405-ord-01-00-en.pdf",
        "https://www.icj-cij.org/case/192/192-20240524-ORD-01-00-EN.pdf",
        "http://icj-cij.org/sites/default/files/case-related/192/192-20250414-ord-01-00-en.pdf",
    ]


def test_spaces_in_links_are_percent_encoded_and_fragments_dropped():
    html = page(
        '<h4>Other documents</h4><a href="/sites/default/files/case-related/192/Letter 5 Jan 2024.pdf#p2">L</a>'
    )
    assert filings(html)[0]["url"] == f"{FILES}/Letter%205%20Jan%202024.pdf"


def test_documents_on_other_hosts_are_dropped_with_a_warning():
    html = page(
        """<h4>Other documents</h4>
        <a href="https://www.un.org/files/gaza.pdf">UN report</a>
        <a href="https://icj-cij.org.example.com/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf">Mirror</a>
        <a href="https://twitter.com/CIJ_ICJ">Follow us</a>
        <a href="https://icj-cij.org./sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf">Order</a>"""
    )
    snapshot = parse_case_page(html, CASE_URL)
    assert [f.url for f in snapshot.filings] == [
        "https://icj-cij.org./sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf"
    ]
    assert snapshot.warnings == (
        "dropped a document on another host: https://www.un.org/files/gaza.pdf",
        "dropped a document on another host: "
        "https://icj-cij.org.example.com/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf",
    )


def test_a_page_not_on_an_icj_host_keeps_nothing():
    html = page('<h4>Orders</h4><a href="/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf">O</a>')
    snapshot = parse_case_page(html, "https://mirror.example.org/case/192")
    assert snapshot.filings == ()
    assert snapshot.warnings[0].startswith("dropped a document on another host: https://mirror.example.org/")


def test_documents_are_deduplicated_by_url_and_the_first_wins():
    html = page(
        f"""<h4>Orders</h4>
        <a href="{FILES}/192-20240126-ord-01-00-en.pdf">Order of 26 January 2024</a>
        <a href="{FILES}/192-20240126-ord-01-00-en.pdf"><i class="icon-pdf"></i></a>
        <h4>Summaries of Judgments and Orders</h4>
        <a href="/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf#page=2">Again</a>"""
    )
    assert [(f["url"], f["title"]) for f in filings(html)] == [
        (f"{FILES}/192-20240126-ord-01-00-en.pdf", "Order of 26 January 2024")
    ]


def test_links_in_the_tab_bar_header_and_footer_are_not_filings():
    html = page(
        '<h4>Orders</h4><a href="/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf">Order</a>',
        aside=f'<a href="/case/192/orders">Orders</a><a href="{DOCS}/192/192-20240328-ord-01-00-en.pdf">Latest</a>',
    ).replace("<p>Peace Palace</p>", '<a href="/sites/default/files/documents/statute.pdf">Statute</a>')
    assert [f["reference"] for f in filings(html)] == ["192-20240126-ORD-01-00-EN"]


def test_the_file_name_decides_kind_date_and_language_not_the_heading_or_text():
    html = page(f'<h4>Press releases</h4><a href="{FILES}/192-20240126-ord-01-00-fr.pdf">Press release, 1 May 2024</a>')
    (filing,) = filings(html)
    assert (filing["kind"], filing["date"], filing["language"]) == ("order", "2024-01-26", "fr")
    assert filing["title"] == "Press release, 1 May 2024"


def test_link_text_whitespace_is_collapsed():
    html = page(
        f'<h4>Orders</h4><a href="{FILES}/192-20240126-ord-01-00-en.pdf">'
        "\n  Order of\n\t26&nbsp;January <b>2024</b> </a>"
    )
    assert filings(html)[0]["title"] == "Order of 26 January 2024"


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Institution of proceedings", "application"),
        ("Written proceedings", "written_pleading"),
        ("Oral proceedings", "verbatim_record"),
        ("Orders", "order"),
        ("ORDERS", "order"),
        ("Orders:", "order"),
        ("Orders (3)", "order"),
        ("Judgments", "judgment"),
        ("Advisory opinions", "advisory_opinion"),
        ("Summaries of Judgments and Orders", "summary"),
        ("Press releases", "press_release"),
        ("Intervention", "intervention"),
        ("Other documents", "other"),
        ("Correspondence", "other"),
        ("Provisional measures", "other"),
        ("Orders and judgments", "other"),  # never guessed at
    ],
)
def test_an_undecodable_document_takes_its_kind_from_the_heading(heading, kind):
    html = page(f'<h4>{heading}</h4><p><a href="/docket/files/192/13687.pdf">Document of 5 April 2024</a></p>')
    snapshot = parse_case_page(html, CASE_URL)
    (filing,) = snapshot.as_json()["filings"]
    assert filing == {
        "url": "https://www.icj-cij.org/docket/files/192/13687.pdf",
        "title": "Document of 5 April 2024",
        "date": "2024-04-05",
        "kind": kind,
        "language": "",
        "reference": "",
    }
    (warning,) = snapshot.warnings
    assert "'13687.pdf' does not decode" in warning


def test_the_heading_map_uses_the_filing_vocabulary():
    assert set(HEADING_KINDS.values()) <= FILING_KINDS


def test_an_undecodable_document_takes_its_date_from_nearby_text():
    html = page(
        """<h4>Written proceedings</h4>
        <div class="row"><span>22 Jul 1997</span> <a href="/docket/files/91/10543.pdf">Counter-Memorial</a></div>
        <div class="row"><a href="/docket/files/91/10544.pdf">Reply</a></div>"""
    )
    assert [(f["title"], f["date"]) for f in filings(html)] == [("Counter-Memorial", "1997-07-22"), ("Reply", None)]


def test_nearby_text_is_never_borrowed_from_another_documents_row():
    html = page(
        """<h4>Other documents</h4>
        <ul><li>Letter of 5 Jan 2024 <a href="/files/a.pdf">Letter A</a> <a href="/files/b.pdf">B</a></li></ul>"""
    )
    assert [f["date"] for f in filings(html)] == [None, None]


def test_a_link_without_text_takes_its_title_from_the_heading():
    html = page('<h4>Correspondence</h4><p><a href="/files/x.pdf"><img src="/pdf.png" alt=""></a></p>')
    assert filings(html)[0]["title"] == "Correspondence"


def test_a_link_without_text_or_heading_takes_the_file_name():
    html = page('<p><a href="/files/x.pdf"> </a></p>')
    assert filings(html)[0]["title"] == "x.pdf"


def test_language_links_take_the_documents_title_from_their_row():
    html = page(
        """<h4>Orders</h4>
        <div class="item">Order of 23 January 2020 &mdash;
          <a href="/sites/default/files/case-related/178/178-20200123-ord-01-00-en.pdf">English</a> |
          <a href="/sites/default/files/case-related/178/178-20200123-ord-01-00-fr.pdf">Français</a></div>
        <div class="item">Letter of 4 Feb 2020 (PDF, 120 KB) <a href="/files/letter.pdf">English</a></div>"""
    )
    assert [(f["title"], f["language"], f["date"]) for f in filings(html)] == [
        ("Order of 23 January 2020", "en", "2020-01-23"),
        ("Order of 23 January 2020", "fr", "2020-01-23"),
        ("Letter of 4 Feb 2020", "en", "2020-02-04"),
    ]


def test_an_impossible_date_in_the_name_is_warned_about_and_the_page_text_used():
    html = page(f'<h4>Orders</h4><a href="{FILES}/192-20240231-ord-01-00-en.pdf">Order of 28 February 2024</a>')
    snapshot = parse_case_page(html, CASE_URL)
    (filing,) = snapshot.filings
    assert (filing.date, filing.kind, filing.reference) == (
        datetime.date(2024, 2, 28),
        "order",
        "192-20240231-ORD-01-00-EN",
    )
    assert snapshot.warnings == (
        "impossible date 20240231 in file name '192-20240231-ord-01-00-en.pdf': date 2024-02-28 from the page text",
    )


def test_an_impossible_date_with_no_date_in_the_text_leaves_the_date_empty():
    html = page(f'<h4>Orders</h4><a href="{FILES}/192-20240231-ord-01-00-en.pdf">Order</a>')
    snapshot = parse_case_page(html, CASE_URL)
    assert snapshot.filings[0].date is None
    assert "no date found" in snapshot.warnings[0]


def test_a_page_with_its_shape_but_no_documents_is_an_empty_snapshot_with_a_warning():
    snapshot = parse_case_page(page("<h4>Correspondence</h4><p>No documents yet.</p>"), CASE_URL)
    assert snapshot.title == "South Africa v. Israel"
    assert snapshot.filings == ()
    assert snapshot.warnings == ("no documents on this page",)


# --- the case page: title, status and stage ----------------------------------------------------------


def test_the_title_falls_back_to_the_title_tag_without_the_site_name():
    html = (
        "<html><head><title>Orders | International Court of Justice</title></head><body><h4>Orders</h4></body></html>"
    )
    assert parse_case_page(html, CASE_URL).title == "Orders"


def test_a_site_name_h1_is_not_the_case_title():
    html = page("<h4>Orders</h4>").replace(
        '<header role="banner">', '<header role="banner"><h1>International Court of Justice</h1>'
    )
    assert parse_case_page(html, CASE_URL).title == "South Africa v. Israel"


@pytest.mark.parametrize(
    ("headings", "status", "stage"),
    [
        (["Discontinuance"], "concluded", "discontinued"),
        (["Orders", "DISCONTINUANCE:"], "concluded", "discontinued"),
        (["Removal from the General List"], "concluded", "removed_from_list"),
        (["Removal from the General List", "Discontinuance"], "concluded", "discontinued"),
        (["Orders", "Judgments"], "", ""),
        (["Request for discontinuance by the Applicant"], "", ""),  # never guessed at
    ],
)
def test_status_and_stage_only_from_a_closing_heading(headings, status, stage):
    content = "".join(f"<h4>{h}</h4>" for h in headings)
    snapshot = parse_case_page(page(content), CASE_URL)
    assert (snapshot.status, snapshot.stage) == (status, stage)


def test_a_discontinuance_tab_or_sentence_says_nothing_about_the_status():
    html = page(
        "<h4>Orders</h4><p>The Court noted the discontinuance and removal from the General List of a claim.</p>",
        aside='<h4>Discontinuance</h4><a href="/case/192/discontinuance">Discontinuance</a>',
    )
    snapshot = parse_case_page(html, CASE_URL)
    assert (snapshot.status, snapshot.stage) == ("", "")


def test_the_case_page_states_no_events():
    assert parse_case_page((PAGES / "case-192.html").read_text(), CASE_URL).events == ()


# --- pages that are not ICJ pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty page"),
        ("   \n ", "empty page"),
        ('{"results": []}', "JSON body"),
        ('[{"a": 1}]', "JSON body"),
        ("Service temporarily unavailable", "plain text"),
        ('<?xml version="1.0"?><rss><channel></channel></rss>', "XML body"),
        ("<html><head></head><body></body></html>", "no page content"),
        ("<html><body><p>Hello</p></body></html>", "no title, section heading or document link"),
        (
            "<html><head><title>Page not found | ICJ</title></head><body><h1>Page not found</h1></body></html>",
            "not found",
        ),
    ],
)
def test_pages_of_another_shape_raise_malformed_page(text, message):
    with pytest.raises(MalformedPage) as raised:
        parse_case_page(text, CASE_URL)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("parse", [parse_case_page, parse_pending_cases, parse_decisions])
def test_the_bot_walls_challenge_page_is_reported_as_blocked(parse):
    challenge = (
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><div id='challenge-stage'>"
        "<noscript>Enable JavaScript and cookies to continue</noscript>"
        "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></div></body></html>"
    )
    with pytest.raises(Blocked) as raised:
        parse(challenge, CASE_URL)
    assert isinstance(raised.value, SourceError)
    assert raised.value.outcome == "blocked"


def test_a_page_behind_the_wall_that_got_through_is_not_taken_for_the_challenge():
    html = page(f'<h4>Orders</h4><a href="{FILES}/192-20240126-ord-01-00-en.pdf">Order</a>').replace(
        "</body>", "<script src='/cdn-cgi/challenge-platform/scripts/jsd/main.js'></script></body>"
    )
    assert len(parse_case_page(html, CASE_URL).filings) == 1


def test_images_style_sheets_and_folders_are_not_documents():
    html = page(
        f"""<h4>Orders</h4>
        <a href="{DOCS}/192/photo.JPG">Photo</a> <a href="/sites/default/files/css/style.css">CSS</a>
        <a href="/sites/default/files/case-related/192/">Folder</a>
        <a href="/sites/default/files/case-related/192/annex.docx">Annex, 2 May 2024</a>"""
    )
    assert [f["url"] for f in filings(html)] == [f"{FILES}/annex.docx"]


@pytest.mark.parametrize(
    "text",
    [
        "<html><body><a href='http://[::1'>x</a><h4>Orders</h4></body></html>",
        "<h4>Orders</h4><a href='/files/x.pdf'><a href='/files/y.pdf'>nested</a></a>",
        "<h4>Orders<a href='/files/x.pdf'>in the heading</a></h4>",
        "<table><tr><td><h4>Orders</td><td><a href=/files/x.pdf>unclosed",
        "<a href='javascript:void(0)'>x</a><a href='mailto:a@b'>y</a><a href=''>z</a><a>no href</a><h4>X</h4>",
        "<h4>Orders</h4>" + "<div>" * 500 + "<a href='/files/deep.pdf'>deep</a>" + "</div>" * 500,
        "\x00<h4>\ufffd</h4><a href='/files/\x00.pdf'>\x00</a>",
    ],
)
def test_weird_markup_never_crashes(text):
    try:
        snapshot = parse_case_page(text, CASE_URL)
    except SourceError:
        return
    assert all(f.kind in FILING_KINDS for f in snapshot.filings)


def test_arbitrary_text_gives_a_snapshot_or_a_source_error():
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")
    fragments = strategies.sampled_from(
        ["<h4>Orders</h4>", "<a href='/files/", "192-20240126-ord-01-00-en.pdf", "'>", "</a>", "<aside>", "</div>",
         "<div class='views-row'>", "<h1>", "Just a", " 26 January 2024 ", "<a href='/case/192'>", "{", "&amp;", "\x00"]
    )  # fmt: skip
    text = strategies.one_of(strategies.text(max_size=300), strategies.lists(fragments, max_size=40).map("".join))

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(text)
    def check(value):
        for parse in (parse_case_page, parse_pending_cases, parse_decisions):
            with contextlib.suppress(SourceError):
                parse(value, CASE_URL)

    check()


# --- markup we have not seen ---------------------------------------------------------------------------


def test_unseen_markup_still_parses():
    html = f"""<!DOCTYPE html><html><head><title>X</title></head><BODY>
    <div class="layout-container"><div class="wrapper"><div id="content-area"><div class="inner">
      <H1 class="title--case">  Alleged Breaches of Certain International Obligations
         (Nicaragua v. Germany) </H1>
      <div class="tabs--documents"><div class="tab-pane active">
        <h3 class="group-heading">Oral proceedings</h3>
        <table class="documents"><tbody>
          <tr><td class="c1"><A HREF="{DOCS}/193/193-20240409-ORA-01-00-BI.pdf">CR 2024/16</A></td>
              <td class="c2">9 April 2024</td></tr>
          <tr><td><a href="{DOCS}/193/CR-2024-15.pdf">CR 2024/15</a></td><td>8 April 2024</td></tr>
        </tbody></table>
        <dl><dt>Orders</dt><dd><span><em>
          <a href="{DOCS}/193/193-20240430-ord-01-00-en.pdf">Order</a>
        </em></span></dd></dl>
      </div></div>
    </div></div></div></div></BODY></html>"""
    snapshot = parse_case_page(html, "https://www.icj-cij.org/case/193/oral-proceedings")
    assert snapshot.title == "Alleged Breaches of Certain International Obligations (Nicaragua v. Germany)"
    assert [(f.reference, f.kind, f.date, f.title) for f in snapshot.filings] == [
        ("193-20240409-ORA-01-00-BI", "verbatim_record", datetime.date(2024, 4, 9), "CR 2024/16"),
        ("", "verbatim_record", datetime.date(2024, 4, 8), "CR 2024/15"),
        ("193-20240430-ORD-01-00-EN", "order", datetime.date(2024, 4, 30), "Order"),
    ]
    assert len(snapshot.warnings) == 1


def test_documents_outside_any_section_heading_are_kept():
    html = '<html><body><h1>Case 192</h1><p><a href="/files/notice.pdf">Notice of 2 May 2024</a></p></body></html>'
    (filing,) = parse_case_page(html, CASE_URL).filings
    assert (filing.kind, filing.date, filing.title) == ("other", datetime.date(2024, 5, 2), "Notice of 2 May 2024")


# --- the pending-cases listing -----------------------------------------------------------------------


PENDING_URL = "https://www.icj-cij.org/pending-cases"


def listing(content: str) -> str:
    return f"""<html><head><title>Pending cases | International Court of Justice</title></head><body>
    <nav role="navigation"><a href="/case/91">Featured case</a></nav>
    <main><h1>Pending cases</h1><div class="view-content">{content}</div></main></body></html>"""


def test_pending_cases_are_every_case_linked_once_in_page_order():
    html = listing(
        """<div class="views-row"><a href="/case/193"><img alt=""></a><a href="/case/193">Nicaragua v. Germany</a></div>
        <div class="views-row"><a href="https://www.icj-cij.org/case/192">South Africa v. Israel</a>
          <a href="/case/192/orders">Latest order</a> <a href="/case/192">Read more</a></div>
        <div class="views-row"><a href="/fr/case/182">Ukraine c. Fédération de Russie</a></div>
        <div class="views-row"><a href="https://example.org/case/999">Elsewhere</a>
          <a href="/case/0178/">The Gambia v. Myanmar</a></div>"""
    )
    snapshot = parse_pending_cases(html, PENDING_URL)
    assert snapshot.adapter == "icj-pending"
    assert snapshot.title == "Pending cases"
    assert [(c.url, c.reference, c.title) for c in snapshot.cases] == [
        ("https://www.icj-cij.org/case/193", "193", "Nicaragua v. Germany"),
        ("https://www.icj-cij.org/case/192", "192", "South Africa v. Israel"),
        ("https://www.icj-cij.org/case/182", "182", "Ukraine c. Fédération de Russie"),
        ("https://www.icj-cij.org/case/178", "178", "The Gambia v. Myanmar"),
    ]
    assert snapshot.filings == () and snapshot.warnings == ()


def test_a_pending_case_without_any_title_is_kept_with_a_warning():
    snapshot = parse_pending_cases(listing('<a href="/case/196"><img alt=""></a>'), PENDING_URL)
    assert [(c.reference, c.title) for c in snapshot.cases] == [("196", "")]
    assert snapshot.warnings == ("no title for case 196",)


@pytest.mark.parametrize(
    "text", [listing("<p>No cases.</p>"), listing('<a href="/case/192/orders">Orders</a>'), "", '{"cases": []}']
)
def test_a_listing_without_case_links_is_malformed(text):
    with pytest.raises(MalformedPage):
        parse_pending_cases(text, PENDING_URL)


# --- the decisions listing -----------------------------------------------------------------------------


DECISIONS_URL = "https://www.icj-cij.org/decisions?type=1&from=1946&to=2025&sort_bef_combine=order_DESC"


def decisions_row(document: str, case: str = "", subtitle: str = "", date: str = "") -> str:
    return f"""<div class="views-row">
      <div class="views-field views-field-field-date-of-the-document">{date}</div>
      <div class="views-field views-field-field-document-long-title"><span class="field-content">{document}</span></div>
      <div class="views-field views-field-field-case-long-title"><span class="field-content">{case}</span></div>
      <div class="views-field views-field-field-icj-document-subtitle">{subtitle}</div></div>"""


def decisions_page(rows: str) -> str:
    title = "<h1>Judgments, Advisory Opinions and Orders</h1>"
    return f"<html><body><main>{title}<div class='view-content'>{rows}</div></main></body></html>"


def test_decisions_name_their_case():
    html = decisions_page(
        decisions_row(
            f'<a href="{DOCS}/182/182-20240202-jud-01-00-en.pdf">Judgment of 2 February 2024</a>',
            '<a href="/case/182">Allegations of Genocide (Ukraine v. Russian Federation)</a>',
            "Preliminary Objections",
        )
        + decisions_row(
            '<a href="/sites/default/files/case-related/187/187-20250723-adv-01-00-en.pdf">Advisory Opinion</a>',
            "",
            "Advisory Opinion",
        )
        + decisions_row(
            '<a href="/sites/default/files/case-related/1/1711.pdf">Order of 31 July 1951</a>',
            '<a href="/case/1">Corfu Channel</a>',
            date="31 July 1951",
        )
        + decisions_row("", '<a href="/case/5">No document</a>')
        + decisions_row('<a href="https://www.un.org/x.pdf">Elsewhere</a>', '<a href="/case/5">Somewhere</a>')
    )
    snapshot = parse_decisions(html, DECISIONS_URL)
    assert [(f.case_reference, f.kind, f.date, f.title) for f in snapshot.filings] == [
        ("182", "judgment", datetime.date(2024, 2, 2), "Judgment of 2 February 2024 (Preliminary Objections)"),
        ("187", "advisory_opinion", datetime.date(2025, 7, 23), "Advisory Opinion"),  # the case from the file name
        ("1", "order", datetime.date(1951, 7, 31), "Order of 31 July 1951"),
    ]
    assert snapshot.warnings == (
        "file name '1711.pdf' does not decode: kind and date from the row's text",
        "row 4: no document link",
        "dropped a document on another host: https://www.un.org/x.pdf",
    )


def test_a_decisions_page_that_is_not_one_is_malformed():
    with pytest.raises(MalformedPage):
        parse_decisions("<html><body><p>nothing</p></body></html>", DECISIONS_URL)


# --- the registry and the samples ----------------------------------------------------------------------


def test_the_adapters_are_registered():
    assert {name: (REGISTRY[name].court, REGISTRY[name].parse) for name in ("icj", "icj-pending", "icj-decisions")} == {
        "icj": ("ICJ", parse_case_page),
        "icj-pending": ("ICJ", parse_pending_cases),
        "icj-decisions": ("ICJ", parse_decisions),
    }
    assert set(REGISTRY["icj"].hosts) == set(icj.ICJ_HOSTS) == {"www.icj-cij.org", "icj-cij.org"}


SAMPLES = sorted(PAGES.glob("*.expected.json"))


def test_there_are_samples_for_every_page_shape():
    names = {p.name.removesuffix(".expected.json") for p in SAMPLES}
    for slug in ("orders", "judgments", "written-proceedings", "oral-proceedings", "press-releases", "intervention"):
        assert any(name.endswith(slug) for name in names), slug
    assert {"case-192", "case-91-older", "case-178-odd-names", "pending-cases", "decisions"} <= names


@pytest.mark.parametrize("expected_path", SAMPLES, ids=lambda p: p.name)
def test_sample_parses_to_its_expected_snapshot(expected_path):
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    html = (PAGES / expected_path.name.replace(".expected.json", ".html")).read_text(encoding="utf-8")
    snapshot = REGISTRY[expected["adapter"]].parse(html, expected["url"])
    assert snapshot.as_json() == expected
    for filing in snapshot.filings:
        assert filing.kind in FILING_KINDS
        assert filing.language in ("", "en", "fr", "bi")
        assert filing.url.startswith(("https://www.icj-cij.org/", "https://icj-cij.org/", "http://icj-cij.org/"))


LINKS = [
    "/sites/default/files/case-related/192/192-20240126-ORD-01-00-EN.pdf",
    "https://www.icj-cij.org/sites/x.pdf",
    "HTTPS://WWW.ICJ-CIJ.ORG./x.pdf",
    "https://www.icj-cij.org:443/x.pdf",
    "https://www.icj-cij.org:/x.pdf",
    "http://other.example//x.pdf",
    "//www.icj-cij.org/x.pdf",
    "/a/./b.pdf",
    "/a/../b.pdf",
    "/a/..",
    "/.well-known/x",
    "/a b.pdf",
    "/a%20b.pdf",
    "/%zz.pdf",
    "/é.pdf",
    "/x.pdf?download=1",
    "/x.pdf#page=2",
    "/x;y.pdf",
    "/x.pdf;",
    "/a\\b.pdf",
    " \t/x.pdf\n",
    "x.pdf",
    "../x.pdf",
    "#top",
    "mailto:registry@icj-cij.org",
    "https://[::1]/x.pdf",
    "/",
]


@pytest.mark.parametrize(
    "page_url",
    ["https://www.icj-cij.org/case/192/orders", "http://icj-cij.org/en/case/1?x=1", "https://u@www.icj-cij.org:8443/"],
)
def test_plain_links_resolve_as_the_general_path_resolves_them(page_url):
    characters = "/a.%:@!$&'()*+,;=~_-?#\\ éZ9"
    rng = random.Random(5)
    links = LINKS + [
        prefix + "".join(rng.choice(characters) for _ in range(rng.randrange(12)))
        for prefix in ("/", "https://www.icj-cij.org/")
        for _ in range(2000)
    ]
    resolver = icj._Links(page_url)
    for href in links:
        general = icj._absolute(href, page_url)
        expected = None if general is None else (general, urlsplit(general).path, icj._host(general))
        assert resolver.resolve(href) == expected, href


@pytest.mark.parametrize(
    "name",
    [
        "192-20240126-ord-01-00-en.pdf",
        "192-20240126-ord-01-02-en.pdf",
        "192-20240126-jud-02-00-fr.pdf",
        "178-20231116-adv-01-00-bi.pdf",
        "192-20240231-ord-01-00-en.pdf",
        "192-20240126-xyz-01-00-en.pdf",
        "100-19990101-cmem-10-99-fr.pdf",
    ],
)
def test_the_usual_file_name_decodes_as_any_name_does(name):
    assert icj._USUAL_NAME.fullmatch(name)
    assert icj._decode_file_name(name) == icj._decode_any_name(name) is not None
