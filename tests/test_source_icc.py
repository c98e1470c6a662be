"""The ICC adapters: record numbers, stage labels, dates, the situation/case page, the decisions listing, the feed.

Sample pages under tests/pages/icc/ are compared whole in test_sample_pages.py; the tests below pin each rule on
a page made for it, and check that markup we have not seen (other wrappers, whitespace, class names) still parses.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Stage
from cases.sources import icc
from cases.sources.base import FILING_KINDS, REGISTRY, Blocked, MalformedPage, SourceError
from cases.sources.icc import (
    STAGE_LABELS,
    case_number_of,
    filing_number_in,
    find_date,
    kind_from_title,
    map_stage_label,
    normalise_record_number,
    parse_date,
    parse_decisions,
    parse_feed,
    parse_page,
)

PAGES = Path(__file__).parent / "pages" / "icc"
SITUATION_URL = "https://www.icc-cpi.int/palestine"
CASE_URL = "https://www.icc-cpi.int/philippines/duterte"
DECISIONS_URL = "https://www.icc-cpi.int/decisions"
FEED_URL = "https://www.icc-cpi.int/rss.xml"


def page(content: str, *, title: str = "Sample situation", status: str = "") -> str:
    """A situation or case page in the shape of the site's Drupal markup, with `content` in the main region."""
    status_html = f"<dl><dt>Status</dt><dd>{status}</dd></dl>" if status else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | International Criminal Court</title></head>
<body><header role="banner"><nav><a href="/news/sample-menu-item">Menu item</a></nav></header>
<main role="main"><h1>{title}</h1>{status_html}{content}</main>
<footer role="contentinfo"><a href="/news/sample-footer-item">Footer item</a></footer></body></html>"""


def listing(rows: str) -> str:
    return f"""<html><body><main><h1>Decisions</h1><div class="view view-court-records">
<div class="view-content">{rows}</div></div></main></body></html>"""


def row(title: str, href: str, *, case: str = "Sample case", date: str = "4 February 2021", chamber: str = "") -> str:
    link = f'<a href="{href}">{title}</a>' if href else title
    return f"""<div class="views-row"><div class="recordTitle">{link}</div>
<div class="courtRecordcaseName">{case}</div><div class="datetime">{date}</div>
<div class="tags">{chamber or "Pre-Trial Chamber I"}</div></div>"""


def feed(items: str, *, title: str = "International Criminal Court") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://www.icc-cpi.int/</link>
<description>Press releases</description>{items}</channel></rss>"""


def item(title: str, link: str, *, description: str = "", date: str = "Thu, 21 Nov 2024 12:00:00 +0100") -> str:
    return f"""<item><title>{title}</title><link>{link}</link><description>{description}</description>
<pubDate>{date}</pubDate></item>"""


# --- Registry -----------------------------------------------------------------------------------------------------


def test_the_three_adapters_are_registered_for_the_icc():
    assert {"icc", "icc-decisions", "icc-rss"} <= set(REGISTRY)
    assert {REGISTRY[name].court for name in ("icc", "icc-decisions", "icc-rss")} == {"ICC"}
    assert REGISTRY["icc-rss"].content_types == ("application/rss+xml", "application/xml", "text/xml")
    assert REGISTRY["icc"].content_types == ("text/html",)
    assert set(REGISTRY["icc"].hosts) == {"www.icc-cpi.int", "icc-cpi.int"}


