"""The ICJ case page's fast path for the usual document link, against the general route it stands in for.

`parse_case_page` reads a link as the Court writes them nowadays (`icj._USUAL_LINK`) off one match, and makes its
filing from the file name and the link's text (`icj._usual_filing`); any other link goes the general route
(`_Links.resolve`, `_is_document_path`, `_name_in_path`, `_filing`). Each page here is parsed both ways, the general
way with the fast path turned off, and the two must agree: the same filings in the same order, the same warnings,
the same error. How fast either is belongs in the benchmark (bench/refresh.py), not here.
"""

import copy
import dataclasses
import html
import json
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import refresh
from cases.sources import icj
from cases.sources.base import FilingRef, SourceError, plain_text

PAGES = Path(__file__).parent / "pages" / "icj"
CASE_URL = "https://www.icj-cij.org/case/192/orders"
FILES = "/sites/default/files/case-related/192"
NAME = "192-20240126-ord-01-00-en.pdf"
NO_LINK = re.compile(r"(?!)")  # matches nothing: with it as _USUAL_LINK, every link goes the general route


def general(text: str, url: str):
    with mock.patch.object(icj, "_USUAL_LINK", NO_LINK):
        return icj.parse_case_page(text, url)


def outcome(parse, text: str, url: str):
    """The Snapshot, or the SourceError's type and message."""
    try:
        return parse(text, url)
    except SourceError as error:
        return type(error), str(error)


def page(
    links: list[tuple[str, str, str | None]], heading: str = "Orders", chrome_link: str = "", markup: bool = False
) -> str:
    """A case sub-page listing `links` (href, text, title attribute) under `heading`, and `chrome_link` in its tabs;
    with `markup`, a link's text is put in as it is (`<b>Order</b> of 2024`) rather than escaped."""
    rows = "".join(
        f'<div class="document-row"><a href="{html.escape(href)}"'
        + (f' title="{html.escape(title)}"' if title is not None else "")
        + f">{label if markup else html.escape(label)}</a></div>"
        for href, label, title in links
    )
    tabs = f'<aside class="case-tabs"><a href="{html.escape(chrome_link)}">Orders</a></aside>' if chrome_link else ""
    return f"""<!DOCTYPE html><html lang="en"><head><title>Orders | South Africa v. Israel</title></head><body>
<header role="banner"><a href="/">International Court of Justice</a></header>
<main role="main"><h1 class="page-header">South Africa v. Israel</h1>{tabs}
<section class="case-documents"><h4>{html.escape(heading)}</h4>{rows}</section></main></body></html>"""


def assert_agree(text: str, url: str = CASE_URL):
    assert outcome(icj.parse_case_page, text, url) == outcome(general, text, url)


# --- which links take the fast path ----------------------------------------------------------------------------

