"""What every adapter returns, the errors it may raise, and the registry of adapters.

Adapters are pure functions of text: page in, Snapshot out, no database and no network, so every
parser is tested on small sample pages. Fetching goes through `http.py`; storing through
`cases.services.apply_snapshot`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cases.models import Event, Filing

FILING_KINDS = frozenset(Filing.Kind.values)
EVENT_KINDS = frozenset(Event.Kind.values)


class SourceError(Exception):
    """A page could not be turned into a Snapshot. Never retried: the page itself is the problem."""

    outcome = "failed"


class MalformedPage(SourceError):
    """The page is not in a shape the adapter knows (a redesign, a truncated or garbled body)."""


class Blocked(SourceError):
    """The court's bot wall answered (HTTP 403 with a challenge page). Reported, never worked around."""

    outcome = "blocked"


class Refused(SourceError):
    """Our own rules refused the fetch: another host, a private address, too large, wrong type."""


# --- what a page may put in a Snapshot ---------------------------------------------------------------------------

# The longest URL a filing or a discovered case can keep (Filing.url, DiscoveredCase.url): a longer link is no
# document of the court's, and would not fit.
URL_MAX = 500
# The years a document of these courts can bear (the PCIJ's from 1922 on the ICJ's site). A date outside them is a
# typo or a trap ("26 January 0000", "9999-12-31" that would sit at the top of every timeline), never a fact.
PLAUSIBLE_YEARS = range(1900, 2101)

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def plain_text(text: str, limit: int | None = None) -> str:
    """Text from a page as a Snapshot holds it: whitespace collapsed, no control character (C0, DEL, C1: what
    latin-1 bytes read as UTF-8 and the like leave behind), no lone surrogate (PostgreSQL refuses both NUL and
    those), at most `limit` characters."""
    if not text.isprintable():  # spaces but " " too: the regular expression only runs where it can find something
        text = _UNPRINTABLE.sub(" ", text)
    text = " ".join(text.split())
    return text[:limit] if limit is not None else text


