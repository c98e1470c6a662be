"""International Court of Justice (icj-cij.org): case pages, their sub-pages and two listings.

- "icj": a case page `/case/<N>` or one of its sub-pages `/case/<N>/<slug>` (orders, judgments,
  written-proceedings, ...), new or old style. Every document link on an ICJ host becomes a filing;
  what the file name says (see `decode_document_name`) wins over the page text.
- "icj-pending": the `/pending-cases` listing, as the cases it links to.
- "icj-decisions": the `/decisions` listing, as filings that each name their case.

The parsers are pure and lenient: odd markup degrades to warnings, and a page that is not an ICJ
page at all raises a `SourceError` (`Blocked` for the bot wall's challenge page, otherwise
`MalformedPage`). They never return anything but a Snapshot.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .base import (
    MAX_NESTING,
    PLAUSIBLE_YEARS,
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
)

ICJ_HOSTS = ("www.icj-cij.org", "icj-cij.org")
BASE_URL = "https://www.icj-cij.org"

# --- document file names ---------------------------------------------------------------------------

# What the TYPE part of a file name says about the document, in the Filing vocabulary. Requests,
# memorials and the like are all pleadings; anything not listed is "other" (the name still decodes).
TYPE_KINDS = {
    "app": "application",
    "ord": "order",
    "jud": "judgment",
    "adv": "advisory_opinion",
    "sum": "summary",
    "pre": "press_release",
    "wri": "written_pleading",
    "req": "written_pleading",
    "mem": "written_pleading",
    "cmem": "written_pleading",
    "rep": "written_pleading",
    "rej": "written_pleading",
    "obs": "written_pleading",
    "int": "intervention",
    "ora": "verbatim_record",
    "cr": "verbatim_record",
}

# Separate and dissenting opinions and declarations are published as the attached parts
# (anything but 01-00) of the decision they go with; an attached part of any other document (an
# annex to a pleading, a translation of a verbatim record) is the same kind as the main document.
DECISION_TYPES = frozenset({"ord", "jud", "adv"})
MAIN_PART = (1, 0)

_NAME = re.compile(
    r"""
    (?P<case>[0-9]{1,4}) [-_]
    (?P<date>[0-9]{8}) [-_]
    (?P<type>[a-z]{2,5})
    (?: [-_] (?P<aa>[0-9]{1,2}) (?: [-_] (?P<bb>[0-9]{1,2}) )? )?
    (?: [-_] (?P<lang>en|fr|bi) )?
    (?P<corr> [-_] corr (?:igendum)? )?
    (?: _[0-9]{1,3} )?      # Drupal's suffix for a file uploaded again under the same name
    (?: \.pdf )?
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class DocumentName:
    """What an ICJ document's file name says: `192-20240126-ORD-01-00-EN.pdf`."""

    case_number: int
    date: datetime.date | None  # None when the name holds an impossible date (20240231)
    type_code: str  # lower case: "ord"
    kind: str  # the Filing vocabulary
    part: tuple[int, int]  # (1, 0) is the main document
    language: str  # "en", "fr", "bi" or ""
    reference: str  # the Court's document number, normalised: "192-20240126-ORD-01-00-EN"
    corrigendum: bool = False

    @property
    def raw_date(self) -> str:
        return self.reference.split("-")[1]


def decode_document_name(url_or_name: str) -> DocumentName | None:
    """Decode `<N>-<YYYYMMDD>-<TYPE>-<AA>-<BB>-<LANG>.pdf` from a URL or a bare file name.

    Tolerated: any letter case, "_" for "-", unpadded or padded numbers, missing part numbers
    (taken as the main document), a missing language, a trailing "-Corr", Drupal's "_0" suffix,
    percent-encoding, a query string or fragment, a document number without ".pdf". Anything
    else is None: a name that does not decode is never guessed at.
    """
    fields = _decode_file_name(_file_name(url_or_name))
    return DocumentName(*fields) if fields is not None else None


# The name as the Court writes it nowadays ("192-20240126-ord-01-00-en.pdf"): decoded without the general
# pattern's alternatives and without formatting numbers back, as the parts are already as the reference
# writes them (and of a year from 1900 to 2099, which need not be checked). Anything else goes the general way;
# a test compares the two.
_USUAL_NAME = re.compile(r"([1-9][0-9]{2})-((?:19|20)[0-9]{6})-([a-z]{2,5})-([0-9]{2})-([0-9]{2})-(en|fr|bi)\.pdf")