USUAL_LINKS = [
    f"{FILES}/{NAME}",
    f"https://www.icj-cij.org{FILES}/{NAME}",
    f"https://icj-cij.org{FILES}/192-20240126-jud-01-02-fr.pdf",
    "/files/178-19991231-cmem-10-99-bi.pdf",
    f"/{NAME}",
    "/Case_Files/a-b/100-20990101-xyz-00-00-en.pdf",
]
OTHER_LINKS = [
    f"http://www.icj-cij.org{FILES}/{NAME}",  # http, not https
    f"HTTPS://www.icj-cij.org{FILES}/{NAME}",
    f"https://WWW.ICJ-CIJ.ORG{FILES}/{NAME}",
    f"https://www.icj-cij.org.{FILES}/{NAME}",
    f"https://www.icj-cij.org:443{FILES}/{NAME}",
    f"https://www.icj-cij.org:{FILES}/{NAME}",
    f"https://u@www.icj-cij.org{FILES}/{NAME}",
    f"https://www.icj-cij.org@evil.example{FILES}/{NAME}",
    f"https://www.icj-cij.org.evil.example{FILES}/{NAME}",
    f"https://evil.example\\@www.icj-cij.org{FILES}/{NAME}",
    f"https://evil.example{FILES}/{NAME}",
    f"//www.icj-cij.org{FILES}/{NAME}",
    f"//evil.example/{NAME}",
    f"{FILES}\\{NAME}",
    f"/sites\\default/files/{NAME}",
    f"{FILES}/\\/{NAME}",
    f"\\\\evil.example\\{NAME}",
    f"{FILES}/./{NAME}",
    f"{FILES}/../{NAME}",
    f"{FILES}//{NAME}",
    f"/.files/{NAME}",
    f"{FILES}/%2e/{NAME}",
    f"{FILES}/%2E%2E/{NAME}",
    f"{FILES}/192-20240126-ord-01-00-en%2epdf",
    f"{FILES}/a%20b/{NAME}",
    f"{FILES}/v1.2/{NAME}",
    f"/fïles/{NAME}",
    f"{FILES}/{NAME}?download=1",
    f"{FILES}/{NAME}#page=2",
    f"{FILES}/{NAME};x",
    f" {FILES}/{NAME}",
    f"{FILES}/{NAME}\n",
    f"{FILES}/192-20240126-ORD-01-00-EN.pdf",
    f"{FILES}/192-20240126-ord-01-00-en.PDF",
    f"{FILES}/192_20240126_ord_01_00_en.pdf",
    f"{FILES}/192-20240126-ord-1-0-en.pdf",
    f"{FILES}/192-20240126-ord-01-00.pdf",
    f"{FILES}/192-20240126-ord-01-00-en-corr.pdf",
    f"{FILES}/192-20240126-ord-01-00-en_0.pdf",
    f"{FILES}/091-20240126-ord-01-00-en.pdf",
    f"{FILES}/1192-20240126-ord-01-00-en.pdf",
    f"{FILES}/192-21000101-ord-01-00-en.pdf",
    f"{FILES}/192-18991231-ord-01-00-en.pdf",
    f"{FILES}/192-20240126-abcdef-01-00-en.pdf",
    f"{FILES}/192-20240126-ord-01-00-de.pdf",
    f"{FILES}/{NAME}/",
    f"{FILES}/{NAME}.pdf",
    f"javascript:{FILES}/{NAME}",
]


@pytest.mark.parametrize("href", USUAL_LINKS)
def test_the_usual_link_takes_the_fast_path_to_what_the_general_route_makes_of_it(href):
    assert icj._USUAL_LINK.fullmatch(href)
    with mock.patch.object(icj, "_usual_filing", wraps=icj._usual_filing) as usual_filing:
        snapshot = icj.parse_case_page(page([(href, "Order of 26 January 2024", None)]), CASE_URL)
    assert usual_filing.call_count == len(snapshot.filings) == 1
    assert_agree(page([(href, "Order of 26 January 2024", None)]))


@pytest.mark.parametrize("href", OTHER_LINKS)
def test_any_other_link_goes_the_general_route(href):
    assert icj._USUAL_LINK.fullmatch(href) is None
    assert_agree(page([(href, "Order of 26 January 2024", None)]))


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/case/192/orders",  # a usual path on another host is dropped, with a warning
        "http://icj-cij.org/en/case/192?x=1",
        "https://u@www.icj-cij.org:8443/case/192",  # the page's own URL is trusted
        "https://WWW.ICJ-CIJ.ORG./case/192",
        "http://[::1/case/192",
        "case/192",
    ],
)
def test_a_usual_path_is_read_on_the_pages_origin_as_the_general_route_reads_it(url):
    assert_agree(page([(f"{FILES}/{NAME}", "Order", None), (f"https://icj-cij.org{FILES}/{NAME}", "Order", None)]), url)


def test_a_usual_path_on_a_page_of_another_host_is_dropped():
    snapshot = icj.parse_case_page(page([(f"{FILES}/{NAME}", "Order", None)]), "https://example.org/case/192")
    assert snapshot.filings == ()
    assert f"dropped a document on another host: https://example.org{FILES}/{NAME}" in snapshot.warnings


