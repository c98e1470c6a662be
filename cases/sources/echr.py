"""European Court of Human Rights: HUDOC's JSON search, one row per document.

HUDOC answers `/app/query/results?query=...&select=...` with
`{"resultcount": n, "results": [{"columns": {"itemid": ..., "docname": ..., ...}}]}`. Staff paste a
search for one application number (`search_url(appno="53600/20")`) as a case's source, or a search
by respondent State as a listing. HUDOC states no case's stage or status; the one fact we take from
it is that a judgment on the merits has been delivered.
"""

from __future__ import annotations

import datetime
import json
import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from .base import PLAUSIBLE_YEARS, Adapter, FilingRef, MalformedPage, Snapshot, never_crash, plain_text, register

HOST = "https://hudoc.echr.coe.int"
SEARCH_ENDPOINT = f"{HOST}/app/query/results"
# The fields `parse` reads, in the order `search_url` asks for them.
FIELDS = ("itemid", "docname", "appno", "doctype", "kpdate", "languageisocode", "conclusion", "ecli")

# HE* are the English documents, HF* the French ones; HECOMOLD/HFCOMOLD are, by their names, older
# communicated cases. PR is a press release: public HUDOC clients exclude `doctype=PR` from case-law
# searches for that reason. Anything else (resolutions, legal summaries,
# Commission reports, ...) stays "other" rather than being guessed.
KINDS = {
    "HEJUD": "judgment",
    "HFJUD": "judgment",
    "HEDEC": "decision",
    "HFDEC": "decision",
    "HEADO": "advisory_opinion",  # advisory opinions under Protocol No. 16
    "HFADO": "advisory_opinion",
    "HECOM": "other",  # a communicated case: the Court's summary of an application put to the government
    "HFCOM": "other",
    "HECOMOLD": "other",
    "HFCOMOLD": "other",
    "PR": "press_release",
}
LANGUAGES = {"ENG": "en", "FRE": "fr"}
HUMAN_PAGE = {"fr": f"{HOST}/fre?i=", "en": f"{HOST}/eng?i="}

# ASCII digits only: an item id becomes part of the document's URL.
ITEMID = re.compile(r"[0-9]{3}-[0-9]{1,12}")
APPNO = re.compile(r"^\d{1,6}/\d{2}$")
ISO3 = re.compile(r"^[A-Z]{3}$")
QUERIED_APPNO = re.compile(r"\bappno\s*[:=]\s*\"?\s*(\d{1,6}/\d{2})\b", re.IGNORECASE)
# Conclusions that end a case without ruling on its merits: a judgment striking an application
# out of the list (friendly settlement, withdrawal) is not a judgment on the merits.
NOT_MERITS = re.compile(r"struck out|strike out|radiation du r[ôo]le|inadmissib|irrecevab", re.IGNORECASE)
TITLE_MAX = 500


def search_url(
    *, appno: str | None = None, respondent: str | None = None, language: str = "ENG", length: int = 100
) -> str:
    """The official HUDOC search for one application's documents, or for every document against one State.

    Newest first; `language=""` asks for every language. Both filters together narrow to their intersection.
    """
    clauses = ["contentsitename:ECHR"]
    language = (language or "").strip().upper()
    if language:
        if not ISO3.match(language):
            raise ValueError(f"language must be a HUDOC language code such as ENG or FRE, not {language!r}")
        clauses.append(f'(languageisocode:"{language}")')
    if appno is not None:
        appno = appno.strip()
        if not APPNO.match(appno):
            raise ValueError(f"application number must look like 53600/20, not {appno!r}")
        clauses.append(f'(appno:"{appno}")')
    if respondent is not None:
        respondent = respondent.strip().upper()
        if not ISO3.match(respondent):
            raise ValueError(f"respondent must be a three-letter State code such as CHE or RUS, not {respondent!r}")
        clauses.append(f'(respondent:"{respondent}")')
    if appno is None and respondent is None:
        raise ValueError("give an application number or a respondent State: HUDOC would return every document")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive number of results, not {length!r}")
    params = {
        "query": " AND ".join(clauses),
        "select": ",".join(FIELDS),
        "sort": "kpdate Descending",
        "start": 0,
        "length": length,
    }
    # Spaces as %20 (not "+"); parentheses stay literal as HUDOC's own links write them.
    return f"{SEARCH_ENDPOINT}?{urlencode(params, quote_via=quote, safe='()')}"


