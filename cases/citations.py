"""Cite this: OSCOLA and Bluebook citations, and BibTeX, RIS, CSL-JSON, Highwire tags and COinS for reference managers.

Pure functions of a Case or a Filing (with `case.court` loaded); nothing here writes or fetches.

Citations come back as a `Citation`: its parts say which text is italic, so a page can italicise the case
name without ever trusting data as HTML. `str(citation)` and `citation.text` are plain text (for a copy
button; `{{ citation }}` in a template prints it escaped); `{{ citation.html }}` is the same with the case
name in <i>, built with format_html so that every piece of data in it is escaped.

Rules the styles leave to us, decided here:
- Titles are the English ones (`title_en`): OSCOLA and Bluebook are English styles.
- ICJ phase (OSCOLA's "(Merits)", Bluebook's "Preliminary Objections, Judgment"): the `phase` argument
  when given; otherwise the first known phase named in the filing's title ("Judgment (Merits)",
  "Order of 26 January 2024 (Request for the indication of provisional measures)"); see PHASES.
  Bluebook leaves out "Merits", as the Court's own reports and the law reviews do.
- An ICJ decision is "in the Reports" when both `reports_year` and `reports_page` are set; otherwise it
  is cited with its date and URL (OSCOLA adds "accessed <date>").
- An ICC case is "Prosecutor v <short title>" (the surname staff keep in `short_title_en`, e.g. "Lubanga"),
  falling back to the name after "v." in the title. A situation is cited by its title.
- An ICC filing without its own record number falls back to the case number and adds its URL.
- Other courts (ECHR, ITLOS, IACtHR, ...): OSCOLA `*Name* [App no] Ref (Court, Document, Date) <URL>
  accessed Date`; Bluebook `*Name*, [App. No.] Ref, Document, ¶ para (Court Mon. Day, Year), URL`.
- A case as a whole (not one of its documents) is cited by name, court, number and official URL.
- Bluebook puts a comma before "¶ para", as rule 21.5's own examples do.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .models import Case, Filing, Participation

OSCOLA = "oscola"
BLUEBOOK = "bluebook"
STYLES = {OSCOLA: "OSCOLA", BLUEBOOK: "Bluebook"}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
BLUEBOOK_MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")

# Court code (upper case) -> (OSCOLA abbreviation, Bluebook abbreviation).
COURTS = {
    "ICJ": ("ICJ", "I.C.J."),
    "ICC": ("ICC", "Int'l Crim. Ct."),
    "ECHR": ("ECtHR", "Eur. Ct. H.R."),
    "IACTHR": ("IACtHR", "Inter-Am. Ct. H.R."),
    "ITLOS": ("ITLOS", "ITLOS"),
}

# Searched in order in an ICJ judgment's or order's title; the longer names come before their parts.
PHASES = (
    (re.compile(r"preliminary objection", re.I), "Preliminary Objections"),
    (re.compile(r"provisional measure", re.I), "Provisional Measures"),
    (re.compile(r"jurisdiction and admissibility", re.I), "Jurisdiction and Admissibility"),
    (re.compile(r"permission to intervene", re.I), "Application for Permission to Intervene"),
    (re.compile(r"counter-claim", re.I), "Counter-Claims"),
    (re.compile(r"\bjurisdiction\b", re.I), "Jurisdiction"),
    (re.compile(r"\badmissibility\b", re.I), "Admissibility"),
    (re.compile(r"\bmerits\b", re.I), "Merits"),
    (re.compile(r"\bsecond phase\b", re.I), "Second Phase"),
    (re.compile(r"\bcompensation\b", re.I), "Compensation"),
    (re.compile(r"\breparations\b", re.I), "Reparations"),
)

ICJ_DECISIONS = {
    Filing.Kind.JUDGMENT: "Judgment",
    Filing.Kind.ORDER: "Order",
    Filing.Kind.ADVISORY_OPINION: "Advisory Opinion",
}

ICJ_REPORTS = "I.C.J. Reports"

_CHAMBER = re.compile(r"^\s*(pre-trial|trial|appeals)\s+chamber(?:\s+([IVXLC]+))?\s*$", re.I)
_CHAMBER_ABBREVIATIONS = {"pre-trial": "PTC", "trial": "T Ch", "appeals": "A Ch"}
_VERSUS = re.compile(r"\bv\.?\s+(.+)$")
_PARTIES = re.compile(r"\s*\(([^()]*\sv\.?\s[^()]*)\)\s*$")
_CASE_CONCERNING = re.compile(r"^case concerning\s+", re.I)
_OSCOLA_DOTTED_WORD = re.compile(r"\b(v|No|Nos|Co|Ltd|Inc|Art|Arts|para|paras|St|Mr|Mrs|Dr|Rep|Doc)\.(?=[\s,;:)]|$)")
_INITIALISM = re.compile(r"\b(?:[A-Z]\.){2,}")


# --- The result --------------------------------------------------------------------------------------------

TEXT, ITALIC, URL = "text", "italic", "url"


@dataclass(frozen=True)
class Part:
    text: str
    kind: str = TEXT


@dataclass(frozen=True)
class Citation:
    """A citation in parts, so that only the parts meant to be italic are, and data is never HTML."""

    style: str
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts)

    @property
    def italic(self) -> str:
        """The case name, as a page may want it on its own (e.g. for a title attribute)."""
        return "".join(part.text for part in self.parts if part.kind == ITALIC)

    @property
    def html(self) -> SafeString:
        return format_html_join("", "{}", ((_part_html(part),) for part in self.parts))

    def __str__(self) -> str:
        return self.text


def _part_html(part: Part):
    if part.kind == ITALIC:
        return format_html("<i>{}</i>", part.text)
    if part.kind == URL and _is_web_url(part.text):
        return format_html('<a href="{}">{}</a>', part.text, part.text)
    return part.text


def _citation(style: str, *pieces: str | Part | None) -> Citation:
    """Join pieces (plain strings are text), dropping empty ones and merging neighbours of one kind."""
    parts: list[Part] = []
    for piece in pieces:
        if not piece:
            continue
        part = piece if isinstance(piece, Part) else Part(piece)
        if not part.text:
            continue
        if parts and parts[-1].kind == part.kind and part.kind != URL:
            parts[-1] = Part(parts[-1].text + part.text, part.kind)
        else:
            parts.append(part)
    return Citation(style, tuple(parts))


# --- Public API: citations ---------------------------------------------------------------------------------


def cite_case(case: Case, style: str, *, accessed: datetime.date | None = None) -> Citation:
    """The proceedings as a whole: name, court, number and the court's page for them."""
    _check_style(style)
    accessed = accessed or timezone.localdate()
    court = _court_code(case)
    url = case.official_url or case.source_url
    if style == OSCOLA:
        name = _oscola_name(case)
        reference = _reference_label(case, OSCOLA)
        court_name = COURTS.get(court, (case.court.code, ""))[0]
        # "(ICC, ICC-01/18)" would say the court twice.
        where = ", ".join(x for x in (None if reference.startswith(court_name) else court_name, reference) if x)
        return _citation(OSCOLA, Part(name, ITALIC), f" ({where})", *_oscola_url(url, accessed))
    name = _bluebook_name(case)
    court_name = COURTS.get(court, ("", case.court.code))[1]
    filed = ""
    if case.instituted_on and case.kind in (Case.Kind.CONTENTIOUS, Case.Kind.ADVISORY):
        filed = f" filed {_bluebook_date(case.instituted_on)}"
    return _citation(
        BLUEBOOK,
        Part(name, ITALIC),
        _join_prefix(", ", _reference_label(case, BLUEBOOK)),
        f" ({court_name}{filed})",
        *_bluebook_url(url),
    )


