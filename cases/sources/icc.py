"""International Criminal Court (icc-cpi.int): situation and case pages, the decisions listing, the press releases.

Three adapters, each a pure function of the page's text:

- "icc" reads a situation page (`/palestine`, `/situations/ukraine`) or a case page (`/philippines/duterte`):
  its title, the stage the page states (mapped through `STAGE_LABELS`), and the court records (`/court-record/...`
  pages, PDFs under `/sites/default/files/CourtRecords/`) and press releases (`/news/<slug>`) it links to.
- "icc-decisions" reads the `/decisions` listing: one `.views-row` a decision, each routed to its case by the
  situation or case number inside its record number (`case_number_of`).
- "icc-rss" reads the press-release feed `https://www.icc-cpi.int/rss.xml`.

We know the site's markup from how public scrapers describe it, not from captured pages
(shared/reference/sources.md), so the parsers look for meaning rather than exact nesting: a link's target, a
date in the text around it, a labelled status. A body in none of these shapes raises `MalformedPage`; a bot-wall
challenge raises `ChallengePage`, which is both malformed (for the parser) and blocked (for the check).
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import html
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import feedparser
from selectolax.lexbor import LexborHTMLParser, LexborNode

from .base import (
    MAX_NESTING,
    URL_MAX,
    Adapter,
    Blocked,
    CaseRef,
    FilingRef,
    MalformedPage,
    Snapshot,
    SourceError,
    nesting_exceeds,
    plain_text,
    register,
    without_surrogates,
)

COURT = "ICC"
HOSTS = ("www.icc-cpi.int", "icc-cpi.int")
CANONICAL_HOST = "www.icc-cpi.int"
HOME = f"https://{CANONICAL_HOST}/"
FEED_URL = f"{HOME}rss.xml"
TITLE_MAX = 500


class ChallengePage(Blocked, MalformedPage):
    """The bot wall's "Just a moment..." page came back instead of the page: reported as blocked, never retried."""


# --- Court record numbers ---------------------------------------------------------------------------------------
#
# ICC-<situation>/<yy>[-<case>/<yy>]-<filing>[-<suffix>...]: ICC-01/18-374, ICC-01/21-01/25-123-Red,
# ICC-02/05-01/20-1234-Corr. A Prosecutor's request before any situation exists is numbered
# ICC-RoC46(3)-01/18. Suffixes mark versions of one filing: a public redacted version (Red, Red2), a corrigendum
# (Corr), a translation (tENG, tFRA), an annex (AnxA, Anx1), a confidential or ex parte one (Conf, Exp).

_CASE_NUMBER = r"ICC-(?:RoC46\(3\)-)?\d{2}/\d{2}(?:-\d{2}/\d{2})?"
_SUFFIX = r"(?:Red\d*|Corr\d*|t[A-Z]{3}|Anx[A-Z0-9]*|Conf|Exp)"
RECORD_NUMBER = re.compile(
    rf"(?<![\w-])(?P<case>{_CASE_NUMBER})(?:-(?P<filing>\d{{1,6}})(?P<suffixes>(?:-{_SUFFIX})*))?(?![\w/])",
    re.IGNORECASE,
)
# Press releases carry their own number: ICC-CPI-20241121-PR1789 (the Court), ICC-OTP-... (the Prosecutor).
PRESS_RELEASE_NUMBER = re.compile(r"(?<![\w-])ICC-(?:CPI|OTP)-\d{8}-PR\d+(?:-[A-Z]{2,4})?(?![\w-])", re.IGNORECASE)
TRANSLATION_LANGUAGES = {"tENG": "en", "tFRA": "fr"}
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_DASHES)


def _canonical_suffix(token: str) -> str:
    low = token.lower()
    if low.startswith("red"):
        return "Red" + token[3:]
    if low.startswith("corr"):
        return "Corr" + token[4:]
    if low.startswith("anx"):
        return "Anx" + token[3:].upper()
    if low in ("conf", "exp"):
        return low.capitalize()
    return "t" + token[1:].upper()  # a translation: tENG, tFRA


def _format_record(match: re.Match) -> str:
    case = re.sub(r"(?i)^ICC-ROC46\(3\)", "ICC-RoC46(3)", match["case"].upper())
    if not match["filing"]:
        return case
    suffixes = [_canonical_suffix(token) for token in match["suffixes"].split("-") if token]
    return "-".join([case, match["filing"], *suffixes])


def record_numbers_in(text: str) -> list[str]:
    """Every court record (or situation/case) number in the text, normalised, in order of appearance."""
    return [_format_record(match) for match in RECORD_NUMBER.finditer(_prepare(unquote(text or "")))]


def normalise_record_number(text: str) -> str:
    """The first record number in the text as the Court writes it ("icc-01/18-374-red" -> "ICC-01/18-374-Red")."""
    numbers = record_numbers_in(text)
    return numbers[0] if numbers else ""


def filing_number_in(text: str) -> str:
    """The first number in the text that names one filing, not a whole situation or case."""
    return next((number for number in record_numbers_in(text) if number != case_number_of(number)), "")


def case_number_of(record_number: str) -> str:
    """The situation or case a record belongs to: the number without its filing number and suffixes.

    "ICC-01/18-374" -> "ICC-01/18"; "ICC-01/21-01/25-123-Red" -> "ICC-01/21-01/25"; "" where there is no number.
    """
    match = RECORD_NUMBER.search(_prepare(unquote(record_number or "")))
    if not match:
        return ""
    return re.sub(r"(?i)^ICC-ROC46\(3\)", "ICC-RoC46(3)", match["case"].upper())