@never_crash
def parse(text: str, url: str) -> Snapshot:
    rows, resultcount = _load(text)
    warnings: list[str] = []
    if resultcount is not None and resultcount > len(rows):
        warnings.append(f"HUDOC counts {resultcount} documents and this page lists {len(rows)}; only these were read")
    if not rows:
        warnings.append("HUDOC found no documents for this search")

    documents: list[dict] = []
    seen: set[str] = set()
    for position, row in enumerate(rows, start=1):
        columns = _columns(row)
        if columns is None:
            warnings.append(f"result {position}: not a HUDOC document row; skipped")
            continue
        itemid = _text(columns.get("itemid"))
        if not itemid:
            warnings.append(f"result {position}: no item id; skipped")
            continue
        if not ITEMID.fullmatch(itemid):
            warnings.append(f"result {position}: item id {itemid[:40]!r} is not in HUDOC's form; skipped")
            continue
        if itemid in seen:
            continue
        seen.add(itemid)
        documents.append(_document(itemid, columns, warnings))

    # Only a search for an application speaks for one case; a search by State is a listing of many.
    targets = _queried_appnos(url)
    judgments = [d for d in documents if d["filing"].kind == "judgment" and targets & set(d["appnos"])]
    merits = [d for d in judgments if _on_the_merits(d["conclusion"])]
    title_from = sorted(judgments, key=lambda d: d["filing"].language != "en")[:1]
    return Snapshot(
        adapter="hudoc",
        url=url,
        title=title_from[0]["filing"].title if title_from else "",
        # HUDOC gives no status: a Chamber judgment becomes final only later, and may be referred.
        status="",
        stage="judgment_delivered" if merits else "",
        filings=tuple(d["filing"] for d in documents),
        warnings=tuple(warnings),
    )


def _load(text: str) -> tuple[list, int | None]:
    body = (text or "").lstrip("\ufeff \t\r\n")
    if not body:
        raise MalformedPage("HUDOC answered with an empty body")
    if body.startswith("<"):
        raise MalformedPage("HUDOC answered with an HTML page, not JSON (a bot wall or an error page?)")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        raise MalformedPage(f"HUDOC's answer is not JSON: {error.msg} at line {error.lineno}") from None
    except (RecursionError, ValueError):
        raise MalformedPage("HUDOC's answer is not JSON that can be read") from None
    if not isinstance(data, dict):
        raise MalformedPage(f"HUDOC's answer is a JSON {type(data).__name__}, not a search result")
    data = {str(key).lower(): value for key, value in data.items()}
    if "results" not in data:
        raise MalformedPage('HUDOC\'s answer has no "results": not a search result')
    rows = data["results"]
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise MalformedPage(f'HUDOC\'s "results" is a {type(rows).__name__}, not a list')
    return rows, _count(data.get("resultcount"))


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,15}", value.strip()):
        return int(value.strip())  # not str.isdigit(), which takes "١٢" and 5,000 digits int() refuses
    return None


def _columns(row) -> dict | None:
    """A row's fields with lower-case names; a row without "columns" may hold its fields itself."""
    if not isinstance(row, dict):
        return None
    lowered = {str(key).lower(): value for key, value in row.items()}
    columns = lowered.get("columns", lowered)
    if not isinstance(columns, dict):
        return None
    return {str(key).lower(): value for key, value in columns.items()}


def _text(value) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        return ";".join(part for part in (_text(item) for item in value) if part)
    if isinstance(value, str | int | float):
        return plain_text(str(value))  # whitespace collapsed, no control character or lone surrogate
    return ""


def _document(itemid: str, columns: dict, warnings: list[str]) -> dict:
    doctype = _text(columns.get("doctype")).upper()
    code = _text(columns.get("languageisocode")).upper()
    language = LANGUAGES.get(code, "other" if code else "")
    title = _text(columns.get("docname"))
    if not title:
        warnings.append(f"item {itemid}: no document name; titled by its item id")
        title = f"HUDOC document {itemid}"
    appnos = [part for part in re.split(r"[;,\s]+", _text(columns.get("appno"))) if part]
    filing = FilingRef(
        url=HUMAN_PAGE.get(language, HUMAN_PAGE["en"]) + itemid,
        title=title[:TITLE_MAX],
        date=_date(itemid, columns.get("kpdate"), warnings),
        kind=KINDS.get(doctype, "other"),
        language=language,
        reference=_text(columns.get("ecli")) or itemid,
        case_reference=appnos[0] if appnos else "",
    )
    return {"filing": filing, "appnos": appnos, "conclusion": _text(columns.get("conclusion"))}


def _date(itemid: str, value, warnings: list[str]) -> datetime.date | None:
    """kpdate is "2024-04-09T00:00:00"; the date part is the document's own date."""
    text = _text(value)
    if not text:
        warnings.append(f"item {itemid}: no date")
        return None
    match = re.match(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:$|[T ])", text)
    if match and int(match[1]) in PLAUSIBLE_YEARS:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    warnings.append(f"item {itemid}: date {text[:40]!r} is not a date; left undated")
    return None


def _queried_appnos(url: str) -> set[str]:
    try:
        query = " ".join(parse_qs(urlsplit(url or "").query).get("query", []))
    except ValueError:
        return set()
    return set(QUERIED_APPNO.findall(query))


def _on_the_merits(conclusion: str) -> bool:
    parts = [part.strip() for part in conclusion.split(";") if part.strip()]
    return any(not NOT_MERITS.search(part) for part in parts)


register(
    Adapter(
        name="hudoc",
        court="ECHR",
        description="HUDOC search results (JSON)",
        parse=parse,
        content_types=("application/json", "text/json", "text/plain"),
        hosts=("hudoc.echr.coe.int",),
    )
)