def cite_filing(
    filing: Filing,
    style: str,
    *,
    accessed: datetime.date | None = None,
    phase: str | None = None,
    para: str | int | None = None,
) -> Citation:
    """One document of a case. `phase` overrides the phase read from the title; `para` is a pinpoint paragraph."""
    _check_style(style)
    accessed = accessed or timezone.localdate()
    para = str(para).strip() if para not in (None, "") else ""
    court = _court_code(filing.case)
    if court == "ICJ":
        build = _oscola_icj if style == OSCOLA else _bluebook_icj
    elif court == "ICC":
        build = _oscola_icc if style == OSCOLA else _bluebook_icc
    else:
        build = _oscola_generic if style == OSCOLA else _bluebook_generic
    return build(filing, accessed=accessed, phase=phase, para=para)


def case_citation(case: Case, style: str, *, accessed: datetime.date | None = None) -> str:
    return cite_case(case, style, accessed=accessed).text


def filing_citation(filing: Filing, style: str, *, accessed: datetime.date | None = None, **options) -> str:
    return cite_filing(filing, style, accessed=accessed, **options).text


def case_citation_html(case: Case, style: str, *, accessed: datetime.date | None = None) -> SafeString:
    return cite_case(case, style, accessed=accessed).html


def filing_citation_html(filing: Filing, style: str, *, accessed: datetime.date | None = None, **options) -> SafeString:
    return cite_filing(filing, style, accessed=accessed, **options).html