def _language_of_record(reference: str) -> str:
    for suffix, language in TRANSLATION_LANGUAGES.items():
        if f"-{suffix}" in reference:
            return language
    return ""


# --- Kinds of filing, from the title -----------------------------------------------------------------------------
#
# A record's title starts with what it is ("Decision on ...", "Warrant of Arrest for ...", "Judgment on the
# appeal of ..."), so only the leading words count: "Decision on the Prosecution's application for a warrant of
# arrest" is a decision. Wrappers around a title ("Public redacted version of", "Corrigendum to", quotes,
# "Second") are taken off first.

_TITLE_WRAPPERS = re.compile(
    r"^(?:"
    r"(?:public\s+|confidential\s+)?(?:lesser\s+)?(?:redacted\s+)?version\s+(?:of|de)\s+(?:the\s+|la\s+|l')?"
    r"|corrigendum\s+(?:to|of)\s+(?:the\s+)?"
    r"|(?:public|urgent|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|further|final|interim"
    r"|\d+(?:st|nd|rd|th))\s+"
    r"|[\"'\u201c\u201d\u2018\u2019\u00ab\u00bb(\[:\s]+"
    r")",
    re.IGNORECASE,
)
KINDS_BY_LEADING_WORDS = (
    (
        re.compile(r"^(?:warrants?\s+(?:of|for\s+the)\s+arrest|arrest\s+warrants?|mandats?\s+d'arret)\b"),
        "warrant_of_arrest",
    ),
    (re.compile(r"^(?:judge?ments?|jugements?|arrets?)\b"), "judgment"),
    (re.compile(r"^decisions?\b"), "decision"),
    (re.compile(r"^(?:orders?|ordonnances?)\b"), "order"),
    (
        re.compile(r"^(?:(?:partly|partially)\s+)?(?:separate|dissenting|concurring)(?:\s+and\s+\w+)?\s+opinions?\b"),
        "opinion",
    ),
)