# --- Record numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ICC-01/18-374", "ICC-01/18-374"),
        ("icc-01/22-143", "ICC-01/22-143"),
        ("/court-record/icc-01/21-01/25-123-red", "ICC-01/21-01/25-123-Red"),
        ("ICC-02/05-01/20-1234-Corr", "ICC-02/05-01/20-1234-Corr"),
        ("icc-01/18-374-red2-teng", "ICC-01/18-374-Red2-tENG"),
        ("ICC-01/04-01/06-2842-anxa", "ICC-01/04-01/06-2842-AnxA"),
        ("ICC-01/18-9901-Anx1-Red", "ICC-01/18-9901-Anx1-Red"),
        ("No. ICC-01/18-143 of 5 February 2021", "ICC-01/18-143"),
        ("ICC\u201101/18\u2013374", "ICC-01/18-374"),  # non-breaking hyphen and en dash, as pasted from a PDF
        ("/court-record/icc-01%2F18-374", "ICC-01/18-374"),
        ("ICC-01/18-374-Redacted version", "ICC-01/18-374"),  # "Redacted" is no suffix
        ("ICC-RoC46(3)-01/18-1", "ICC-RoC46(3)-01/18-1"),
        ("ICC-01/21-01/25", "ICC-01/21-01/25"),
        ("ICC-CPI-20241121-PR1789", ""),  # a press release's number, not a court record
        ("Warrant of Arrest", ""),
        ("", ""),
    ],
)
def test_record_numbers_are_normalised_with_their_suffixes(text, expected):
    assert normalise_record_number(text) == expected


@pytest.mark.parametrize(
    ("record_number", "case_number"),
    [
        ("ICC-01/18-374", "ICC-01/18"),
        ("ICC-01/21-01/25-123-Red", "ICC-01/21-01/25"),
        ("ICC-02/05-01/20-1234-Corr", "ICC-02/05-01/20"),
        ("icc-01/22-143", "ICC-01/22"),  # as found in a URL path
        ("/court-record/icc-01/22-143", "ICC-01/22"),
        ("ICC-01/04-01/06-2842-AnxA-Red2", "ICC-01/04-01/06"),
        ("ICC-01/18-374-tENG", "ICC-01/18"),
        ("ICC-01/21-01/25", "ICC-01/21-01/25"),  # already a case number
        ("ICC-01/18", "ICC-01/18"),
        ("ICC-RoC46(3)-01/18-1", "ICC-RoC46(3)-01/18"),
        ("ICC-CPI-20241121-PR1789", ""),
        ("the Duterte case", ""),
        ("", ""),
    ],
)
def test_case_number_of_keeps_the_situation_or_case(record_number, case_number):
    assert case_number_of(record_number) == case_number


def test_a_filing_reference_is_never_a_bare_case_number():
    assert filing_number_in("Situation in Ukraine (ICC-01/22), record ICC-01/22-143") == "ICC-01/22-143"
    assert filing_number_in("Situation in Ukraine (ICC-01/22)") == ""


# --- Stages -------------------------------------------------------------------------------------------------------


def test_every_stage_label_maps_to_our_vocabulary():
    assert set(STAGE_LABELS.values()) - {icc.PRE_TRIAL} <= set(Stage.values)


@pytest.mark.parametrize(
    ("label", "context", "stage", "status"),
    [
        ("Investigation", "", "investigation", "pending"),
        ("Investigation phase", "", "investigation", "pending"),
        ("Preliminary examination", "", "preliminary_examination", "pending"),
        ("Pre-Trial Stage\nIn ICC custody", "", "in_custody", "pending"),
        ("Pre-Trial Stage - At large", "", "warrant_issued", "pending"),
        ("Pre-Trial", "The suspect is not in ICC custody.", "warrant_issued", "pending"),
        ("Pre-Trial", "Status Pre-Trial In ICC custody", "in_custody", "pending"),
        ("Confirmation of charges", "", "confirmation_of_charges", "pending"),
        ("Trial Stage", "", "trial", "pending"),
        ("Trial", "In ICC custody", "trial", "pending"),
        ("Appeals", "", "appeal", "pending"),
        ("Appeal stage", "", "appeal", "pending"),
        ("Reparations", "", "reparations", "pending"),
        ("Closed", "", "closed", "concluded"),
        ("Closed - Proceedings terminated", "", "terminated", "concluded"),
        ("  TRIAL  ", "", "trial", "pending"),
        ("Enquête", "", "investigation", "pending"),
    ],
)
def test_stage_labels_map_through_the_table(label, context, stage, status):
    assert map_stage_label(label, context) == (stage, status, "")