def citations(obj: Case | Filing, *, accessed: datetime.date | None = None) -> dict[str, Citation]:
    """Every style at once, keyed "oscola", "bluebook", for a page's "Cite this" box."""
    cite = cite_filing if isinstance(obj, Filing) else cite_case
    return {style: cite(obj, style, accessed=accessed) for style in STYLES}


# --- ICJ ---------------------------------------------------------------------------------------------------


def icj_phase(filing: Filing) -> str:
    """The phase a judgment or order belongs to, read from its title; "" when none is named."""
    if filing.kind not in (Filing.Kind.JUDGMENT, Filing.Kind.ORDER):
        return ""
    for pattern, label in PHASES:
        if pattern.search(filing.title):
            return label
    return ""


def _in_reports(filing: Filing) -> bool:
    return bool(filing.reports_year and filing.reports_page)


def _oscola_icj(filing, *, accessed, phase, para):
    case = filing.case
    phase = _clean(phase) if phase is not None else icj_phase(filing)
    reported = _in_reports(filing)
    day = _oscola_date(filing.date)
    if filing.kind in ICJ_DECISIONS:
        label = ICJ_DECISIONS[filing.kind]
        if filing.kind == Filing.Kind.ORDER or not reported:
            # Orders always carry their date; so do unreported decisions, which have no [Year].
            dated = f"{label} of {day}" if day else label
            document = ", ".join(x for x in (phase, dated) if x)
        elif filing.kind == Filing.Kind.ADVISORY_OPINION:
            document = label
        else:
            document = phase or label
    else:
        document = _with_date(_clean(filing.title), day)
    pieces = [Part(_oscola_name(case), ITALIC), f" ({_oscola_text(document)})"]
    if reported:
        pieces.append(f" [{filing.reports_year}] ICJ Rep {filing.reports_page}")
        pieces.append(f", para {para}" if para else "")
    else:
        pieces.append(f" para {para}" if para else "")
        pieces.extend(_oscola_url(filing.official_link, accessed))
    return _citation(OSCOLA, *pieces)


def _bluebook_icj(filing, *, accessed, phase, para):
    case = filing.case
    phase = _clean(phase) if phase is not None else icj_phase(filing)
    if filing.kind in ICJ_DECISIONS:
        document = ", ".join(x for x in (phase if phase != "Merits" else "", ICJ_DECISIONS[filing.kind]) if x)
    else:
        document = _clean(filing.title)
    pieces = [Part(_bluebook_name(case), ITALIC), f", {document}"]
    reported = _in_reports(filing)
    if reported:
        pieces.append(f", {filing.reports_year} I.C.J. {filing.reports_page}")
    pieces.append(f", ¶ {para}" if para else "")
    if filing.date:
        # The Reports' year already dates a reported decision: only month and day follow.
        same_year = reported and filing.date.year == filing.reports_year
        pieces.append(f" ({_bluebook_date(filing.date, year=not same_year)})")
    if not reported:
        pieces.extend(_bluebook_url(filing.official_link))
    return _citation(BLUEBOOK, *pieces)


# --- ICC ---------------------------------------------------------------------------------------------------


