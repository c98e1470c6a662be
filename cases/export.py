"""The bulk export: every case with its parties, filings, events, warrants and links, as plain data.

`export_cases` builds the document that `manage.py export_cases` writes; an API or an import
command can reuse `serialize_case` and the key set it defines. Output is deterministic: the same
records always give the same bytes apart from `exported_at`, so two exports diff cleanly.
"""

import datetime
import json
import os
import re
import tempfile
from pathlib import Path

from django.utils import timezone

from .models import Case, Court

SCHEMA_VERSION = 1

_DIGITS = re.compile(r"(\d+)")


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _by_date(value: datetime.date | None) -> tuple[bool, datetime.date]:
    """Undated entries first, then oldest to newest."""
    return (value is not None, value or datetime.date.min)


def _natural(text: str) -> list[str | int]:
    """General List No. 2 before No. 192; string and number parts alternate, so lists always compare."""
    return [int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(text))]


def case_sort_key(case: Case) -> tuple:
    return (case.court.code, _natural(case.reference), case.reference, case.slug)


def serialize_case(case: Case) -> dict:
    """One case as plain JSON-ready data; expects a case from `Case.objects.for_page()`."""
    participations = sorted(
        case.participations.all(), key=lambda p: (_by_date(p.joined_on), p.party.name, p.role, p.pk)
    )
    filings = sorted(case.filings.all(), key=lambda f: (_by_date(f.date), f.title, f.language, f.url, f.pk))
    events = sorted(case.events.all(), key=lambda e: (_by_date(e.date), e.title, e.pk))
    warrants = sorted(case.warrants.all(), key=lambda w: (_by_date(w.issued_on), w.person.name, w.pk))
    related = {relation.to_case.slug for relation in case.relations_from.all()}
    related |= {relation.from_case.slug for relation in case.relations_to.all()}

    return {
        "court": case.court.code,
        "reference": case.reference,
        "slug": case.slug,
        "page": case.get_absolute_url(),
        "kind": case.kind,
        "parent": case.parent.slug if case.parent else None,
        "title": case.title_en,
        "title_fr": case.title_fr,
        "short_title": case.short_title_en,
        "short_title_fr": case.short_title_fr,
        "status": case.status,
        "stage": case.stage,
        "status_changed_on": _iso(case.status_changed_on),
        "instituted_on": _iso(case.instituted_on),
        "concluded_on": _iso(case.concluded_on),
        "summary": case.summary,
        "official_url": case.official_url,
        "source_url": case.source_url,
        "source_note": case.source_note,
        "parties": [
            {
                "name": p.party.name,
                "kind": p.party.kind,
                "role": p.role,
                "joined_on": _iso(p.joined_on),
                "withdrawn_on": _iso(p.withdrawn_on),
                "source_url": p.source_url,
                "source_note": p.source_note,
            }
            for p in participations
        ],
        "filings": [
            {
                "date": _iso(f.date),
                "title": f.title,
                "kind": f.kind,
                "language": f.language,
                "reference": f.reference,
                "url": f.url,
                "source_url": f.source_url,
                "source_note": f.source_note,
            }
            for f in filings
        ],
        "events": [
            {
                "date": _iso(e.date),
                "precision": e.precision,
                "end_date": _iso(e.end_date),
                "kind": e.kind,
                "title": e.title,
                "source_url": e.source_url,
                "source_note": e.source_note,
            }
            for e in events
        ],
        "warrants": [
            {
                "person": w.person.name,
                "person_slug": w.person.slug,
                "issued_on": _iso(w.issued_on),
                "made_public_on": _iso(w.made_public_on),
                "under_seal": w.under_seal,
                "issued_by": w.issued_by,
                "charges": w.charges,
                "status": w.status,
                "status_on": _iso(w.status_on),
                "source_url": w.source_url,
                "source_note": w.source_note,
            }
            for w in warrants
        ],
        "related": sorted(related),
    }


def export_cases(*, court: Court | None = None) -> dict:
    """The whole export document, in a fixed number of queries whatever the number of cases."""
    cases = Case.objects.for_page()
    if court is not None:
        cases = cases.filter(court=court)
    return {
        "schema_version": SCHEMA_VERSION,
        "exported_at": _iso(timezone.now().replace(microsecond=0)),
        "cases": [serialize_case(case) for case in sorted(cases, key=case_sort_key)],
    }


def dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it; on error nothing is left behind."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below; the name must outlive the handle)
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; an export gets the permissions of any new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