def test_pre_trial_without_custody_is_left_for_staff():
    stage, status, warning = map_stage_label("Pre-Trial Stage")
    assert (stage, status) == ("", "pending")
    assert "custody" in warning


@pytest.mark.parametrize("label", ["Under review", "Situation closed by the Prosecutor's decision", "Stage 3"])
def test_unknown_stage_labels_give_no_stage_and_a_warning(label):
    assert map_stage_label(label) == ("", "", f"unknown stage label {label!r}: stage left empty")


@pytest.mark.parametrize(
    "status_html",
    [
        "<dl><dt>Status</dt><dd>Trial</dd></dl>",
        "<dl>\n  <dt>\n Current stage \n</dt>\n  <dd>\n  Trial  stage\n</dd></dl>",
        '<div class="field"><div class="field__label">Stage</div><div class="field__item">Trial</div></div>',
        '<div class="field field--name-field-case-status"><div>Status</div><div><span>Trial</span></div></div>',
        '<span class="case-stage">Trial</span>',
        "<p><strong>Status:</strong> Trial</p>",
        "<ul><li>Case number: ICC-01/21-01/25</li><li>Stage: Trial</li></ul>",
        "<table><tr><th>Status</th><td>Trial</td></tr></table>",
        "<div><div><section><div class='wrap'><p>Status : <b>Trial</b></p></div></section></div></div>",
    ],
)
def test_the_stage_is_read_from_the_shapes_a_page_may_use(status_html):
    snapshot = parse_page(page(status_html), CASE_URL)
    assert (snapshot.stage, snapshot.status, snapshot.warnings) == ("trial", "pending", ())


def test_the_stages_of_listed_cases_are_not_the_pages_stage():
    teasers = """<section><h2>Cases</h2>
      <div class="views-row"><a href="/sample/one">Sample one</a><span class="case-stage">Trial Stage</span></div>
      <article class="teaser"><p>Status: Closed</p></article>
      <a href="/sample/two"><span class="status">Appeals</span></a></section>"""
    assert parse_page(page(teasers), SITUATION_URL).stage == ""
    assert parse_page(page(teasers, status="Investigation"), SITUATION_URL).stage == "investigation"


def test_a_page_that_states_no_stage_gives_none_and_no_warning():
    snapshot = parse_page(page("<p>Some text about the situation: nothing more.</p>"), SITUATION_URL)
    assert (snapshot.stage, snapshot.status, snapshot.warnings) == ("", "", ())


def test_a_status_column_in_a_table_of_records_is_not_a_stage():
    table = """<table><thead><tr><th>Title</th><th>Status</th><th>Date</th></tr></thead>
      <tbody><tr><td>Sample record</td><td>Public</td><td>1 July 2025</td></tr></tbody></table>"""
    snapshot = parse_page(page(table), SITUATION_URL)
    assert (snapshot.stage, snapshot.warnings) == ("", ())


def test_a_drupal_status_message_is_not_a_stage():
    message = '<div class="messages messages--status">Status message: Trial</div>'
    assert parse_page(page(message), SITUATION_URL).stage == ""


# --- Kinds ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Warrant of Arrest for a sample suspect", "warrant_of_arrest"),
        ("Public redacted version of 'Warrant of Arrest for a sample suspect'", "warrant_of_arrest"),
        ("Judgment on the appeal of a sample party", "judgment"),
        ("Decision on the application for a warrant of arrest", "decision"),
        ("Second Decision on a sample request", "decision"),
        ("Corrigendum to Public Redacted Version of “Decision on a sample request”", "decision"),
        ("Order scheduling a sample hearing", "order"),
        ("Partly dissenting opinion of a sample judge", "opinion"),
        ("Décision relative à une demande", "decision"),
        ("Ordonnance portant calendrier", "order"),
        ("Arrêt relatif à l'appel", "judgment"),
        ("Mandat d'arrêt à l'encontre d'un suspect", "warrant_of_arrest"),
        ("Prosecution's request for a sample order", "other"),
        ("Transcript of a status conference", "other"),
        ("", "other"),
    ],
)
def test_the_kind_comes_from_the_titles_leading_words(title, kind):
    assert kind_from_title(title) == kind
    assert kind in FILING_KINDS