def _decode_file_name(name: str) -> tuple | None:
    """DocumentName's fields, in its order, for a bare file name: the parser's hot path makes no object."""
    usual = _USUAL_NAME.fullmatch(name)
    if usual is not None:
        case, raw_date, type_code, aa, bb, language = usual.groups()
        part = (int(aa), int(bb))
        try:
            date = datetime.date.fromisoformat(raw_date)  # YYYYMMDD, eight ASCII digits here
        except ValueError:
            date = None
        kind = "opinion" if part != MAIN_PART and type_code in DECISION_TYPES else TYPE_KINDS.get(type_code, "other")
        # The name less ".pdf", in capitals, is the reference: its parts are already padded as it pads them.
        return int(case), date, type_code, kind, part, language, name[:-4].upper(), False
    return _decode_any_name(name)


def _decode_any_name(name: str) -> tuple | None:
    match = _NAME.fullmatch(name)
    if not match:
        return None
    case, raw_date, type_code, aa, bb, language, corr = match.groups()
    case_number = int(case)
    if case_number == 0:
        return None
    type_code = type_code.lower()
    part = (int(aa or 1), int(bb or 0))
    language = (language or "").lower()
    corrigendum = bool(corr)
    try:
        date = datetime.date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        date = None
    if date is not None and date.year not in PLAUSIBLE_YEARS:
        date = None  # 99991231, 10661014: as impossible as 20240231
    kind = TYPE_KINDS.get(type_code, "other")
    if type_code in DECISION_TYPES and part != MAIN_PART:
        kind = "opinion"
    reference = f"{case_number:03d}-{raw_date}-{type_code.upper()}-{part[0]:02d}-{part[1]:02d}"
    if language:
        reference += f"-{language.upper()}"
    if corrigendum:
        reference += "-CORR"
    return case_number, date, type_code, kind, part, language, reference, corrigendum


def _file_name(url_or_name: str) -> str:
    text = (url_or_name or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # "http://[::1" and the like
        return ""
    return _name_in_path(parts.path if (parts.scheme or parts.netloc) else re.split(r"[?#]", text, maxsplit=1)[0])


def _name_in_path(path: str) -> str:
    path = unquote(path).replace("\\", "/") if "%" in path or "\\" in path else path
    return path.rstrip("/").rsplit("/", 1)[-1].strip()


# --- dates and words in page text --------------------------------------------------------------------

_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_FRENCH_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(_ENGLISH_MONTHS, start=1)}
_MONTHS |= {name[:3]: number for number, name in enumerate(_ENGLISH_MONTHS, start=1)}
_MONTHS |= {name: number for number, name in enumerate(_FRENCH_MONTHS, start=1)}
_MONTHS |= {"sept": 9, "fevrier": 2, "aout": 8, "decembre": 12}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b([0-9]{{1,2}})(?:st|nd|rd|th|er)?\s+({_MONTH})\.?,?\s+([0-9]{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.?\s+([0-9]{{1,2}}),?\s+([0-9]{{4}})\b", re.IGNORECASE)


def parse_text_date(text: str) -> datetime.date | None:
    """The first real date written out in words: "26 January 2024", "26 Jan. 2024", "January 26, 2024".

    "31 February 2024" is no date, nor is one of a year outside PLAUSIBLE_YEARS ("26 January 9999").
    """
    found = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        found.append((match.start(), match[1], match[2], match[3]))
    for match in _MONTH_DAY_YEAR.finditer(text):
        found.append((match.start(), match[2], match[1], match[3]))
    for _, day, month, year in sorted(found):
        if int(year) not in PLAUSIBLE_YEARS:
            continue
        try:
            return datetime.date(int(year), _MONTHS[month.lower()], int(day))
        except ValueError:
            continue
    return None


# The kind of an undecodable document, from the heading of the section it sits in (old pages'
# h4 headings and new sub-pages' single h4). Headings that mix kinds ("Provisional measures",
# "Other documents", "Correspondence") are left out: their documents are "other".
HEADING_KINDS = {
    "institution of proceedings": "application",
    "request for advisory opinion": "application",
    "request for an advisory opinion": "application",
    "written proceedings": "written_pleading",
    "written statements": "written_pleading",
    "oral proceedings": "verbatim_record",
    "oral statements": "verbatim_record",
    "verbatim records": "verbatim_record",
    "orders": "order",
    "judgments": "judgment",
    "judgment": "judgment",
    "advisory opinions": "advisory_opinion",
    "advisory opinion": "advisory_opinion",
    "summaries of judgments and orders": "summary",
    "summaries of judgments, advisory opinions and orders": "summary",
    "summaries": "summary",
    "press releases": "press_release",
    "intervention": "intervention",
    "interventions": "intervention",
}

# Headings that say how a case ended. These are the only status rules: the ICJ's pages do not
# otherwise state a case's status or stage, and nothing else is inferred.
CLOSING_HEADINGS = {
    "discontinuance": "discontinued",
    "removal from the general list": "removed_from_list",
    "removal from the list": "removed_from_list",
    "removed from the general list": "removed_from_list",
}

# Link texts that name a version of a document rather than the document itself.
_LANGUAGE_LABELS = {
    "english": "en",
    "en": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "fr": "fr",
    "bilingual": "bi",
    "bilingue": "bi",
}
_GENERIC_LABELS = {"pdf", "download", "télécharger", "view", "read more", "open", "file", "document"}
_FILE_NOTE = re.compile(r"\s*[(\[]\s*(?:pdf|docx?)?[\s,]*(?:[\d.,]+\s*[kmg]i?b)?\s*[)\]]\s*$", re.IGNORECASE)
_LABEL_LONGEST = max(map(len, [*_LANGUAGE_LABELS, *_GENERIC_LABELS]))
_SITE_NAMES = {"international court of justice", "cour internationale de justice"}

# --- markup helpers ---------------------------------------------------------------------------------

_CHROME_TAGS = {"nav", "aside"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search"}
_CONTENT_TAGS = {"main", "article", "section"}
_SECTION_HEADINGS = {"h2", "h3", "h4", "h5"}
_HEADINGS_AND_LINKS = "a[href], h2, h3, h4, h5"  # links first: lexbor tries them in turn, and most matches are links
_NOT_DOCUMENTS = (".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".ico", ".css", ".js", "/")
_CASE_PATH = re.compile(r"^/(?:index\.php/)?(?:[a-z]{2}/)?case/([0-9]{1,6})/?$")


_SPACE_AFTER_BRACKET = re.compile(r"([(\[]) ")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,.;:)\]])")
# Either of the two above; each branch opens with a literal, which the regular expression engine skips ahead to.
_SPACE_TO_TIDY = re.compile(r" [,.;:)\]]|\( |\[ ")