def _fold(text: str) -> str:
    """Lower case without accents, curly apostrophes straightened: "Arrêt" -> "arret"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def kind_from_title(title: str, default: str = "other") -> str:
    text = _fold(_prepare(title)).strip()
    for _ in range(6):  # wrappers nest: "Public redacted version of 'Second decision on ...'"
        stripped = _TITLE_WRAPPERS.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    for pattern, kind in KINDS_BY_LEADING_WORDS:
        if pattern.match(text):
            return kind
    return default


# --- Dates ----------------------------------------------------------------------------------------------------------

_MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",  # the pages under /fr/
)
MONTHS = {name: number for names in _MONTH_NAMES for number, name in enumerate(names.split(), start=1)} | {"sept": 9}
DATE = re.compile(
    r"(?<![\w/-])(?:"
    r"(?P<d1>\d{1,2})(?:st|nd|rd|th|er)?\s+(?P<m1>[^\W\d_]{3,10})\.?,?\s+(?P<y1>\d{4})"
    r"|(?P<m2>[^\W\d_]{3,10})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<mo3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})[./-](?P<mo4>\d{1,2})[./-](?P<y4>\d{4})"  # the Court writes numeric dates day first
    r")(?![\w/])"
)
PLAUSIBLE_YEARS = range(1945, 2101)


def find_date(text: str) -> tuple[datetime.date | None, str]:
    """The first date written in the text, and the text of a date-shaped string that is not a real date.

    Returns (date, "") when the first date reads, (None, "31 February 2021") when it does not, (None, "") when
    the text holds no date at all. Record numbers are taken out first: "01/20-1234" is not a date.
    """
    text = RECORD_NUMBER.sub(" ", _prepare(text or ""))
    for match in DATE.finditer(text):
        if match["y1"] or match["y2"]:
            month_word = _fold(match["m1"] or match["m2"]).rstrip(".")
            if month_word not in MONTHS:
                continue  # "Chamber 1, 2021": words that are no month are no date
            day, month, year = int(match["d1"] or match["d2"]), MONTHS[month_word], int(match["y1"] or match["y2"])
        elif match["y3"]:
            day, month, year = int(match["d3"]), int(match["mo3"]), int(match["y3"])
        else:
            day, month, year = int(match["d4"]), int(match["mo4"]), int(match["y4"])
        if year not in PLAUSIBLE_YEARS:
            return None, match.group(0)
        try:
            return datetime.date(year, month, day), ""
        except ValueError:
            return None, match.group(0)
    return None, ""


def parse_date(text: str) -> datetime.date | None:
    return find_date(text)[0]


def _iso_date(value: str) -> tuple[datetime.date | None, str]:
    """A `<time datetime>` value: "2024-11-21" or "2024-11-21T12:00:00Z" (the date as written, no time zone shift)."""
    match = re.match(r"\s*([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", value or "")
    if not match:
        return (None, value.strip()) if (value or "").strip() else (None, "")
    if int(match[1]) not in PLAUSIBLE_YEARS:
        return None, value.strip()
    try:
        return datetime.date(*map(int, match.groups())), ""
    except ValueError:
        return None, value.strip()


_WRITTEN_YEAR = re.compile(r"[^\W\d_]{3,}\.?\s+([0-9]+)\b")  # "Nov 2024": the year after the month


def _rfc822_date(value: str) -> tuple[datetime.date | None, str]:
    """An RSS pubDate ("Thu, 21 Nov 2024 12:00:00 +0100") as the day the Court wrote, not shifted to UTC."""
    value = (value or "").strip()
    if not value:
        return None, ""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        date, _bad = find_date(value)  # some feeds write "21 November 2024"
        return (date, "") if date else (None, value)
    written = _WRITTEN_YEAR.search(value)
    if parsed.year not in PLAUSIBLE_YEARS or (written and len(written[1]) > 2 and int(written[1]) != parsed.year):
        return None, value  # the email parser reads "0000" and "0024" as two-digit years: 2000 and 2024
    return parsed.date(), ""


# --- Stages --------------------------------------------------------------------------------------------------------
#
# The Court labels where a situation or case stands; each label maps to one stage of ours (cases.models.Stage).
# "Pre-Trial" covers three of our stages: it says "in custody" or "at large" beside it (CUSTODY_LABELS), and
# without that it is left for staff rather than guessed. Labels are compared folded: lower case, no accents,
# hyphens as spaces, without a trailing "stage"/"phase".

PRE_TRIAL = "pre_trial"  # not a Stage: resolved by custody
STAGE_LABELS = {
    "preliminary examination": "preliminary_examination",
    "preliminary examinations": "preliminary_examination",
    "examen preliminaire": "preliminary_examination",
    "investigation": "investigation",
    "investigations": "investigation",
    "enquete": "investigation",
    "pre trial": PRE_TRIAL,
    "confirmation of charges": "confirmation_of_charges",
    "confirmation of the charges": "confirmation_of_charges",
    "trial": "trial",
    "proces": "trial",
    "appeal": "appeal",
    "appeals": "appeal",
    "appel": "appeal",
    "reparations": "reparations",
    "reparation": "reparations",
    "closed": "closed",
    "case closed": "closed",
    "clos": "closed",
    "close": "closed",
    "affaire close": "closed",
    "proceedings terminated": "terminated",
    "terminated": "terminated",
}
CUSTODY_LABELS = {
    "in icc custody": "in_custody",
    "in custody": "in_custody",
    "in the custody of the icc": "in_custody",
    "detenu par la cpi": "in_custody",
    "at large": "at_large",
    "not in icc custody": "at_large",
    "not in custody": "at_large",
    "en fuite": "at_large",
}
CONCLUDED_STAGES = frozenset({"closed", "terminated"})
_STAGE_FIELD = re.compile(
    r"^(?:current\s+)?(?:case\s+|situation\s+)?(?:status|stage|phase|statut|stade)(?:\s*:\s*|\s+)(?P<value>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_STAGE_FIELD_LABEL = re.compile(
    r"^(?:current\s+)?(?:case\s+|situation\s+)?(?:status|stage|phase|statut|stade)\s*:?$", re.IGNORECASE
)
_STAGE_CLASS = re.compile(r"(?:^|[-_])(?:stage|phase|status)(?:$|[-_])")


def _label_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9' ]+", " ", _fold(_prepare(text)).replace("-", " ").replace("_", " "))
    key = " ".join(key.split())
    return re.sub(r"\s+(?:stage|phase)$", "", re.sub(r"^(?:stade|phase)\s+", "", key))


def map_stage_label(label: str, context: str = "") -> tuple[str, str, str]:
    """The stage and status a label states, and a warning where it states none we know.

    `label` may join several facts ("Pre-Trial Stage - In ICC custody"); `context` is the text around it, read
    only for custody. Returns (stage, status, warning).
    """
    parts = [part for part in re.split(r"\s+-\s+|[,;()|\u00b7\n]", _prepare(label)) if part.strip()]
    keys = [_label_key(part) for part in parts]
    stages = [STAGE_LABELS[key] for key in keys if key in STAGE_LABELS]
    custody = next((CUSTODY_LABELS[key] for key in keys if key in CUSTODY_LABELS), "")
    if not custody:
        folded = _fold(_prepare(context))
        if re.search(r"\bat large\b|\bnot in (?:icc |the court's )?custody\b", folded):
            custody = "at_large"
        elif re.search(r"\bin (?:icc |the court's )?custody\b|\bin the custody of the (?:icc|court)\b", folded):
            custody = "in_custody"
    shown = " ".join(label.split())
    if "terminated" in stages:  # "Closed - Proceedings terminated": the more precise of the two
        stages.insert(0, "terminated")
    stage = next((stage for stage in stages if stage != PRE_TRIAL), "")
    if not stage and PRE_TRIAL in stages:
        if custody == "in_custody":
            stage = "in_custody"
        elif custody == "at_large":
            stage = "warrant_issued"
        else:
            return (
                "",
                "pending",
                f"stage label {shown!r} does not say whether the suspect is in custody: stage left empty",
            )
    if not stage:
        return "", "", f"unknown stage label {shown!r}: stage left empty"
    return stage, "concluded" if stage in CONCLUDED_STAGES else "pending", ""


# --- Reading HTML ---------------------------------------------------------------------------------------------------

GENERIC_LINK_TEXT = re.compile(
    r"^(?:read more|more|read|see more|download|download pdf|pdf|view|view record|open|link|here|click here|details"
    r"|english|french|fran[cç]ais|en|fr|lire la suite|t[ée]l[ée]charger)?$",
    re.IGNORECASE,
)
CHROME_TAGS = frozenset({"nav", "footer"})
CHROME_ROLES = frozenset({"navigation", "contentinfo", "banner"})
NOT_FOUND_TITLE = re.compile(r"^(?:page not found|not found|access denied|error|404|403)\b", re.IGNORECASE)


def _never_crash(parse: Callable[[str, str], Snapshot]) -> Callable[[str, str], Snapshot]:
    """A parser answers with a Snapshot or a SourceError, whatever the page holds."""

    @functools.wraps(parse)
    def guarded(text: str, url: str) -> Snapshot:
        try:
            return parse(text, url)
        except SourceError:
            raise
        except Exception as error:  # odd markup must fail as a page problem, never as a crash of the task
            message = " ".join(f"{type(error).__name__}: {error}".split())[:200]
            raise MalformedPage(f"could not read the page ({message})") from error

    return guarded


def _check_body(text: str, expected: str) -> str:
    if not isinstance(text, str):
        raise MalformedPage(f"expected {expected} as text, got {type(text).__name__}")
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise MalformedPage(f"empty page where {expected} was expected")
    if body[0] in "{[":
        raise MalformedPage(f"JSON where {expected} was expected")
    # Only the challenge page's own title: Cloudflare also injects its challenge scripts into ordinary pages.
    if re.search(r"<title[^>]*>\s*(?:just a moment|attention required)", body[:20000], re.IGNORECASE):
        raise ChallengePage(f"the bot wall's challenge page ('Just a moment...') came back instead of {expected}")
    return body


def _html(text: str, expected: str) -> LexborHTMLParser:
    body = _check_body(text, expected)
    if "<" not in body:
        raise MalformedPage(f"plain text, not HTML, where {expected} was expected")
    if nesting_exceeds(body):
        raise MalformedPage(f"markup nested more than {MAX_NESTING:,} elements deep where {expected} was expected")
    tree = LexborHTMLParser(body)
    if tree.body is None:
        raise MalformedPage(f"no <body> where {expected} was expected")
    tree.strip_tags(["script", "style", "noscript", "template"])
    return tree


def _text(node: LexborNode | None) -> str:
    """The node's text, whitespace collapsed, without control characters."""
    return plain_text(node.text(deep=True, separator=" ")) if node is not None else ""