def without_surrogates(text: str) -> str:
    """The text with each lone surrogate (which no encoder accepts) as U+FFFD, as bad bytes are decoded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text)
    return text


# How deep a page may nest its markup. An HTML parser's cost grows with the square of the depth (each block start
# tag looks down the stack of open elements): 100,000 nested <div>s take lexbor 15 s, 10,000 a tenth of a second.
# No court page comes near: a page deeper than this is refused rather than parsed.
MAX_NESTING = 10_000
# Below this many "<" a page cannot nest deep enough to be slow, and is not looked at.
_NESTING_CHECKED_FROM = 20_000
# Elements that never stay open around what follows them: void elements, and those the next of their kind closes.
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "basefont", "bgsound", "frame",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rb", "rt", "rp", "rtc", "colgroup", "thead",
    "tbody", "tfoot",
})  # fmt: skip
# Comments and raw text (whose "<" are no tags), then tags, with the end tag's "/".
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp)\b.*?(?:</\1\s*>|\Z)|<(/?)([A-Za-z][A-Za-z0-9-]*)",
    re.DOTALL | re.IGNORECASE,
)
# The tree builder's "special" elements: an end tag does not close an element through one of these.
_SPECIAL = frozenset({
    "address", "applet", "article", "aside", "blockquote", "body", "button", "caption", "center", "details", "dialog",
    "dir", "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "frameset", "h1", "h2", "h3", "h4", "h5",
    "h6", "head", "header", "hgroup", "html", "iframe", "listing", "main", "marquee", "menu", "nav", "noembed",
    "noframes", "noscript", "object", "ol", "plaintext", "pre", "search", "section", "select", "summary", "table",
    "template", "ul",
})  # fmt: skip


def nesting_exceeds(text: str, limit: int = MAX_NESTING) -> bool:
    """Whether the page's elements may nest deeper than `limit`, by a pass over its tags that errs on the deep side.

    Start tags open an element (but for void elements and those their next sibling closes); an end tag closes
    the nearest open element of its name and what is open above it, unless a "special" element other than that
    one is in between, where the tree builder ignores the end tag too (`<span><div></span>` leaves both open).
    """
    if text.count("<") <= max(limit, _NESTING_CHECKED_FROM):
        return False
    stack: list[str] = []
    open_at: dict[str, list[int]] = {}  # where in the stack each name is open
    special_at: list[int] = []  # where in the stack the special elements are
    for match in _MARKUP.finditer(text):
        name = match[3]
        if name is None:
            continue
        name = name.lower()
        if name in _NOT_NESTING:
            continue
        if not match[2]:
            if len(stack) >= limit:
                return True
            open_at.setdefault(name, []).append(len(stack))
            if name in _SPECIAL:
                special_at.append(len(stack))
            stack.append(name)
            continue
        positions = open_at.get(name)
        if not positions or (special_at and special_at[-1] > positions[-1]):
            continue
        for _ in range(len(stack) - positions[-1]):
            closed = stack.pop()
            open_at[closed].pop()
            if special_at and special_at[-1] == len(stack):
                special_at.pop()
    return False


@dataclass(frozen=True)
class FilingRef:
    url: str  # absolute, on the court's host
    title: str
    date: datetime.date | None
    kind: str  # the Filing vocabulary: "order", "judgment", "verbatim_record", ...
    language: str = ""  # "en", "fr", "bi"
    reference: str = ""  # "192-20240126-ORD-01-00-EN", "ICC-01/18-374"
    case_reference: str = ""  # for listings and feeds: the case it belongs to ("192", "ICC-01/18")


@dataclass(frozen=True)
class EventRef:
    date: datetime.date
    kind: str  # the Event vocabulary: "hearing", "deadline", ...
    title: str


@dataclass(frozen=True)
class CaseRef:
    """A case a listing names; one we do not track yet is queued for staff as discovered."""

    url: str
    reference: str
    title: str


@dataclass(frozen=True)
class Snapshot:
    adapter: str
    url: str
    title: str = ""
    status: str = ""  # "pending" / "concluded", only where the court says so
    stage: str = ""  # the Stage vocabulary, only where the court says so
    filings: tuple[FilingRef, ...] = ()
    events: tuple[EventRef, ...] = ()
    cases: tuple[CaseRef, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict:
        """The shape `parse_source` prints and the sample pages' expected JSON holds.

        Keys that only listings and feeds fill (`cases`, a filing's `case_reference`) appear only when set.
        """
        data = {
            "adapter": self.adapter,
            "url": self.url,
            "title": self.title,
            "status": self.status,
            "stage": self.stage,
            "filings": [_filing_json(filing) for filing in self.filings],
            "events": [{"date": e.date.isoformat(), "kind": e.kind, "title": e.title} for e in self.events],
            "warnings": list(self.warnings),
        }
        if self.cases:
            data["cases"] = [dataclasses.asdict(case) for case in self.cases]
        return data


def _filing_json(filing: FilingRef) -> dict:
    data = dataclasses.asdict(filing)
    data["date"] = filing.date.isoformat() if filing.date else None
    if not filing.case_reference:
        del data["case_reference"]
    return data


@dataclass(frozen=True)
class Adapter:
    name: str
    court: str
    description: str
    parse: Callable[[str, str], Snapshot]
    content_types: tuple[str, ...] = ("text/html",)
    hosts: tuple[str, ...] = field(default=())


REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    REGISTRY[adapter.name] = adapter
    return adapter


def never_crash(parse: Callable[[str, str], Snapshot]) -> Callable[[str, str], Snapshot]:
    """A parser answers with a Snapshot or a SourceError, whatever the page holds: a bug on odd input fails as a
    page problem (MalformedPage), never as a crash of the task."""

    @functools.wraps(parse)
    def guarded(text: str, url: str) -> Snapshot:
        try:
            return parse(text, url)
        except SourceError:
            raise
        except Exception as error:
            detail = without_surrogates(" ".join(str(error).split()))[:200]
            raise MalformedPage(f"could not read the page ({error.__class__.__name__}: {detail})") from error

    return guarded


def get_adapter(name: str) -> Adapter:
    from . import load_adapters

    load_adapters()
    try:
        return REGISTRY[name]
    except KeyError:
        raise SourceError(f"unknown adapter {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def adapter_choices() -> list[tuple[str, str]]:
    from . import load_adapters

    load_adapters()
    return [(name, f"{adapter.court}: {adapter.description}") for name, adapter in sorted(REGISTRY.items())]


# The same document reached by several spellings of its address is one filing.
CANONICAL_HOSTS = {"icj-cij.org": "www.icj-cij.org", "icc-cpi.int": "www.icc-cpi.int"}
NOISE_PARAMETERS = frozenset({"download", "utm_source", "utm_medium", "utm_campaign"})


def canonical_url(url: str) -> str:
    """https, the court's main host name, no fragment, no download or tracking parameters."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host not in CANONICAL_HOSTS and host not in CANONICAL_HOSTS.values():
        return urlunsplit(parts._replace(fragment=""))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in NOISE_PARAMETERS])
    return urlunsplit(("https", CANONICAL_HOSTS.get(host, host), parts.path or "/", query, ""))