def _collapse(text: str | None) -> str:
    # str.split() splits on exactly what \s matches, and a run of it at either end leaves no piece.
    text = " ".join(text.split()) if text else ""
    if not text.isprintable():  # a control character or a lone surrogate, which plain_text takes out
        text = plain_text(text)
    if _SPACE_TO_TIDY.search(text) is None:
        return text
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACE_AFTER_BRACKET.sub(r"\1", text))


def _text(node: LexborNode) -> str:
    return _collapse(node.text(deep=True, separator=" "))


def _ancestors(node: LexborNode) -> Iterator[LexborNode]:
    parent = node.parent
    while parent is not None and parent.tag not in ("html", "-undef", None):
        yield parent
        parent = parent.parent


def _in_chrome(node: LexborNode) -> bool:
    """In the site's navigation, tab bar, header or footer rather than the page's content."""
    ancestors = list(_ancestors(node))
    for index, ancestor in enumerate(ancestors):
        if ancestor.tag in _CHROME_TAGS or (ancestor.attributes.get("role") or "") in _CHROME_ROLES:
            return True
        # <header>/<footer> of the page, not of an article or section inside the content.
        if ancestor.tag in ("header", "footer") and not any(a.tag in _CONTENT_TAGS for a in ancestors[index + 1 :]):
            return True
    return False


# What a page's chrome can be: _chrome_members finds, once a page, what _in_chrome says of each node.
_CHROME_CANDIDATES = "nav, aside, header, footer, [role]"


def _is_chrome_root(node: LexborNode) -> bool:
    """A node that puts everything inside it in the chrome: the test _in_chrome makes of each ancestor."""
    if node.tag in _CHROME_TAGS or (node.attributes.get("role") or "") in _CHROME_ROLES:
        return True
    return node.tag in ("header", "footer") and not any(a.tag in _CONTENT_TAGS for a in _ancestors(node))


def _chrome_members(tree: LexborHTMLParser, selector: str) -> set[int]:
    """The mem_ids of the nodes matching `selector` that are in the chrome: for each, what _in_chrome says,
    found with one pass over the chrome instead of one walk up the tree a node."""
    roots = [tree.body, *tree.body.css(_CHROME_CANDIDATES)]
    members: set[int] = set()
    for root in roots:
        if _is_chrome_root(root):
            members.update(node.mem_id for node in root.css(selector))
    return members


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def _is_icj(url: str) -> bool:
    return _host(url) in ICJ_HOSTS