def _classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").lower().split()


def _next_element(node: LexborNode) -> LexborNode | None:
    sibling = node.next
    while sibling is not None and not sibling.is_element_node:
        sibling = sibling.next
    return sibling


def _ancestors(node: LexborNode) -> Iterator[LexborNode]:
    parent = node.parent
    while parent is not None and parent.tag not in (None, "html", "-undef", "#document"):
        yield parent
        parent = parent.parent


_CHROME_LINKS = ", ".join(
    [f"{tag} a[href]" for tag in sorted(CHROME_TAGS)] + [f'[role="{role}"] a[href]' for role in sorted(CHROME_ROLES)]
)


def _site_chrome_links(tree: LexborHTMLParser) -> set[int]:
    """The mem_ids of the links in the menus or footer every page repeats, where links say nothing about this case:
    inside a <nav>, a <footer> or an element of a navigation, contentinfo or banner role, or inside a <header> when
    not inside <main> or <article> too. Found in one pass for the page rather than one walk up the tree a link."""
    chrome = {node.mem_id for node in tree.css(_CHROME_LINKS)}
    in_content = {node.mem_id for node in tree.css("main a[href], article a[href]")}
    return chrome | ({node.mem_id for node in tree.css("header a[href]")} - in_content)


def _base(url: str) -> str:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return HOME
    return url if parts.scheme in ("http", "https") and parts.hostname else HOME


def _resolve(href: str, base: str) -> tuple[str, str, str] | None:
    """(absolute URL, host, path) of a link, or None for what is no web link (mailto:, a broken IPv6 host).

    Read as a browser reads it, so that the host checked is the one a reader's browser would open: a backslash is a
    slash ("https://evil.com\\@www.icc-cpi.int/" is evil.com). A link with credentials (even to the Court's own
    host), or a port that is no port, is none either; nor is a backslash that makes a path start with "//", which
    it only does where something read "\\\\evil.com" as a path rather than as a host (feedparser, which resolves a
    feed's links before we see them).
    """
    href = (href or "").strip()
    backslashed = "\\" in href
    href = href.replace("\\", "/")
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    try:
        if "@" in href and "@" in urlsplit(href).netloc:
            return None
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.port == 0:  # and a port out of range or not a number raises ValueError
            return None
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or (backslashed and parts.path.startswith("//")):
        return None
    return absolute, host, parts.path or "/"


def _canonical(absolute: str) -> str:
    """The Court's own spelling of a link: https, www, no fragment, court-record and news paths in lower case.

    The same record then has one URL whichever page links it (filings are keyed by URL). File paths keep their
    case: /sites/default/files/CourtRecords/ is a directory on disk. A canonical URL longer than URL_MAX is no
    link we keep: callers drop it.
    """
    parts = urlsplit(absolute)
    path = parts.path or "/"
    if _link_kind(path) in ("record", "news"):
        path = path.lower()
    # Spaces, control characters and other letters percent-encoded, as a browser sends them; "%" kept as written.
    path = quote(path, safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="=&%:/?+,;@!$'()*~-._")
    return urlunsplit(("https", CANONICAL_HOST, path, query, ""))