@pytest.mark.parametrize(
    ("label", "title"),
    [
        ("PDF", None),  # no title in the link's text: the general route looks around the link
        ("English", "Order of 26 January 2024"),
        ("", None),
        ("  Order\n of  26 January 2024 (PDF, 1.2 MB) ", None),
        ("– Order –", None),
        ("-", "Order of the Court"),
        ("|", None),
        ("Order ( of 26 January 2024 ) .", None),
        ("Order\x00 of 26\x85 January", None),
        ("Order  of 26 January 2024", None),  # words, but for a space too many
        (" Order of 26 January 2024\n", None),
        (" Order of 26 January 2024 ", None),
        ("Order\tof 26\xa0January 2024", None),
        ("Dissenting opinion of Vice-President Sebutinde", None),
        ("Judgment of 2 February 2024 (Preliminary Objections)", None),
        ("Télécharger", None),  # generic labels as long as any
        ("TÉLÉCHARGER", None),
        ("Read more", None),
        ("Read  more", None),
        ("Bilingue", None),
        ("Telecharger", None),
        ("Ordonnance", None),
    ],
)
@pytest.mark.parametrize("name", [NAME, "192-20240231-ord-01-00-en.pdf", "192-20240126-adv-01-01-bi.pdf"])
def test_any_label_and_date_give_what_the_general_route_gives(label, title, name):
    assert_agree(page([(f"{FILES}/{name}", label, title)], heading="Orders"))
    assert_agree(page([(f"{FILES}/{name}", label, title)], heading=""))


@pytest.mark.parametrize(
    "markup",
    ["<span>Order of 26 January 2024</span>", "Order<br>of 26 January 2024", "Order<!-- x -->of 26 January 2024",
     "<!-- x -->Order of 26 January 2024", "Order <b>of</b> 26 January 2024", "<b></b>", "", " ", "<img alt=Order>",
     "Order &amp; Judgment", "Order\x00of", "<!-- Order -->"],
)  # fmt: skip
def test_a_links_text_in_one_piece_or_many_reads_as_the_general_route_reads_it(markup):
    assert_agree(page([(f"{FILES}/{NAME}", markup, None)], markup=True))


def test_links_in_the_chrome_duplicates_and_order_are_as_the_general_route_has_them():
    links = [
        (f"{FILES}/{NAME}", "Order", None),
        (f"https://www.icj-cij.org{FILES}/{NAME}", "The same order", None),
        (f"{FILES}/192-20240126-ord-01-01-en.pdf", "Declaration", None),
        (f"{FILES}/statute.pdf", "Statute", None),
        (f"{FILES}/192-20240126-ord-01-02-en.pdf", "PDF", None),
    ]
    text = page(links, chrome_link=f"{FILES}/192-20240101-ord-01-00-en.pdf")
    snapshot = icj.parse_case_page(text, CASE_URL)
    assert [filing.title for filing in snapshot.filings] == ["Order", "Declaration", "Statute", "Orders"]
    assert_agree(text)


@pytest.mark.parametrize("shape", list(refresh.PAGE_SHAPES))
def test_the_benchmark_pages_take_the_fast_path_to_what_the_general_route_makes_of_them(shape):
    text = refresh.large_case_page(shape=shape)
    with mock.patch.object(icj, "_usual_filing", wraps=icj._usual_filing) as usual_filing:
        snapshot = icj.parse_case_page(text, refresh.PARSE_URL)
    assert usual_filing.call_count == len(snapshot.filings) > 1000
    assert snapshot == general(text, refresh.PARSE_URL)


@pytest.mark.parametrize("path", sorted(PAGES.glob("case-*.html")), ids=lambda p: p.stem)
def test_the_sample_case_pages_read_as_the_general_route_reads_them(path):
    url = json.loads(path.with_suffix("").with_suffix(".expected.json").read_text(encoding="utf-8"))["url"]
    assert_agree(path.read_text(encoding="utf-8"), url)