def _absolute(href: str, page_url: str) -> str | None:
    """The link as an absolute http(s) URL without its fragment, or None for what is no link to a page we could read.

    Read as a browser reads it, so that the host we check is the host a reader's browser would open: a backslash
    is a slash in an http(s) URL ("https://evil.com\\@www.icj-cij.org/" is evil.com). A link with credentials
    ("https://www.icj-cij.org@evil.com/", or even to the Court's own host) or a port that is no port is refused
    (the page's own URL is ours, and trusted).
    """
    href = (href or "").strip()
    if not href or href.startswith("#") or re.match(r"^(?:mailto|javascript|tel|data):", href, re.IGNORECASE):
        return None
    href = href.replace("\\", "/")
    try:
        if "@" in urlsplit(href).netloc:
            return None
        parts = urlsplit(urljoin(page_url, href))
        if parts.port == 0:  # and a port out of range or not a number raises ValueError
            return None
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="=&%:/?+,;@!$'()*~-._")
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


# Most links on a court's page are plain: a path with nothing to percent-encode, no dot segment to resolve
# and no query or fragment, either absolute or relative to the page's host. Such a link is resolved here by
# joining strings, which is what _absolute does to it in many more steps; anything else goes through
# _absolute. A test compares the two on every kind of link.
_PLAIN_LINK = re.compile(r"(?:(https?)://([A-Za-z0-9.-]+(?::[0-9]+)?))?(/[A-Za-z0-9/%:@!$&'()*+,=~._-]*)")


class _Links:
    """Resolves the links of one page: each to (absolute URL, its path, its host), or None as _absolute."""

    def __init__(self, page_url: str):
        self.page_url = page_url
        self.origin = self.host = None
        try:
            parts = urlsplit(page_url)
        except ValueError:
            return
        if parts.scheme in ("http", "https") and parts.netloc:
            self.origin = f"{parts.scheme}://{parts.netloc}"
            self.host = (parts.hostname or "").rstrip(".").lower()

    def resolve(self, href: str) -> tuple[str, str, str] | None:
        href = href.strip()
        plain = _PLAIN_LINK.fullmatch(href)
        if plain is not None and "/." not in href:
            scheme, netloc, path = plain.groups()
            if scheme:
                if ":" not in netloc:  # a port is checked the general way
                    return href, path, netloc.rstrip(".").lower()
            elif self.origin is not None and not href.startswith("//"):
                return self.origin + path, path, self.host
        link = _absolute(href, self.page_url)
        if link is None:
            return None
        parts = urlsplit(link)
        return link, parts.path, (parts.hostname or "").rstrip(".").lower()


def _is_document_path(path: str) -> bool:
    """A PDF, or any other file the site serves from its files folders but an image, style sheet or script."""
    path = (unquote(path) if "%" in path else path).lower()
    if path.endswith(".pdf"):
        return True
    in_files = "/sites/default/files/" in path or path.startswith(("/files/", "/public/files/"))
    return in_files and not path.endswith(_NOT_DOCUMENTS)


# A document link as the Court writes them nowadays: a path (on the page's own host, when that is an ICJ host) or an
# https URL on an ICJ host, through folders named in letters, digits, "-" and "_", to a file of the usual name. Such
# a link is all that the general route (_Links.resolve, _is_document_path, _name_in_path, _decode_file_name) needs to
# read it, found in one match; anything else goes that way. A test compares the two.
_USUAL_LINK = re.compile(
    # Folders, possessively: a file name (with its ".") is never one, so there is nothing to go back into them for.
    rf"(https://(?:{'|'.join(map(re.escape, ICJ_HOSTS))}))?/(?:[A-Za-z0-9_-]++/)*+"
    # A name as _USUAL_NAME has it; groups for its stem (the reference), date, type, a part other than the main one
    # ("01-00") and language.
    r"([1-9][0-9]{2}-((?:19|20)[0-9]{6})-([a-z]{2,5})-(?:01-00|([0-9]{2}-[0-9]{2}))-(en|fr|bi))\.pdf"
)


_CHALLENGE_MARKS_WITHIN = 100_000


