"""What every adapter returns, the errors it may raise, and the registry of adapters.

Adapters are pure functions of text: page in, Snapshot out, no database and no network, so every
parser is tested on small sample pages. Fetching goes through `http.py`; storing through
`cases.services.apply_snapshot`.
"""

from __future__ import annotations

import dataclasses
import datetime
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