def test_the_listing_defaults_to_decision():
    assert kind_from_title("Sample record", default="decision") == "decision"


# --- Dates ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 February 2021", datetime.date(2021, 2, 4)),
        ("21 November 2024", datetime.date(2024, 11, 21)),
        ("Date: 5 February 2021", datetime.date(2021, 2, 5)),
        ("21\u00a0November\u00a02024", datetime.date(2024, 11, 21)),
        ("November 21, 2024", datetime.date(2024, 11, 21)),
        ("21 Nov. 2024", datetime.date(2024, 11, 21)),
        ("1st March 2025", datetime.date(2025, 3, 1)),
        ("2024-11-21", datetime.date(2024, 11, 21)),
        ("05-02-2021", datetime.date(2021, 2, 5)),  # day first, as the Court's PDF headers print it
        ("21 novembre 2024", datetime.date(2024, 11, 21)),
        ("5 février 2021", datetime.date(2021, 2, 5)),
        ("ICC-02/05-01/20-1234 of 4 February 2021", datetime.date(2021, 2, 4)),
        ("Pre-Trial Chamber 1, 2021", None),
        ("ICC-02/05-01/20-1234", None),  # "01/20-1234" is not a date
        ("no date here", None),
        ("", None),
    ],
)
def test_dates_are_read_from_text(text, expected):
    assert parse_date(text) == expected
    assert find_date(text)[1] == ""


@pytest.mark.parametrize("text", ["31 February 2021", "0 March 2023", "2024-13-45", "30/02/2024", "12 May 0201"])
def test_impossible_dates_give_none_and_their_text(text):
    assert find_date(f"Issued on {text}.") == (None, text)


# --- Situation and case pages -----------------------------------------------------------------------------------------


def test_links_to_other_hosts_are_dropped_with_a_warning():
    content = """<ul>
      <li><a href="https://www.legal-tools.org/doc/sample/pdf">ICC-01/18-9901</a></li>
      <li><a href="https://mirror.example.org/court-record/icc-01/18-9902">A mirrored record</a></li>
      <li><a href="https://mirror.example.org/news/sample">A mirrored press release</a></li>
      <li><a href="https://www.icc-cpi.int.example.org/news/sample">A look-alike host</a></li>
      <li><a href="https://twitter.com/IntlCrimCourt">Follow the Court</a></li>
      <li><a href="https://icc-cpi.int/court-record/icc-01/18-9903">Kept: the bare host</a> 1 July 2025</li>
    </ul>"""
    snapshot = parse_page(page(content), SITUATION_URL)
    assert [f.url for f in snapshot.filings] == ["https://www.icc-cpi.int/court-record/icc-01/18-9903"]
    assert snapshot.warnings == (
        "dropped a link to another host: https://www.legal-tools.org/doc/sample/pdf",
        "dropped a link to another host: https://mirror.example.org/court-record/icc-01/18-9902",
        "dropped a link to another host: https://mirror.example.org/news/sample",
        "dropped a link to another host: https://www.icc-cpi.int.example.org/news/sample",
    )


def test_menus_and_footers_are_not_filings():
    snapshot = parse_page(page('<p><a href="/news/sample-in-content">In the content</a></p>'), SITUATION_URL)
    assert [f.url for f in snapshot.filings] == ["https://www.icc-cpi.int/news/sample-in-content"]


def test_one_filing_per_url_whatever_its_spelling():
    content = """<ul>
      <li><a href="/court-record/icc-01/18-9901">Decision on a sample request</a> 2 June 2025</li>
      <li><a href="http://icc-cpi.int/court-record/ICC-01/18-9901#page=3">The same, again</a></li>
      <li><a href="https://www.icc-cpi.int/court-record/icc-01/18-9901/">And with a slash</a></li>
      <li><a href="/news/sample">Sample news</a></li><li><a href="/news/sample">Sample news again</a></li>
    </ul>"""
    filings = parse_page(page(content), SITUATION_URL).filings
    assert [(f.url, f.title, f.date) for f in filings] == [
        (
            "https://www.icc-cpi.int/court-record/icc-01/18-9901",
            "Decision on a sample request",
            datetime.date(2025, 6, 2),
        ),
        ("https://www.icc-cpi.int/news/sample", "Sample news", None),
    ]