def test_the_fast_paths_filing_is_a_filing_ref_like_any_other():
    (filing,) = icj.parse_case_page(page([(f"{FILES}/{NAME}", "Order", None)]), CASE_URL).filings
    made = FilingRef(filing.url, filing.title, filing.date, filing.kind, filing.language, filing.reference)
    assert set(vars(filing)) == {field.name for field in dataclasses.fields(FilingRef)}
    assert filing == made and hash(filing) == hash(made) and repr(filing) == repr(made)
    assert dataclasses.asdict(filing) == dataclasses.asdict(made)
    assert copy.deepcopy(filing) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        filing.title = "Another"


# --- any link, any page -----------------------------------------------------------------------------------------


# A usual link's parts, and what each may be instead: a link of usual parts but one is at the edge of what the fast
# path takes, where the two ways would part if they ever did.
USUAL_PARTS = st.fixed_dictionaries(
    {
        "origin": st.sampled_from(["", "https://www.icj-cij.org", "https://icj-cij.org"]),
        "folders": st.lists(
            st.sampled_from(["sites", "default", "files", "case-related", "192", "Case_Docs"]), max_size=5
        ),
        "case": st.sampled_from(["192", "100", "999"]),
        "date": st.sampled_from(["20240126", "19000101", "20991231", "20240231", "20230229"]),
        "type": st.sampled_from(["ord", "jud", "adv", "pre", "app", "cr", "cmem", "int", "xyz"]),
        "part": st.sampled_from(["01-00", "01-01", "02-00", "00-00", "10-99"]),
        "language": st.sampled_from(["en", "fr", "bi"]),
        "extension": st.just(".pdf"),
        "ending": st.just(""),
    }
)
ODD_PARTS = {
    "origin": ["http://www.icj-cij.org", "HTTPS://www.icj-cij.org", "https://WWW.ICJ-CIJ.ORG", "https://www.icj-cij.org.",
               "https://www.icj-cij.org:443", "https://www.icj-cij.org:", "https://www.icj-cij.org:0",
               "https://u@www.icj-cij.org", "https://www.icj-cij.org@evil.example", "https://www.icj-cij.org.evil.example",
               "https://evil.example\\@www.icj-cij.org", "https://evil.example", "//www.icj-cij.org", "/", "https:",
               "javascript:", "https://[::1", " "],
    "folder": ["", ".", "..", ".well-known", "%2e", "%2E%2E", "a%20b", "a b", "é", "~x", "v1.2", "x:y", "@", "\\"],
    "case": ["091", "1000", "0", "9", "19a"],
    "date": ["18991231", "21000101", "2024012", "2024-1-26"],
    "type": ["ORD", "a", "abcdef", "o1"],
    "part": ["1-0", "01", "01_00", "001-00"],
    "language": ["EN", "de", "en-corr", "en_0"],
    "extension": [".PDF", "", ".pdf.", ".docx", ".pdf.pdf"],
    "ending": ["?download=1", "#page=2", " ", "\n", "/", ";x", "%20", "\\", "/.", "?"],
    "upper": [None],
    "backslash": [0, 1, 2, 5],
}  # fmt: skip


def link_of(parts: dict, change: tuple[str, object] | None = None) -> str:
    """The link of `parts`, with one of them changed: ("case", "091"), ("folder", ".."), ("backslash", 1), ..."""
    parts = dict(parts)
    what, value = change or ("", None)
    if what == "folder":
        parts["folders"] = [*parts["folders"], value]
    elif what in parts:
        parts[what] = value
    name = "-".join(parts[part] for part in ("case", "date", "type", "part", "language")) + parts["extension"]
    link = f"{parts['origin']}/{'/'.join([*parts['folders'], name])}{parts['ending']}"
    if what == "upper":
        return link.upper()
    if what == "backslash":  # a slash, `value` from the end, as a backslash, which a browser reads as a slash still
        slashes = [index for index, character in enumerate(link) if character == "/"]
        index = slashes[-1 - value % len(slashes)]
        return f"{link[:index]}\\{link[index + 1 :]}"
    return link


CHANGES = [(what, value) for what, values in ODD_PARTS.items() for value in values]
USUAL = {
    "origin": "", "folders": ["sites", "default", "files"], "case": "192", "date": "20240126", "type": "ord",
    "part": "01-00", "language": "en", "extension": ".pdf", "ending": "",
}  # fmt: skip