def icc_chamber(chamber: str) -> str:
    """OSCOLA's short form: Trial Chamber I -> T Ch I, Pre-Trial Chamber II -> PTC II, Appeals Chamber -> A Ch."""
    match = _CHAMBER.match(chamber or "")
    if not match:
        return _clean(chamber)
    number = (match.group(2) or "").upper()
    return " ".join(x for x in (_CHAMBER_ABBREVIATIONS[match.group(1).lower()], number) if x)


def _icc_record(filing) -> tuple[str, bool]:
    """The record number to cite, and whether it is the filing's own (else the case's)."""
    if filing.reference.strip():
        return _clean(filing.reference), True
    return _clean(filing.case.reference), False


def _oscola_icc(filing, *, accessed, phase, para):
    record, own = _icc_record(filing)
    where = ", ".join(x for x in (record, icc_chamber(filing.chamber)) if x)
    day = _oscola_date(filing.date)
    return _citation(
        OSCOLA,
        Part(_oscola_name(filing.case), ITALIC),
        f" ({_oscola_text(_clean(filing.title))})",
        f" {where}" if where else "",
        f" ({day})" if day else "",
        f" para {para}" if para else "",
        *(() if own else _oscola_url(filing.official_link, accessed)),
    )


def _bluebook_icc(filing, *, accessed, phase, para):
    record, own = _icc_record(filing)
    label = "Case No." if filing.case.kind == Case.Kind.CASE else "No."
    return _citation(
        BLUEBOOK,
        Part(_bluebook_name(filing.case), ITALIC),
        f", {label} {record}" if record else "",
        f", {_clean(filing.title)}",
        f", ¶ {para}" if para else "",
        f" ({_bluebook_date(filing.date)})" if filing.date else "",
        *(() if own else _bluebook_url(filing.official_link)),
    )


# --- Other courts ------------------------------------------------------------------------------------------


def _oscola_generic(filing, *, accessed, phase, para):
    case = filing.case
    court = COURTS.get(_court_code(case), (case.court.code, ""))[0]
    inside = ", ".join(x for x in (court, _with_date(_clean(filing.title), _oscola_date(filing.date))) if x)
    return _citation(
        OSCOLA,
        Part(_oscola_name(case), ITALIC),
        _join_prefix(" ", _reference_label(case, OSCOLA)),
        f" ({_oscola_text(inside)})",
        f" para {para}" if para else "",
        *_oscola_url(filing.official_link, accessed),
    )


def _bluebook_generic(filing, *, accessed, phase, para):
    case = filing.case
    court = COURTS.get(_court_code(case), ("", case.court.code))[1]
    when = " ".join(x for x in (court, _bluebook_date(filing.date) if filing.date else "") if x)
    return _citation(
        BLUEBOOK,
        Part(_bluebook_name(case), ITALIC),
        _join_prefix(", ", _reference_label(case, BLUEBOOK)),
        f", {_clean(filing.title)}",
        f", ¶ {para}" if para else "",
        f" ({when})" if when else "",
        *_bluebook_url(filing.official_link),
    )


# --- Names, numbers, dates ---------------------------------------------------------------------------------


def _court_code(case: Case) -> str:
    return case.court.code.upper()


def _oscola_text(text: str) -> str:
    """OSCOLA drops full stops: "v." -> "v", "No." -> "No", "U.K." -> "UK"."""
    text = _OSCOLA_DOTTED_WORD.sub(r"\1", text)
    return _INITIALISM.sub(lambda m: m.group(0).replace(".", ""), text)


def _defendant(case: Case) -> str:
    for candidate in (_clean(case.short_title_en), _clean(case.title_en)):
        if not candidate:
            continue
        match = _VERSUS.search(candidate)
        if match:
            return match.group(1).strip()
        if candidate == _clean(case.short_title_en):
            return candidate
    return _clean(case.title_en)


def _is_icc_case(case: Case) -> bool:
    return _court_code(case) == "ICC" and case.kind == Case.Kind.CASE


def _oscola_name(case: Case) -> str:
    if _is_icc_case(case):
        return _oscola_text(f"Prosecutor v {_defendant(case)}")
    return _oscola_text(_clean(case.title_en))