def test_a_records_page_and_its_pdf_are_one_filing():
    content = """<div class="record"><a href="/court-record/icc-01/18-9901">Order on a sample request</a></div>
      <div class="record"><a href="/sites/default/files/CourtRecords/00sample.pdf">ICC-01/18-9901 (PDF)</a></div>"""
    filings = parse_page(page(content), SITUATION_URL).filings
    assert [(f.url, f.reference, f.kind) for f in filings] == [
        ("https://www.icc-cpi.int/court-record/icc-01/18-9901", "ICC-01/18-9901", "order")
    ]


def test_a_record_takes_its_date_from_its_own_row_not_its_neighbours():
    content = """<ul>
      <li><a href="/court-record/icc-01/18-9901">Decision on the request of 20 December 2019</a></li>
      <li><a href="/court-record/icc-01/18-9902">Order on a sample request</a> <span>3 March 2021</span></li>
    </ul>"""
    filings = parse_page(page(content), SITUATION_URL).filings
    assert [f.date for f in filings] == [None, datetime.date(2021, 3, 3)]


def test_dates_from_time_elements_and_bad_dates():
    content = """<div><a href="/news/one">One</a><time datetime="2024-11-21T23:30:00-05:00">21 Nov</time></div>
      <div><a href="/news/two">Two</a><time datetime="2024-02-30">30 February 2024</time></div>
      <div><a href="/news/three">Three</a><span class="date">45 March 2024</span></div>"""
    snapshot = parse_page(page(content), SITUATION_URL)
    assert [f.date for f in snapshot.filings] == [datetime.date(2024, 11, 21), None, None]
    assert snapshot.warnings == (
        "unreadable date '30 February 2024' beside https://www.icc-cpi.int/news/two",
        "unreadable date '45 March 2024' beside https://www.icc-cpi.int/news/three",
    )


def test_records_keep_their_number_language_and_title():
    content = """<ul>
      <li><a href="/court-record/icc-01/18-9901-red-teng">ICC-01/18-9901-Red-tENG: Judgment on a sample appeal</a></li>
      <li><a href="/fr/court-record/icc-01/18-9902-tfra">Décision relative à une demande</a></li>
      <li><h3>Sample transcript</h3><a href="/sites/default/files/CourtRecords/00sample.pdf">Download</a></li>
    </ul>"""
    filings = parse_page(page(content), SITUATION_URL).filings
    assert [(f.reference, f.language, f.title, f.kind) for f in filings] == [
        ("ICC-01/18-9901-Red-tENG", "en", "Judgment on a sample appeal", "judgment"),
        ("ICC-01/18-9902-tFRA", "fr", "Décision relative à une demande", "decision"),
        ("", "", "Sample transcript", "other"),
    ]


def test_news_in_french_is_french():
    content = '<p><a href="/fr/news/exemple">Exemple</a> 14 mars 2025</p>'
    (filing,) = parse_page(page(content), SITUATION_URL).filings
    assert (filing.kind, filing.language, filing.date) == ("press_release", "fr", datetime.date(2025, 3, 14))


def test_relative_links_resolve_against_a_missing_or_local_url():
    content = '<p><a href="/court-record/icc-01/18-9901">Order on a sample request</a></p>'
    for url in ("", "file:///tmp/palestine.html"):
        (filing,) = parse_page(page(content), url).filings
        assert filing.url == "https://www.icc-cpi.int/court-record/icc-01/18-9901"