def _dedup_key(url: str) -> str:
    parts = urlsplit(url)
    path = unquote(parts.path)
    # Court-record and news paths are case-insensitive aliases: /court-record/ICC-01/18-374 is .../icc-01/18-374.
    if _link_kind(path):
        path = path.lower()
    return f"{path.rstrip('/')}?{parts.query}" if parts.query else path.rstrip("/")


def _link_kind(path: str) -> str:
    """What an ICC link points to: "record" (a court-record page), "pdf" (a court record's file), "news", or ""."""
    path = unquote(path).lower()
    path = re.sub(r"^/(?:en|fr)(?=/)", "", path)
    if re.match(r"^/court-record/icc-", path):
        return "record"
    if path.startswith("/sites/default/files/courtrecords/") and path.endswith(".pdf"):
        return "pdf"
    if re.match(r"^/news/[^/]+", path):
        return "news"
    return ""


def _is_french(url: str) -> bool:
    path = urlsplit(url).path
    return path == "/fr" or path.startswith("/fr/")


# --- Situation and case pages ---------------------------------------------------------------------------------------


def _page_title(tree: LexborHTMLParser) -> str:
    for selector in ("main h1", "article h1", "h1"):
        for heading in tree.css(selector):
            title = _text(heading)
            if title:
                return title[:TITLE_MAX]
    return ""


def _lines(node: LexborNode | None) -> str:
    """The node's text with a line break between text nodes, so "Pre-Trial Stage<br>In ICC custody" stays two facts."""
    if node is None:
        return ""
    lines = (" ".join(line.split()) for line in node.text(deep=True, separator="\n").split("\n"))
    return "\n".join(line for line in lines if line)


BLOCKS = "p, div, li, dd, dt, ul, ol, dl, table, section, article"
VALUE_OF = {"dt": "dd", "th": "td"}


def _elements_with_blocks(tree: LexborHTMLParser) -> set[int]:
    """The mem_ids of the elements with a block element inside them, found in one pass up from every block rather
    than one search of each element's subtree (which 10,000 nested <div>s would make take minutes)."""
    found: set[int] = set()
    for block in tree.body.css(BLOCKS):
        for ancestor in _ancestors(block):
            if ancestor.mem_id in found:
                break  # and so are all of its ancestors
            found.add(ancestor.mem_id)
    return found


def _stage_candidates(tree: LexborHTMLParser) -> Iterator[tuple[str, LexborNode]]:
    """(label value, element) for every place that states a status, in document order, outside lists and menus.

    Three shapes: a label element followed by its value (`<dt>Status</dt><dd>Trial</dd>`, Drupal's
    `.field__label` + `.field__item`, a table row); an element whose class names a stage or status
    (`<span class="case-stage">Trial</span>`); a short block of text "Status: Trial".
    """
    with_blocks = _elements_with_blocks(tree)
    for node in tree.body.traverse():
        if not node.is_element_node or node.tag == "body":
            continue
        # Which of the three shapes the element may be, before its text is read: most elements are none of them.
        classes = _classes(node)
        labelled = node.tag in ("dt", "th") or any("label" in c for c in classes)
        staged = (
            not labelled and any(_STAGE_CLASS.search(c) for c in classes) and not any("message" in c for c in classes)
        )
        if not (labelled or staged) and (
            node.tag not in ("p", "li", "div", "span", "dd", "td") or node.mem_id in with_blocks
        ):
            continue
        text = _text(node)
        if not text or len(text) > 200:
            continue
        value = ""
        if labelled:
            following = _next_element(node)
            # A <th> heading a column of a table of records is no label: its value must sit beside it, in a <td>.
            pairs = following is not None and (node.tag not in VALUE_OF or following.tag == VALUE_OF[node.tag])
            if pairs and _STAGE_FIELD_LABEL.match(text):
                value = _lines(following)
        elif staged:
            match = _STAGE_FIELD.match(_lines(node))
            value = match["value"] if match else ("" if _STAGE_FIELD_LABEL.match(text) else _lines(node))
        else:
            match = _STAGE_FIELD.match(_lines(node))
            value = match["value"] if match and re.match(r"^[^:]{0,30}:", text) else ""
        if value.strip() and not _in_listing(node):
            yield value, node


def _in_listing(node: LexborNode) -> bool:
    """Inside a teaser of another case (a situation page lists its cases with their own stages) or the chrome."""
    for ancestor in [node, *_ancestors(node)]:
        if ancestor.tag in ("a", "nav", "footer"):
            return True
        if any("views-row" in c or "teaser" in c for c in _classes(ancestor)):
            return True
    return False


def _stage(tree: LexborHTMLParser, warnings: list[str]) -> tuple[str, str]:
    for value, node in _stage_candidates(tree):
        block = node.parent
        context = _text(block) if block is not None else ""
        stage, status, warning = map_stage_label(value, context if len(context) <= 400 else value)
        if warning:
            warnings.append(warning)
        return stage, status
    return "", ""