def _parse_html(text: str, *, what: str) -> LexborHTMLParser:
    """The page as a tree, or a SourceError saying in one line why it is not an ICJ page."""
    if not text or not text.strip():
        raise MalformedPage(f"empty page: not {what}")
    head = text.lstrip()[:200].lower()
    if head[:1] in ("{", "["):
        raise MalformedPage(f"JSON body: not {what}")
    if "<" not in text:
        raise MalformedPage(f"plain text, not HTML: not {what}")
    if head.startswith("<?xml") and "<html" not in text[:2000].lower():
        raise MalformedPage(f"XML body: not {what}")
    if nesting_exceeds(text):
        raise MalformedPage(f"markup nested more than {MAX_NESTING:,} elements deep: not {what}")
    try:
        tree = LexborHTMLParser(text)
    except Exception as error:  # selectolax is lenient; this is a last resort, never a crash
        raise MalformedPage(f"unreadable HTML ({error.__class__.__name__}): not {what}") from None
    title = _page_title_tag(tree).lower()
    # Only the challenge page itself: ordinary pages behind the same wall load a
    # /cdn-cgi/challenge-platform/ script too, so that path alone proves nothing. The challenge page is a few
    # kilobytes: its marks are looked for at the top of a page, not through a 500 KB one.
    top = text[:_CHALLENGE_MARKS_WITHIN]
    if (
        title.startswith(("just a moment", "attention required"))
        or "_cf_chl_opt" in top
        or "enable javascript and cookies to continue" in top.lower()
    ):
        raise Blocked('the court\'s bot wall answered with a challenge page ("Just a moment...")')
    if title.startswith(("page not found", "404")):
        raise MalformedPage(f'a "page not found" page: not {what}')
    if tree.body is None or next(tree.body.iter(), None) is None:
        raise MalformedPage(f"no page content: not {what}")
    return tree