def _bluebook_name(case: Case) -> str:
    if _is_icc_case(case):
        return f"Prosecutor v. {_defendant(case)}"
    title = _clean(case.title_en)
    if _court_code(case) != "ICJ":
        return title
    # Bluebook 21.5.1: "Case concerning" goes, and the parties are abbreviated (Party.abbreviation).
    title = _CASE_CONCERNING.sub("", title)
    title = title[:1].upper() + title[1:]
    applicants, respondents = _parties(case)
    match = _PARTIES.search(title)
    if match and applicants and respondents:
        title = f"{title[: match.start()]} ({' & '.join(applicants)} v. {' & '.join(respondents)})"
    return title


def _parties(case: Case) -> tuple[list[str], list[str]]:
    if "participations" in getattr(case, "_prefetched_objects_cache", {}):
        participations = case.participations.all()
    else:
        participations = case.participations.select_related("party")
    applicants, respondents = [], []
    for participation in participations:
        name = _clean(participation.party.abbreviation) or _clean(participation.party.name)
        if participation.role == Participation.Role.APPLICANT:
            applicants.append(name)
        elif participation.role == Participation.Role.RESPONDENT:
            respondents.append(name)
    return applicants, respondents


def _reference_label(case: Case, style: str) -> str:
    """The case's number as each style writes it: "General List No 192", "App. No. 53600/20", "Case No. ICC-..."."""
    reference = _clean(case.reference)
    if not reference:
        return ""
    court = _court_code(case)
    if re.search(rf"(?<![\w/-]){re.escape(reference)}(?![\w/-])", case.title_en, re.I):
        return ""  # "Advisory Opinion OC-32/25: ..." already says it
    if court == "ICJ" and reference.isdigit():
        label = "General List No."
    elif court == "ECHR":
        several = "," in reference or " and " in reference
        label = ("App. Nos." if several else "App. No.") if style == BLUEBOOK else ("App nos" if several else "App no")
    elif court == "ICC" and style == BLUEBOOK:
        label = "Case No." if case.kind == Case.Kind.CASE else "No."
    else:
        label = ""
    text = f"{label} {reference}".strip()
    return _oscola_text(text) if style == OSCOLA else text


def _oscola_date(day: datetime.date | None) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def _bluebook_date(day: datetime.date, *, year: bool = True) -> str:
    text = f"{BLUEBOOK_MONTHS[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


def _with_date(title: str, day: str) -> str:
    """A pleading or press release keeps its own title; its date follows unless the title already says it."""
    return f"{title}, {day}" if day and day not in title else title


def _web_url(url: str) -> str:
    """Only an http(s) address is cited: anything else stored in a URL field is not a place to go."""
    url = _clean(url)
    return url if _is_web_url(url) else ""


def _oscola_url(url: str, accessed: datetime.date) -> tuple:
    url = _web_url(url)
    if not url:
        return ()
    return (" <", Part(url, URL), f"> accessed {_oscola_date(accessed)}")


def _bluebook_url(url: str) -> tuple:
    url = _web_url(url)
    return (", ", Part(url, URL)) if url else ()


def _join_prefix(prefix: str, text: str) -> str:
    return f"{prefix}{text}" if text else ""


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise ValueError(f"Unknown citation style {style!r}; expected one of {', '.join(STYLES)}.")


def _clean(text: str | None) -> str:
    """One line of printable text: data may hold newlines or control characters that no format may carry."""
    text = " ".join((text or "").split())
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == "\u200d")