class _Collector:
    """Filings found on one page, one per URL and one per record number, first seen first."""

    def __init__(self):
        self.found: dict[str, dict] = {}
        self.by_reference: dict[str, str] = {}

    def add(self, **fields) -> None:
        key = _dedup_key(fields["url"])
        reference = fields.get("reference", "")
        if key not in self.found and reference and reference in self.by_reference:
            key = self.by_reference[reference]  # the record's page and its PDF are one filing
        if key in self.found:
            kept = self.found[key]
            for name, value in fields.items():
                if value and not kept.get(name):
                    kept[name] = value
            return
        self.found[key] = dict(fields)
        if reference:
            self.by_reference[reference] = key

    def refs(self) -> tuple[FilingRef, ...]:
        return tuple(FilingRef(**fields) for fields in self.found.values())


def _container(
    link: LexborNode, link_keys: dict[int, str], own_key: str, keys_in: dict[int, set[str]] | None = None
) -> LexborNode | None:
    """The largest block around a link that holds no other filing's link: where its date and title are.

    `keys_in` keeps, for the page, the filings each block links to: a block is searched once, however many of
    its links ask (a block of 20,000 links would otherwise be searched 20,000 times).
    """
    keys_in = {} if keys_in is None else keys_in
    container = None
    for depth, ancestor in enumerate(_ancestors(link)):
        if depth >= 5 or ancestor.tag in ("body", "main", "article"):
            break
        keys = keys_in.get(ancestor.mem_id)
        if keys is None:
            keys = keys_in[ancestor.mem_id] = {link_keys.get(a.mem_id) for a in ancestor.css("a[href]")} - {None}
        if len(keys) > 1 or (keys and own_key not in keys):
            break
        container = ancestor
    return container


def _date_near(link: LexborNode, container: LexborNode | None) -> tuple[datetime.date | None, str]:
    """The date beside a link: a `<time>`, an element whose class says date, else the first date in the text around it.

    Returns (date, "") or (None, the unreadable date's text) or (None, "").
    """
    for scope in (container, link):
        if scope is None:
            continue
        for node in scope.css("time"):
            date, bad = _iso_date(node.attributes.get("datetime") or "")
            if date:
                return date, ""
            shown_date, shown_bad = find_date(_text(node))
            if shown_date or shown_bad or bad:
                return shown_date, shown_bad or bad
        for node in scope.css('[class*="date"]'):
            date, bad = find_date(_text(node))
            if date or bad:
                return date, bad
    if container is None:
        return None, ""
    # The link's own words are left out: "Decision on the request of 20 December 2019" is not dated that day.
    return find_date(_text(container).replace(_text(link), " ", 1))


def _title_of(link: LexborNode, container: LexborNode | None) -> str:
    titled = link.css_first('[class*="title"]')
    title = _text(titled) if titled is not None else _text(link)
    for dated in link.css('time, [class*="date"]'):
        title = title.replace(_text(dated), " ")
    title = " ".join(title.split())
    if GENERIC_LINK_TEXT.match(title) or RECORD_NUMBER.fullmatch(title):
        title = ""
    if not title:
        title = " ".join((link.attributes.get("title") or link.attributes.get("aria-label") or "").split())
    if not title and container is not None:
        # A "PDF" or "Read more" link takes its title from the heading or table cell beside it.
        for heading in container.css('h2, h3, h4, h5, h6, [class*="title"], td, th'):
            candidate = _text(heading)
            if _says_something(candidate):
                title = candidate
                break
    # "ICC-01/18-374: Decision on ..." -> the number is kept as the reference, the title is what follows.
    stripped = re.sub(rf"^\s*{RECORD_NUMBER.pattern}\s*[:\-\u2013\u2014.]?\s*", "", _prepare(title), flags=re.I)
    return (stripped or title)[:TITLE_MAX]


def _says_something(text: str) -> bool:
    """More than a record number, a date or "Download": words that can stand as a title."""
    if GENERIC_LINK_TEXT.match(text or ""):
        return False
    rest = DATE.sub(" ", RECORD_NUMBER.sub(" ", _prepare(text)))
    return len(re.findall(r"[^\W\d_]", rest)) >= 3 and not GENERIC_LINK_TEXT.match(rest.strip())