def test_an_unseen_variation_of_the_situation_page_still_parses():
    original = (PAGES / "palestine.html").read_text(encoding="utf-8")
    expected = json.loads((PAGES / "palestine.expected.json").read_text(encoding="utf-8"))
    varied = re.sub(r">\s*<", ">\r\n\t  \t<", original)  # other whitespace between tags
    varied = re.sub(r"(<a [^>]*>.*?</a>)", r'<span class="link-wrapper"><em>\1</em></span>', varied, flags=re.S)
    varied = varied.replace("<main", '<div class="layout"><div class="region"><main').replace(
        "</main>", "</main></div></div>"
    )
    varied = varied.replace("<dt>", "<DT class='label'>").replace("<h1>", "<H1 class='page-title'>  \n")
    snapshot = parse_page(varied, SITUATION_URL)
    assert snapshot.as_json() == expected


def test_the_duterte_sample_routes_every_filing_to_known_kinds():
    expected = json.loads((PAGES / "duterte.expected.json").read_text(encoding="utf-8"))
    assert expected["stage"] == "in_custody"
    assert {f["kind"] for f in expected["filings"]} <= FILING_KINDS


# --- The decisions listing --------------------------------------------------------------------------------------------


def test_each_row_is_routed_by_the_case_number_in_its_record_number():
    rows = row("Decision on a sample request", "/court-record/icc-01/21-01/25-9901-red", date="2 June 2025")
    rows += row("Order on a sample request", "/court-record/ICC-02/05-01/20-1234-Corr")
    filings = parse_decisions(listing(rows), DECISIONS_URL).filings
    assert [(f.reference, f.case_reference, f.kind, f.date) for f in filings] == [
        ("ICC-01/21-01/25-9901-Red", "ICC-01/21-01/25", "decision", datetime.date(2025, 6, 2)),
        ("ICC-02/05-01/20-1234-Corr", "ICC-02/05-01/20", "order", datetime.date(2021, 2, 4)),
    ]


def test_a_row_without_a_number_takes_its_case_from_the_case_name_cell():
    rows = row("Sample record", "/sites/default/files/CourtRecords/00sample.pdf", case="Situation in X (ICC-01/22)")
    rows += row("Another sample record", "/sites/default/files/CourtRecords/01sample.pdf", case="A sample case")
    snapshot = parse_decisions(listing(rows), DECISIONS_URL)
    assert [(f.reference, f.case_reference, f.kind) for f in snapshot.filings] == [
        ("", "ICC-01/22", "decision"),
        ("", "", "decision"),
    ]
    assert snapshot.warnings == ("'Another sample record': no record or case number, case left for staff",)


def test_rows_without_a_record_link_or_on_another_host_are_dropped_with_a_warning():
    rows = row("No link at all", "")
    rows += row("Elsewhere", "https://www.legal-tools.org/court-record/icc-01/18-9901")
    rows += row("Kept", "/court-record/icc-01/18-9902")
    snapshot = parse_decisions(listing(rows), DECISIONS_URL)
    assert [f.title for f in snapshot.filings] == ["Kept"]
    assert snapshot.warnings == (
        "'No link at all': no link to a court record, row skipped",
        "dropped a link to another host: https://www.legal-tools.org/court-record/icc-01/18-9901",
    )


def test_listing_dates_fall_back_to_the_time_element_and_bad_ones_warn():
    rows = row("One", "/court-record/icc-01/18-9901", date='<time datetime="2025-06-02T10:00:00Z"></time>')
    rows += row("Two", "/court-record/icc-01/18-9902", date="31 June 2025")
    snapshot = parse_decisions(listing(rows), DECISIONS_URL)
    assert [f.date for f in snapshot.filings] == [datetime.date(2025, 6, 2), None]
    assert snapshot.warnings == (
        "unreadable date '31 June 2025' beside https://www.icc-cpi.int/court-record/icc-01/18-9902",
    )


def test_an_empty_listing_is_empty_not_malformed():
    empty = (
        '<html><body><h1>Decisions</h1><div class="view"><div class="view-empty">No results</div></div></body></html>'
    )
    snapshot = parse_decisions(empty, DECISIONS_URL)
    assert (snapshot.filings, snapshot.warnings) == ((), ("the listing shows no decisions",))