def _is_web_url(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


# --- Reference managers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """What every download format says about a case or a filing, read once."""

    key: str
    title: str
    short_title: str
    document: str
    court: str
    number: str
    date: datetime.date | None
    url: str
    pdf_url: str
    reports: str
    volume: str
    page: str
    language: str
    abstract: str


def record(obj: Case | Filing) -> Record:
    """A case is dated by its institution; a filing by its own date and numbered by its own reference."""
    if isinstance(obj, Filing):
        case = obj.case
        url = _web_url(obj.official_link)
        in_reports = _in_reports(obj) and _court_code(case) == "ICJ"
        day = obj.date
        return Record(
            key=_key(case, f"{day:%Y%m%d}-{obj.pk}" if day else f"{obj.pk}"),
            title=_clean(case.title_en),
            short_title=_clean(case.short_title_en),
            document=_clean(obj.title),
            court=_clean(case.court.name_en),
            number=_clean(obj.reference) or _number(case),
            date=day,
            url=url,
            pdf_url=url if urlsplit(url).path.lower().endswith(".pdf") else "",
            reports=ICJ_REPORTS if in_reports else "",
            volume=str(obj.reports_year) if in_reports else "",
            page=str(obj.reports_page) if in_reports else "",
            language=obj.language if obj.language in ("en", "fr") else "",
            abstract="",
        )
    return Record(
        key=_key(obj, ""),
        title=_clean(obj.title_en),
        short_title=_clean(obj.short_title_en),
        document="",
        court=_clean(obj.court.name_en),
        number=_number(obj),
        date=obj.instituted_on,
        url=_web_url(obj.official_url or obj.source_url),
        pdf_url="",
        reports="",
        volume="",
        page="",
        language="en",
        abstract=_clean(obj.summary),
    )


def _number(case: Case) -> str:
    reference = _clean(case.reference)
    if _court_code(case) == "ICJ" and reference.isdigit():
        return f"General List No. {reference}"
    return reference


def _key(case: Case, suffix: str) -> str:
    """A key for citation managers and file names: court, slug, and for a filing its date and id."""
    key = "-".join(x for x in (case.court.code.lower(), case.slug, suffix) if x)
    return re.sub(r"[^a-z0-9_-]+", "-", key.lower()).strip("-")


def download_filename(obj: Case | Filing, extension: str) -> str:
    return f"{record(obj).key}.{extension}"


def _bibtex_escape(text: str) -> str:
    """LaTeX specials escaped; braces spelt as commands so that every field stays brace-balanced."""
    replacements = {
        "\\": r"\textbackslash{}",
        "{": r"\textbraceleft{}",
        "}": r"\textbraceright{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(replacements.get(ch, ch) for ch in _clean(text))


def _bibtex_url(url: str) -> str:
    """URL fields are verbatim: only what could break the entry (braces, backslashes, spaces) is percent-encoded."""
    return quote(_clean(url), safe="/:?#[]@!$&'()*+,;=%-._~")


def to_bibtex(obj: Case | Filing, *, accessed: datetime.date | None = None) -> str:
    """A biblatex @jurisdiction entry (biblatex-oscola reads it; BibTeX styles treat it as @misc)."""
    rec = record(obj)
    accessed = accessed or timezone.localdate()
    fields = [
        # Double braces keep "Israel" capitalised under styles that lower-case titles.
        ("title", "{" + _bibtex_escape(rec.title) + "}"),
        ("shorttitle", "{" + _bibtex_escape(rec.short_title) + "}" if rec.short_title else ""),
        ("type", _bibtex_escape(rec.document)),
        ("institution", _bibtex_escape(rec.court)),
        ("number", _bibtex_escape(rec.number)),
        ("journaltitle", _bibtex_escape(rec.reports)),
        ("volume", rec.volume),
        ("pages", rec.page),
        ("date", rec.date.isoformat() if rec.date else ""),
        ("year", str(rec.date.year) if rec.date else ""),
        ("url", _bibtex_url(rec.url)),
        ("urldate", accessed.isoformat() if rec.url else ""),
        ("langid", {"en": "english", "fr": "french"}.get(rec.language, "")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@jurisdiction{{{rec.key},\n{body}\n}}\n"


def _ris_date(day: datetime.date) -> str:
    return f"{day:%Y/%m/%d}/"


def to_ris(obj: Case | Filing, *, accessed: datetime.date | None = None) -> str:
    """TY CASE with the tags Zotero and EndNote read for a case (PB court, SV docket, A2 reporter)."""
    rec = record(obj)
    accessed = accessed or timezone.localdate()
    tags = [
        ("TY", "CASE"),
        ("TI", rec.title),
        ("ST", rec.short_title),
        ("M3", rec.document),
        ("PB", rec.court),
        ("SV", rec.number),
        ("A2", rec.reports),
        ("VL", rec.volume),
        ("SP", rec.page),
        ("DA", _ris_date(rec.date) if rec.date else ""),
        ("PY", str(rec.date.year) if rec.date else ""),
        ("UR", rec.url),
        ("L1", rec.pdf_url),
        ("Y2", _ris_date(accessed) if rec.url else ""),
        ("LA", rec.language),
        ("AB", rec.abstract),
        ("ID", rec.key),
    ]
    # Each value is one line (see _clean): a newline in a title cannot start a tag of its own.
    lines = [f"{tag}  - {_clean(value)}" for tag, value in tags if _clean(value)]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def _date_parts(day: datetime.date) -> dict:
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl_item(obj: Case | Filing, *, accessed: datetime.date | None = None) -> dict:
    """One CSL-JSON item: the case name as title, the document as genre (as Juris-M and citeproc read them)."""
    rec = record(obj)
    accessed = accessed or timezone.localdate()
    item = {
        "id": rec.key,
        "citation-key": rec.key,
        "type": "legal_case",
        "title": rec.title,
        "title-short": rec.short_title,
        "genre": rec.document,
        "authority": rec.court,
        "number": rec.number,
        "container-title": rec.reports,
        "volume": rec.volume,
        "page": rec.page,
        "issued": _date_parts(rec.date) if rec.date else None,
        "URL": rec.url,
        "accessed": _date_parts(accessed) if rec.url else None,
        "language": rec.language,
        "abstract": rec.abstract,
    }
    return {name: value for name, value in item.items() if value}


def to_csl_json(obj: Case | Filing, *, accessed: datetime.date | None = None) -> str:
    """A CSL-JSON file is a list of items, even of one."""
    return json.dumps([csl_item(obj, accessed=accessed)], ensure_ascii=False, indent=2) + "\n"


# --- Embedded metadata: Highwire tags and COinS ------------------------------------------------------------


def _embedded_title(rec: Record) -> str:
    """Highwire and COinS have no field for the document: it follows the case name, as OSCOLA writes it."""
    return f"{rec.title} ({rec.document})" if rec.document else rec.title


def citation_meta(obj: Case | Filing) -> list[tuple[str, str]]:
    """(name, content) pairs for <meta> tags: Zotero's Embedded Metadata saves the page as a Case.

    DC.type "case" is a Zotero item type, so Zotero makes a Case rather than guessing a journal article;
    the number goes in citation_technical_report_number, which Zotero files as the docket number.
    Values are plain text: the template escapes them.
    """
    rec = record(obj)
    date = f"{rec.date:%Y/%m/%d}" if rec.date else ""
    tags = [
        ("DC.type", "case"),
        ("citation_title", _embedded_title(rec)),
        ("citation_date", date),
        ("citation_publication_date", date),
        ("citation_publisher", rec.court),
        ("citation_technical_report_number", rec.number),
        ("citation_volume", rec.volume),
        ("citation_firstpage", rec.page),
        ("citation_language", rec.language),
        ("citation_public_url", rec.url),
        ("citation_pdf_url", rec.pdf_url),
    ]
    return [(name, value) for name, value in tags if value]


def coins(obj: Case | Filing) -> str:
    """The title of a <span class="Z3988">: a Dublin Core ContextObject, rft.type naming Zotero's Case type.

    Plain text, already URL-encoded; the template's autoescaping turns each & into &amp; in the attribute.
    """
    rec = record(obj)
    pairs = [
        ("url_ver", "Z39.88-2004"),
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc"),
        ("rft.type", "case"),
        ("rft.title", _embedded_title(rec)),
        ("rft.publisher", rec.court),
        ("rft.date", rec.date.isoformat() if rec.date else ""),
        ("rft.identifier", rec.url),
        ("rft.language", rec.language),
    ]
    return urlencode([(name, value) for name, value in pairs if value], quote_via=quote)


def coins_html(obj: Case | Filing) -> SafeString:
    return format_html('<span class="Z3988" title="{}"></span>', coins(obj))