@_never_crash
def parse_page(text: str, url: str) -> Snapshot:
    """A situation or case page: its title, the stage it states, the court records and news it links to."""
    tree = _html(text, "an ICC situation or case page")
    page_title = _page_title(tree)
    if not page_title:
        raise MalformedPage("no <h1> title: not an ICC situation or case page")
    if NOT_FOUND_TITLE.match(page_title):
        raise MalformedPage(f"the page says {page_title!r}, not a situation or case page")
    warnings: list[str] = []
    stage, status = _stage(tree, warnings)
    base = _base(url)

    links = []  # (node, kind, canonical URL)
    dropped: dict[str, None] = {}  # links to other hosts, in page order
    chrome = _site_chrome_links(tree)
    for node in tree.css("a[href]"):
        resolved = _resolve(node.attributes.get("href") or "", base)
        if resolved is None or node.mem_id in chrome:
            continue
        absolute, host, path = resolved
        kind = _link_kind(path)
        if not kind and RECORD_NUMBER.search(_prepare(_text(node))) and path.lower().endswith(".pdf"):
            kind = "pdf"
        if host not in HOSTS:
            filing_like = kind or RECORD_NUMBER.search(_prepare(_text(node))) or path.lower().endswith(".pdf")
            if filing_like:
                dropped[absolute] = None
            continue
        if kind:
            canonical = _canonical(absolute)
            if len(canonical) > URL_MAX:
                warnings.append(f"dropped a link of more than {URL_MAX} characters: {canonical[:100]}...")
                continue
            links.append((node, kind, canonical))
    warnings += [f"dropped a link to another host: {plain_text(absolute)}" for absolute in dropped]

    link_keys = {node.mem_id: _dedup_key(link_url) for node, _, link_url in links}
    collector = _Collector()
    keys_in: dict[int, set[str]] = {}
    for node, kind, link_url in links:
        container = _container(node, link_keys, link_keys[node.mem_id], keys_in)
        title = _title_of(node, container)
        date, bad_date = _date_near(node, container)
        if bad_date:
            warnings.append(f"unreadable date {bad_date!r} beside {link_url}")
        if kind == "news":
            collector.add(
                url=link_url,
                title=title or link_url,
                date=date,
                kind="press_release",
                language="fr" if _is_french(link_url) else "en",
            )
            continue
        reference = filing_number_in(urlsplit(link_url).path) if kind == "record" else ""
        reference = reference or filing_number_in(_text(node))
        if not reference and container is not None:
            numbers = {number for number in record_numbers_in(_text(container)) if number != case_number_of(number)}
            reference = numbers.pop() if len(numbers) == 1 else ""
        collector.add(
            url=link_url,
            title=title or reference or link_url,
            date=date,
            kind=kind_from_title(title),
            language=_language_of_record(reference),
            reference=reference,
        )
    return Snapshot(
        adapter="icc",
        url=url,
        title=page_title,
        status=status,
        stage=stage,
        filings=collector.refs(),
        warnings=tuple(warnings),
    )


# --- The decisions listing ------------------------------------------------------------------------------------------


def _row_link(row: LexborNode, base: str) -> tuple[tuple[str, str, LexborNode] | None, str]:
    """The row's link to its record as (canonical URL, kind, node), and the first such link found on another host."""
    title_cell = row.css_first(".recordTitle")
    candidates = [*(title_cell.css("a[href]") if title_cell is not None else []), *row.css("a[href]")]
    elsewhere = ""
    for node in candidates:
        resolved = _resolve(node.attributes.get("href") or "", base)
        if resolved is None:
            continue
        absolute, host, path = resolved
        kind = _link_kind(path)
        if kind not in ("record", "pdf"):
            continue
        if host not in HOSTS:
            elsewhere = elsewhere or absolute
            continue
        canonical = _canonical(absolute)
        if len(canonical) <= URL_MAX:
            return (canonical, kind, node), elsewhere
    return None, elsewhere


@_never_crash
def parse_decisions(text: str, url: str) -> Snapshot:
    """The /decisions listing: each row a decision, with the case it belongs to as `case_reference`."""
    tree = _html(text, "the ICC decisions listing")
    rows = tree.css(".views-row")
    page_title = _page_title(tree)
    if not rows:
        if tree.css_first(".view-empty") is not None or tree.css_first('[class*="view-"]') is not None:
            return Snapshot(
                adapter="icc-decisions", url=url, title=page_title, warnings=("the listing shows no decisions",)
            )
        raise MalformedPage("no .views-row rows: not the ICC decisions listing")
    base = _base(url)
    warnings: list[str] = []
    collector = _Collector()
    cases: dict[str, CaseRef] = {}
    for index, row in enumerate(rows, start=1):
        found, elsewhere = _row_link(row, base)
        record_title = _text(row.css_first(".recordTitle"))
        shown = record_title[:80] or f"row {index}"
        if found is None and elsewhere:
            warnings.append(f"dropped a link to another host: {plain_text(elsewhere)}")
            continue
        if found is None:
            warnings.append(f"{shown!r}: no link to a court record, row skipped")
            continue
        link_url, kind, link = found
        title = record_title or _title_of(link, None)
        reference = filing_number_in(urlsplit(link_url).path) if kind == "record" else ""
        reference = reference or filing_number_in(title) or filing_number_in(_text(row))
        case_cell = row.css_first(".courtRecordcaseName")
        case_name = _text(case_cell)
        case_reference = case_number_of(reference) or case_number_of(case_name)
        if not case_reference:
            warnings.append(f"{shown!r}: no record or case number, case left for staff")
        date_cell = row.css_first(".datetime")
        date, bad = find_date(_text(date_cell)) if date_cell is not None else (None, "")
        if date is None and not bad and date_cell is not None:
            time = date_cell if date_cell.tag == "time" else date_cell.css_first("time")
            date, bad = _iso_date(time.attributes.get("datetime") or "") if time is not None else (None, "")
        if date is None and not bad and date_cell is None:
            date, bad = find_date(_text(row).replace(title, " ").replace(case_name, " "))
        if bad:
            warnings.append(f"unreadable date {bad!r} beside {link_url}")
        collector.add(
            url=link_url,
            title=(title or reference or link_url)[:TITLE_MAX],
            date=date,
            kind=kind_from_title(title, default="decision"),
            language=_language_of_record(reference),
            reference=reference,
            case_reference=case_reference,
        )
        case_link = case_cell.css_first("a[href]") if case_cell is not None else None
        resolved = _resolve(case_link.attributes.get("href") or "", base) if case_link is not None else None
        case_url = _canonical(resolved[0]) if resolved and resolved[1] in HOSTS else ""
        if case_url and len(case_url) <= URL_MAX and case_name and not _link_kind(resolved[2]):
            cases.setdefault(case_url, CaseRef(url=case_url, reference=case_reference, title=case_name[:TITLE_MAX]))
    return Snapshot(
        adapter="icc-decisions",
        url=url,
        title=page_title,
        filings=collector.refs(),
        cases=tuple(cases.values()),
        warnings=tuple(warnings),
    )