def test_the_listing_with_other_wrappers_and_whitespace_still_parses():
    rows = """<section><article class="views-row   odd">
        <h3 class="recordTitle">
            <span><a href="/court-record/icc-01/18-9901">
                Decision   on a
                sample request</a></span></h3>
        <p class="courtRecordcaseName"><em>Situation in the State of Palestine</em></p>
        <p><span class="datetime">
            4&nbsp;February&nbsp;2021 </span></p></article></section>"""
    (filing,) = parse_decisions(listing(rows), DECISIONS_URL).filings
    assert (filing.title, filing.reference, filing.case_reference, filing.date) == (
        "Decision on a sample request",
        "ICC-01/18-9901",
        "ICC-01/18",
        datetime.date(2021, 2, 4),
    )


# --- The feed -------------------------------------------------------------------------------------------------------


def test_feed_items_are_matched_to_the_first_number_they_name():
    items = item("Sample release on ICC-01/18-9901", "https://www.icc-cpi.int/news/one", description="ICC-01/22")
    items += item("Sample release", "https://www.icc-cpi.int/news/two", description="<p>In ICC-01/21-01/25</p>")
    items += item("Sample release about Duterte", "https://www.icc-cpi.int/news/three")
    filings = parse_feed(feed(items), FEED_URL).filings
    assert [(f.case_reference, f.title) for f in filings] == [
        ("ICC-01/18", "Sample release on ICC-01/18-9901"),
        ("ICC-01/21-01/25", "Sample release"),
        ("", "Sample release about Duterte"),
    ]
    assert {(f.kind, f.language) for f in filings} == {("press_release", "en")}


def test_feed_items_keep_the_press_release_number():
    items = item("Sample release", "https://www.icc-cpi.int/news/one", description="ICC-CPI-20990101-PR0001")
    (filing,) = parse_feed(feed(items), FEED_URL).filings
    assert (filing.reference, filing.case_reference) == ("ICC-CPI-20990101-PR0001", "")


def test_feed_dates_are_the_day_the_court_wrote():
    items = item("Late", "https://www.icc-cpi.int/news/late", date="Fri, 14 Mar 2025 23:30:00 -0500")
    items += item("Early", "https://www.icc-cpi.int/news/early", date="Sat, 15 Mar 2025 00:30:00 +0100")
    items += item("Bad", "https://www.icc-cpi.int/news/bad", date="Mon, 45 Foo 2025 99:00:00 +0000")
    items += item("None", "https://www.icc-cpi.int/news/none", date="")
    snapshot = parse_feed(feed(items), FEED_URL)
    assert [f.date for f in snapshot.filings] == [datetime.date(2025, 3, 14), datetime.date(2025, 3, 15), None, None]
    assert snapshot.warnings == (
        "unreadable date 'Mon, 45 Foo 2025 99:00:00 +0000' for https://www.icc-cpi.int/news/bad",
    )


def test_feed_items_on_other_hosts_are_dropped_and_french_ones_marked():
    items = item("Elsewhere", "https://mirror.example.org/news/sample")
    items += item("En français", "https://icc-cpi.int/fr/news/exemple")
    items += item("No link", "")
    snapshot = parse_feed(feed(items), FEED_URL)
    assert [(f.url, f.language) for f in snapshot.filings] == [("https://www.icc-cpi.int/fr/news/exemple", "fr")]
    assert snapshot.warnings == (
        "dropped an item on another host: https://mirror.example.org/news/sample",
        "'No link': no link, item skipped",
    )


def test_an_empty_feed_is_empty():
    snapshot = parse_feed(feed(""), FEED_URL)
    assert (snapshot.title, snapshot.filings, snapshot.warnings) == ("International Criminal Court", (), ())


def test_a_feed_string_is_never_fetched_or_opened():
    for text in ("https://www.icc-cpi.int/rss.xml", "/etc/hostname", str(PAGES / "rss.xml")):
        with pytest.raises(MalformedPage):
            parse_feed(text, FEED_URL)