def _page_title_tag(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return _text(node) if node is not None else ""


def _page_title(tree: LexborHTMLParser) -> str:
    """The case title: the content's h1, else og:title, else <title> less the site's name."""
    # lexbor stops at the first h1, the title on most pages; looking for all of them takes a pass over the whole page.
    first = tree.css_first("h1")
    title = _h1_title(first) if first is not None else ""
    if first is not None and not title:
        title = next(filter(None, map(_h1_title, tree.css("h1"))), "")
    if title:
        return title
    meta = tree.css_first('meta[property="og:title"]')
    candidates = [(meta.attributes.get("content") or "") if meta is not None else "", _page_title_tag(tree)]
    for candidate in candidates:
        title = _collapse(re.split(r"\s+[|\u2013\u2014]\s+", candidate)[0])
        if title and title.lower() not in _SITE_NAMES:
            return title
    return ""


def _h1_title(node: LexborNode) -> str:
    """The h1's text if it is the case title: not the site's name, and not in the chrome."""
    title = _text(node)
    return title if title and title.lower() not in _SITE_NAMES and not _in_chrome(node) else ""


def _heading_key(text: str) -> str:
    return re.sub(r"[\s:]*(?:\(\d+\))?$", "", text.lower()).strip()


def _dedupe(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _never_crash(parse: Callable[[str, str], Snapshot]) -> Callable[[str, str], Snapshot]:
    """A parser returns a Snapshot or raises a SourceError; a bug on odd markup must not escape as anything else."""

    @functools.wraps(parse)
    def wrapper(text: str, url: str) -> Snapshot:
        try:
            return parse(text, url)
        except SourceError:
            raise
        except Exception as error:
            detail = " ".join(str(error).split())[:200]
            raise MalformedPage(f"could not read the page ({error.__class__.__name__}: {detail})") from error

    return wrapper


# --- the case page ----------------------------------------------------------------------------------


@_never_crash
def parse_case_page(text: str, url: str) -> Snapshot:
    """A case page or one of its sub-pages: its title, its documents, and how it ended if it says so."""
    tree = _parse_html(text, what="an ICJ case page")
    title = _page_title(tree)
    warnings: list[str] = []
    filings: dict[str, FilingRef] = {}
    headings: list[str] = []
    heading = ""
    document_links = 0
    links = _Links(url)
    blocks = _Blocks(links)
    # What a usual link's path is on: the page's origin, if an ICJ host's (a document on another host is dropped).
    own_origin = links.origin if links.host in ICJ_HOSTS else None
    # Section headings and links, in the order of the page; selected by lexbor rather than walked in Python.
    chrome = _chrome_members(tree, _HEADINGS_AND_LINKS)
    for node in tree.body.css(_HEADINGS_AND_LINKS):
        if node.tag != "a":
            if node.mem_id not in chrome:
                heading = _text(node)
                if heading:
                    headings.append(heading)
            continue
        href = node.attrs.get("href")  # the one attribute, without the dict of them all that .attributes makes
        if not href:
            continue
        usual = _USUAL_LINK.fullmatch(href)
        if usual is not None and (usual[1] or own_origin):
            # What the general route below comes to for the usual document link, in fewer steps.
            if node.mem_id in chrome:
                continue
            document_links += 1
            link = href if usual[1] else own_origin + href
            if link not in filings:
                filings[link] = _usual_filing(node, link, heading, usual) or _filing(
                    node, link, heading, warnings, f"{usual[2]}.pdf", blocks
                )
            continue
        resolved = links.resolve(href)
        if resolved is None:
            continue
        link, path, host = resolved
        if not _is_document_path(path) or node.mem_id in chrome:
            continue
        document_links += 1
        if host not in ICJ_HOSTS:
            warnings.append(f"dropped a document on another host: {plain_text(link)}")
            continue
        if link in filings:
            continue
        filings[link] = _filing(node, link, heading, warnings, name=_name_in_path(path), blocks=blocks)

    if not (title or headings or document_links):
        raise MalformedPage("no title, section heading or document link: not an ICJ case page")
    if max(map(len, filings), default=0) > URL_MAX:
        for link in [link for link in filings if len(link) > URL_MAX]:
            del filings[link]
            warnings.append(f"dropped a link of more than {URL_MAX} characters: {link[:100]}...")
    if not filings:
        warnings.append("no documents on this page")
    status, stage = "", ""
    for found in headings:
        closing = CLOSING_HEADINGS.get(_heading_key(found))
        if closing and (not stage or closing == "discontinued"):
            status, stage = "concluded", closing
    return Snapshot(
        adapter="icj",
        url=url,
        title=title,
        status=status,
        stage=stage,
        filings=tuple(filings.values()),
        warnings=_dedupe(warnings),
    )


def _filing(
    link_node: LexborNode, url: str, heading: str, warnings: list[str], name: str = "", blocks: _Blocks | None = None
) -> FilingRef:
    name = name or _file_name(url)
    decoded = _decode_file_name(name)
    label = _text(link_node)
    if decoded is not None and decoded[1] is not None and not _is_generic_label(label):
        # The usual document, whose name says all but the title, which its link's text gives: what the
        # general way below comes to for it, in fewer steps.
        title = _labelled_title(label, link_node, heading, name)
        return FilingRef(url, title, decoded[1], decoded[3], decoded[5], decoded[6])
    generic = _is_generic_label(label)
    # The block around the link is looked for only when it is needed: a generic label, or no date in the name.
    blocks = blocks or _Blocks(_Links(url))
    context = blocks.context(link_node, url) if generic or decoded is None or decoded[1] is None else None
    title = label if not generic else (blocks.text_without_links(context) if context is not None else "")
    if title.endswith((")", "]")):  # what _FILE_NOTE can match: the title is already stripped
        title = _FILE_NOTE.sub("", title)
    title = title.strip(" -\u2013\u2014|/:,") or _collapse(link_node.attributes.get("title") or "")
    title = title or heading or name
    if decoded is not None:
        _, date, _, kind, _, language, reference, _ = decoded
        if date is None:
            date = _nearby_date(label, context, blocks)
            found = f"date {date.isoformat()} from the page text" if date else "no date found"
            warnings.append(f"impossible date {reference.split('-')[1]} in file name {name!r}: {found}")
        return FilingRef(url=url, title=title, date=date, kind=kind, language=language, reference=reference)
    kind = HEADING_KINDS.get(_heading_key(heading), "other")
    date = _nearby_date(label, context, blocks)
    language = _LANGUAGE_LABELS.get(label.lower(), "")
    kind_source = f"kind from the heading {heading!r}" if kind != "other" else "kind 'other'"
    date_source = "date from the page text" if date else "no date found"
    warnings.append(f"file name {name!r} does not decode: {kind_source}, {date_source}")
    return FilingRef(url=url, title=title, date=date, kind=kind, language=language)


def _labelled_title(label: str, link_node: LexborNode, heading: str, name: str) -> str:
    """A document's title from its link's text (a label that is a title), less a file note: "(PDF, 1.2 MB)"."""
    title = _FILE_NOTE.sub("", label) if label.endswith((")", "]")) else label
    return title.strip(" -\u2013\u2014|/:,") or _collapse(link_node.attributes.get("title") or "") or heading or name


def _usual_filing(link_node: LexborNode, url: str, heading: str, usual: re.Match) -> FilingRef | None:
    """What _filing makes of a usual document link (a _USUAL_LINK match), or None where it takes more than the name
    and the link's text: an impossible date, or a label that is no title ("PDF", "English")."""
    _, stem, raw_date, type_code, attached, language = usual.groups()
    try:
        date = datetime.date.fromisoformat(raw_date)  # YYYYMMDD; its year is 1900 to 2099 here, and plausible
    except ValueError:
        return None
    # The link's text as _text reads it: that of a link of one text node, as most are, without lexbor's walk through
    # the link (text_content is None for a node of any other kind).
    child = link_node.first_child
    text = child.text_content if child is not None and child.next is None else None
    if text is None:
        text = link_node.text(deep=True, separator=" ")
    label = text.strip()
    if label.replace(" ", "").isalnum() and "  " not in label:
        # Words between single spaces, as most labels are, which _collapse and the tidying below leave as they are. A
        # label longer than every generic one is none of them (lower() makes no text shorter).
        if len(label) <= _LABEL_LONGEST and _is_generic_label(label):
            return None
        title = label
    else:
        label = _collapse(text)
        if _is_generic_label(label):
            return None
        title = _labelled_title(label, link_node, heading, f"{stem}.pdf")
    kind = "opinion" if attached and type_code in DECISION_TYPES else TYPE_KINDS.get(type_code, "other")
    # FilingRef(url, title, date, kind, language, reference) in half the time: a frozen dataclass's __init__ sets
    # each field through object.__setattr__, and a page has thousands of filings. A test compares the two.
    filing = object.__new__(FilingRef)
    filing.__dict__.update(
        url=url, title=title, date=date, kind=kind, language=language, reference=stem.upper(), case_reference=""
    )
    return filing


class _Blocks:
    """The blocks around a page's links, as _filing asks about them: each block looked at once however many links
    ask, so that a page of thousands of "PDF" links in one paragraph costs no more than thousands of rows."""

    def __init__(self, links: _Links):
        self.links = links
        self.documents: dict[int, set[str]] = {}
        self.headed: dict[int, bool] = {}
        self.dates: dict[int, datetime.date | None] = {}
        self.texts_without_links: dict[int, str] = {}

    def context(self, link_node: LexborNode, url: str) -> LexborNode | None:
        """The smallest block around a link that is about this document only (its row, item or paragraph)."""
        best = None
        for depth, ancestor in enumerate(_ancestors(link_node)):
            if depth >= 4 or ancestor.tag in ("body", "main", "article", "section", "table", "tbody", "ul", "ol"):
                break
            others = self.documents_in(ancestor)
            if len(others) > 1 or (others and url not in others):
                break
            if self.has_heading(ancestor):
                break
            best = ancestor
        return best

    def documents_in(self, block: LexborNode) -> set[str]:
        """The documents the block links to by name rather than as "PDF" or "English" (a version of one)."""
        found = self.documents.get(block.mem_id)
        if found is None:
            found = set()
            for node in block.css("a[href]"):
                resolved = self.links.resolve(node.attributes.get("href") or "")
                if resolved is not None and _is_document_path(resolved[1]) and not _is_generic_label(_text(node)):
                    found.add(resolved[0])
            self.documents[block.mem_id] = found
        return found

    def has_heading(self, block: LexborNode) -> bool:
        if block.mem_id not in self.headed:
            self.headed[block.mem_id] = block.css_first("h1, h2, h3, h4, h5") is not None
        return self.headed[block.mem_id]

    def date(self, block: LexborNode) -> datetime.date | None:
        """The first date in the block's text."""
        if block.mem_id not in self.dates:
            self.dates[block.mem_id] = parse_text_date(_text(block))
        return self.dates[block.mem_id]

    def text_without_links(self, block: LexborNode) -> str:
        if block.mem_id not in self.texts_without_links:
            self.texts_without_links[block.mem_id] = _text_without_links(block)
        return self.texts_without_links[block.mem_id]


def _is_generic_label(label: str) -> bool:
    label = label.lower()
    return not label or label in _LANGUAGE_LABELS or label in _GENERIC_LABELS


def _text_without_links(node: LexborNode) -> str:
    if node.tag == "a" or any(a.tag == "a" for a in _ancestors(node)):
        return ""
    pieces = []
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent = child.parent  # a link between the text and the block, looked for up to the block only
        while parent is not None and parent.tag != "a" and parent.mem_id != node.mem_id:
            parent = parent.parent
        if parent is None or parent.tag != "a":
            pieces.append(child.text_content or "")
    return _collapse(" ".join(pieces))


def _nearby_date(label: str, context: LexborNode | None, blocks: _Blocks) -> datetime.date | None:
    return parse_text_date(label) or (blocks.date(context) if context is not None else None)


# --- listings ---------------------------------------------------------------------------------------


@_never_crash
def parse_pending_cases(text: str, url: str) -> Snapshot:
    """The /pending-cases listing: every case it links to, once, in page order.

    The General List is never empty, so a listing without a single link to a case is taken for
    a broken or redesigned page rather than for "no pending cases".
    """
    tree = _parse_html(text, what="the ICJ pending-cases listing")
    cases: dict[str, CaseRef] = {}
    links = _Links(url)
    chrome = _chrome_members(tree, "a[href]")
    for node in tree.body.css("a[href]"):
        resolved = links.resolve(node.attributes.get("href") or "")
        if resolved is None or resolved[2] not in ICJ_HOSTS or node.mem_id in chrome:
            continue
        match = _CASE_PATH.match(resolved[1])
        if not match:
            continue
        number = str(int(match[1]))
        title = _text(node)
        if title.lower() in _GENERIC_LABELS or title.lower() in ("more", "read more", "details"):
            title = ""
        if number not in cases:
            cases[number] = CaseRef(url=f"{BASE_URL}/case/{number}", reference=number, title=title)
        elif not cases[number].title and title:
            cases[number] = CaseRef(url=cases[number].url, reference=number, title=title)
    if not cases:
        raise MalformedPage("no links to /case/<N>: not the ICJ pending-cases listing")
    warnings = [f"no title for case {ref.reference}" for ref in cases.values() if not ref.title]
    return Snapshot(
        adapter="icj-pending", url=url, title=_page_title(tree), cases=tuple(cases.values()), warnings=tuple(warnings)
    )


# The kind of a decision whose file name does not decode, from the first words of its title.
_TITLE_KINDS = (
    ("advisory opinion", "advisory_opinion"),
    ("judgment", "judgment"),
    ("order", "order"),
    ("summary", "summary"),
)


@_never_crash
def parse_decisions(text: str, url: str) -> Snapshot:
    """The /decisions listing: each `.views-row` is one decision, with a link to its case."""
    tree = _parse_html(text, what="the ICJ decisions listing")
    rows = tree.body.css(".views-row")
    if not rows and not _page_title(tree):
        raise MalformedPage("no .views-row rows and no title: not the ICJ decisions listing")
    warnings: list[str] = []
    filings: dict[str, FilingRef] = {}
    for index, row in enumerate(rows, start=1):
        document = row.css_first('[class*="document-long-title"] a[href]')
        case = row.css_first('[class*="case-long-title"] a[href]')
        if document is None:
            warnings.append(f"row {index}: no document link")
            continue
        link = _absolute(document.attributes.get("href") or "", url)
        if link is None:
            warnings.append(f"row {index}: unusable document link")
            continue
        if not _is_icj(link):
            warnings.append(f"dropped a document on another host: {plain_text(link)}")
            continue
        if len(link) > URL_MAX:
            warnings.append(f"row {index}: dropped a link of more than {URL_MAX} characters: {link[:100]}...")
            continue
        if link in filings:
            continue
        case_match = None
        if case is not None:
            case_link = _absolute(case.attributes.get("href") or "", url) or ""
            case_match = _CASE_PATH.match(urlsplit(case_link).path) if _is_icj(case_link) else None
        decoded = decode_document_name(link)
        case_reference = str(int(case_match[1])) if case_match else ""
        if not case_reference and decoded is not None:
            case_reference = str(decoded.case_number)
        if not case_reference:
            warnings.append(f"row {index}: no case for {link}")
        title = _text(document) or _text(row) or (decoded.reference if decoded is not None else "") or link
        subtitle_node = row.css_first('[class*="document-subtitle"]')
        subtitle = _text(subtitle_node) if subtitle_node is not None else ""
        if subtitle and subtitle.lower() not in title.lower():
            title = f"{title} ({subtitle})"
        if decoded is not None:
            date, kind, language, reference = decoded.date, decoded.kind, decoded.language, decoded.reference
            if date is None:
                date = parse_text_date(_text(row))
                warnings.append(f"impossible date {decoded.raw_date} in file name {_file_name(link)!r}")
        else:
            date, language, reference = parse_text_date(_text(row)), "", ""
            kind = next((k for prefix, k in _TITLE_KINDS if title.lower().startswith(prefix)), "other")
            warnings.append(f"file name {_file_name(link)!r} does not decode: kind and date from the row's text")
        filings[link] = FilingRef(
            url=link,
            title=title,
            date=date,
            kind=kind,
            language=language,
            reference=reference,
            case_reference=case_reference,
        )
    if not filings:
        warnings.append("no decisions on this page")
    return Snapshot(
        adapter="icj-decisions",
        url=url,
        title=_page_title(tree),
        filings=tuple(filings.values()),
        warnings=_dedupe(warnings),
    )


register(
    Adapter(
        name="icj",
        court="ICJ",
        description="case page /case/<N> or a sub-page /case/<N>/<slug>",
        parse=parse_case_page,
        hosts=ICJ_HOSTS,
    )
)
register(
    Adapter(
        name="icj-pending",
        court="ICJ",
        description="pending cases listing /pending-cases",
        parse=parse_pending_cases,
        hosts=ICJ_HOSTS,
    )
)
register(
    Adapter(
        name="icj-decisions",
        court="ICJ",
        description="decisions listing /decisions",
        parse=parse_decisions,
        hosts=ICJ_HOSTS,
    )
)