# --- The press-release feed -----------------------------------------------------------------------------------------


def _html_text(fragment: str) -> str:
    """A feed's HTML as plain text: tags dropped, character references read ("Q&amp;A" is "Q&A")."""
    fragment = fragment or ""
    if "<" not in fragment and "&" not in fragment:
        return plain_text(fragment)
    if nesting_exceeds(fragment):  # too deep to parse in good time: the tags are dropped, not parsed
        return plain_text(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return _text(LexborHTMLParser(f"<div>{fragment}</div>").css_first("div"))


# The Court's feed lists its latest press releases, a few dozen. feedparser reads some 5,000 items a second: a feed
# of tens of thousands is read as far as its first MAX_FEED_ITEMS, and says so.
MAX_FEED_ITEMS = 2_000
_ITEM_END = re.compile(r"</(?:item|entry)\s*>", re.IGNORECASE)


def _first_items(body: str, limit: int = MAX_FEED_ITEMS) -> tuple[str, bool]:
    """The feed cut after its `limit`-th item (and closed again), and whether it had more."""
    ends = list(itertools.islice(_ITEM_END.finditer(body), limit + 1))
    if len(ends) <= limit:
        return body, False
    closing = "</feed>" if re.search(r"<feed[\s>]", body[:5000]) else "</channel></rss>"
    return body[: ends[limit - 1].end()] + closing, True


@_never_crash
def parse_feed(text: str, url: str) -> Snapshot:
    """The RSS feed of press releases: each item a press release, routed by the first record number it names."""
    body = _check_body(text, "the ICC press-release feed")
    head = body[:2000].lower()
    if head.startswith("<!doctype html") or re.search(r"<html[\s>]", head):
        raise MalformedPage("an HTML page, not the RSS feed")
    body, cut = _first_items(body)
    # Bytes in a stream: feedparser would otherwise fetch a string that looks like a URL or open one that names a file.
    parsed = feedparser.parse(
        io.BytesIO(without_surrogates(body).encode("utf-8")),
        response_headers={"content-type": "application/rss+xml; charset=utf-8", "content-location": _base(url)},
        sanitize_html=False,
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = " ".join(str(parsed.get("bozo_exception") or "no <rss> or <feed> element").split())[:150]
        raise MalformedPage(f"not an RSS feed: {reason}")
    warnings: list[str] = []
    if cut:
        warnings.append(f"the feed lists more than {MAX_FEED_ITEMS:,} items: the first {MAX_FEED_ITEMS:,} were read")
    if parsed.bozo:
        reason = " ".join(str(parsed.get("bozo_exception") or "").split())[:150]
        warnings.append(f"the feed is not well-formed ({reason}): read what could be read")
    base = _base(url)
    collector = _Collector()
    for index, entry in enumerate(parsed.entries, start=1):
        title = " ".join(_html_text(entry.get("title") or "").split())[:TITLE_MAX]
        shown = title[:80] or f"item {index}"
        resolved = _resolve(entry.get("link") or "", base)
        if resolved is None:
            warnings.append(f"{shown!r}: no link, item skipped")
            continue
        absolute, host, _path = resolved
        if host not in HOSTS:
            warnings.append(f"dropped an item on another host: {plain_text(absolute)}")
            continue
        link_url = _canonical(absolute)
        if len(link_url) > URL_MAX:
            warnings.append(f"{shown!r}: a link of more than {URL_MAX} characters, item skipped")
            continue
        description = _html_text(entry.get("summary") or entry.get("description") or "")
        numbers = record_numbers_in(title) or record_numbers_in(description)
        press_release_number = PRESS_RELEASE_NUMBER.search(f"{title} {description}")
        # dict.get: feedparser's own lookup maps a missing "updated" to "published" with a DeprecationWarning.
        date, bad = _rfc822_date(entry.get("published") or dict.get(entry, "updated", ""))
        if bad:
            warnings.append(f"unreadable date {bad!r} for {link_url}")
        collector.add(
            url=link_url,
            title=title or link_url,
            date=date,
            kind="press_release",
            language="fr" if _is_french(link_url) else "en",
            reference=press_release_number.group(0).upper() if press_release_number else "",
            case_reference=case_number_of(numbers[0]) if numbers else "",
        )
    return Snapshot(
        adapter="icc-rss",
        url=url,
        title=plain_text(parsed.feed.get("title") or "", TITLE_MAX),
        filings=collector.refs(),
        warnings=tuple(warnings),
    )


register(
    Adapter(
        name="icc",
        court=COURT,
        description="situation or case page (status, court records, news)",
        parse=parse_page,
        hosts=HOSTS,
    )
)
register(
    Adapter(
        name="icc-decisions",
        court=COURT,
        description="decisions listing (/decisions)",
        parse=parse_decisions,
        hosts=HOSTS,
    )
)
register(
    Adapter(
        name="icc-rss",
        court=COURT,
        description="press releases (RSS)",
        parse=parse_feed,
        content_types=("application/rss+xml", "application/xml", "text/xml"),
        hosts=HOSTS,
    )
)