def test_a_broken_feed_with_items_is_read_with_a_warning():
    broken = feed(item("Sample &amp; release", "https://www.icc-cpi.int/news/one")).replace("</channel>", "")
    snapshot = parse_feed(broken, FEED_URL)
    assert [f.title for f in snapshot.filings] == ["Sample & release"]
    assert snapshot.warnings and snapshot.warnings[0].startswith("the feed is not well-formed")


# --- What is not a page ---------------------------------------------------------------------------------------------

CHALLENGE = """<!DOCTYPE html><html><head><title>Just a moment...</title></head>
<body><div id="challenge-form"></div></body></html>"""
PARSERS = {"icc": parse_page, "icc-decisions": parse_decisions, "icc-rss": parse_feed}


@pytest.mark.parametrize("adapter", sorted(PARSERS))
@pytest.mark.parametrize(
    "body",
    ["", "   \n\t ", "\ufeff", '{"results": []}', "[1, 2]", None, b"<html></html>"],
    ids=["empty", "blank", "bom", "json-object", "json-list", "none", "bytes"],
)
def test_bodies_that_are_no_page_are_malformed(adapter, body):
    with pytest.raises(MalformedPage) as raised:
        PARSERS[adapter](body, "https://www.icc-cpi.int/")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("adapter", sorted(PARSERS))
def test_the_bot_walls_challenge_is_blocked_and_malformed(adapter):
    with pytest.raises(Blocked) as raised:
        PARSERS[adapter](CHALLENGE, "https://www.icc-cpi.int/")
    assert isinstance(raised.value, MalformedPage)
    assert raised.value.outcome == "blocked"


def test_an_ordinary_page_with_cloudflares_scripts_is_no_challenge():
    with_script = page("").replace(
        "</head>", '<script src="/cdn-cgi/challenge-platform/scripts/main.js"></script></head>'
    )
    assert parse_page(with_script, SITUATION_URL).title == "Sample situation"


@pytest.mark.parametrize(
    ("parser", "body", "message"),
    [
        (parse_page, "<html><body><p>No heading</p></body></html>", "no <h1>"),
        (parse_page, page("", title="Page not found"), "Page not found"),
        (parse_page, "just some text", "plain text"),
        (parse_decisions, "<html><body><h1>Something else</h1><p>Text</p></body></html>", "no .views-row"),
        (parse_feed, "<!DOCTYPE html><html><body><h1>News</h1></body></html>", "HTML page"),
        (parse_feed, "<html><head></head><body>No feed</body></html>", "HTML page"),
        (parse_feed, "not a feed at all", "not an RSS feed"),
        (parse_feed, "<?xml version='1.0'?><note><to>Sample</to></note>", "not an RSS feed"),
    ],
)
def test_pages_of_another_shape_are_malformed(parser, body, message):
    with pytest.raises(MalformedPage, match=re.escape(message)):
        parser(body, "https://www.icc-cpi.int/")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                [
                    "<a href='/court-record/icc-01/18-1'>",
                    "<a href='//[bad'>",
                    "<a href='http://[::1'>x</a>",
                    "</a>",
                    "<h1>",
                    "Status: ",
                    "<dt>Stage</dt><dd>",
                    "31 February 2021",
                    "ICC-01/18-374-Red",
                    "<div class='views-row'>",
                    "<time datetime='9999-99-99'>",
                    "<rss><channel><item><link>",
                    "<title>",
                    "<pubDate>Mon, 99 Foo 2025</pubDate>",
                    "</item>",
                    "\x00",
                    "&#0;",
                ]
            )
        ).map("".join),
    ),
    adapter=st.sampled_from(sorted(PARSERS)),
)
def test_any_text_gives_a_snapshot_or_a_source_error(text, adapter):
    try:
        snapshot = PARSERS[adapter](text, "https://www.icc-cpi.int/palestine")
    except SourceError as error:
        assert "\n" not in str(error)
    else:
        assert all(f.kind in FILING_KINDS for f in snapshot.filings)
        assert all(f.url.startswith("https://www.icc-cpi.int/") for f in snapshot.filings)