@pytest.mark.parametrize("origin", ["", "https://www.icj-cij.org"])
@pytest.mark.parametrize("change", CHANGES, ids=repr)
def test_a_usual_link_changed_in_one_part_reads_as_the_general_route_reads_it(change, origin):
    assert_agree(page([(link_of({**USUAL, "origin": origin}, change), "Order of 26 January 2024", None)]))


HREFS = st.one_of(
    st.builds(link_of, USUAL_PARTS),
    st.builds(link_of, USUAL_PARTS, st.sampled_from(CHANGES)),
    st.text(alphabet="/a.%:@!$&'()*+,;=~_-?#\\ éZ9", max_size=40).map(lambda text: "/" + text),
)
LABELS = st.one_of(
    st.sampled_from(
        ["Order of 26 January 2024", "  Judgment\n of 1 May 2024 ", "PDF", "English", "FRANÇAIS", "", "-", "|",
         "Order (PDF, 1.2 MB)", "– Order –", "Order ( of 2024 ) .", "x\x00y", "Télécharger", "İ"]
    ),
    st.text(max_size=30),
)  # fmt: skip
PAGE_URLS = st.sampled_from(
    [CASE_URL, "https://icj-cij.org/case/192", "http://icj-cij.org/en/case/192?x=1", "https://u@www.icj-cij.org:8443/",
     "https://WWW.ICJ-CIJ.ORG./case/192", "https://example.org/case/192", "case/192"]
)  # fmt: skip


@settings(
    max_examples=500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    links=st.lists(st.tuples(HREFS, LABELS, st.none() | st.sampled_from(["", "Order of the Court"])), max_size=5),
    url=PAGE_URLS,
    heading=st.sampled_from(["Orders", "Judgments", ""]),
    chrome_link=st.sampled_from(["", f"{FILES}/{NAME}"]),
)
def test_any_link_reads_as_the_general_route_reads_it(links, url, heading, chrome_link):
    assert_agree(page(links, heading=heading, chrome_link=chrome_link), url)


# --- what the fast path leans on -----------------------------------------------------------------------------------


def collapsed(text: str | None) -> str:
    """What _collapse makes of a text, without _SPACE_TO_TIDY's look for anything to tidy first."""
    text = " ".join(text.split()) if text else ""
    if not text.isprintable():
        text = plain_text(text)
    return icj._SPACE_BEFORE_PUNCTUATION.sub(r"\1", icj._SPACE_AFTER_BRACKET.sub(r"\1", text))


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                ["Order", "of", "26", " ", "  ", "\n", "\t", "\xa0", "\u2003", "\u3000", "(", ")", "[", "]", ",", ".",
                 ";", ":", "é", "İ", "ǅ", "²", "_", "-", "\x00", "\x85", "\u200b", "\ud800"]
            ),
            max_size=12,
        ).map("".join),
    )
)  # fmt: skip
def test_collapse_tidies_every_space_it_should(text):
    assert icj._collapse(text) == collapsed(text)


@pytest.mark.parametrize(
    "text",
    ["Order of 26 January 2024", " Order of 2024 ", "Order  of 2024", "Order\tof", "Order\nof", "Order\xa0of",
     "Order\u3000of", "Order of 2024.", "Order ( of 2024 )", "Order_of", "Ordonnance du 26 février 2024", "İ ² ǅ",
     "x\x00y", "x\x85y", "", " ", "\n\t", None]
)  # fmt: skip
def test_collapse_of_a_few_texts(text):
    assert icj._collapse(text) == collapsed(text)


def test_the_title_is_the_first_h1_that_is_one():
    text = page([]).replace(
        '<h1 class="page-header">South Africa v. Israel</h1>',
        "<h1> </h1><h1>International Court of Justice</h1><h1>South Africa v. Israel</h1><h1>Another</h1>",
    )
    assert icj.parse_case_page(text, CASE_URL).title == "South Africa v. Israel"
