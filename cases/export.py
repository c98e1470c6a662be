"""The bulk export: every case with its parties, filings, events, warrants and links, as plain data.

`export_cases` builds the document that `manage.py export_cases` writes. A case's record is
`cases.serializers.CaseRecordSerializer`, which the API's case detail shares. Output is deterministic: the same
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
from .serializers import CaseRecordSerializer

SCHEMA_VERSION = 1

_DIGITS = re.compile(r"(\d+)")


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _natural(text: str) -> list[str | int]:
    """General List No. 2 before No. 192; string and number parts alternate, so lists always compare."""
    return [int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(text))]


def case_sort_key(case: Case) -> tuple:
    return (case.court.code, _natural(case.reference), case.reference, case.slug)


def serialize_case(case: Case) -> dict:
    """One case as plain JSON-ready data; expects a case from `Case.objects.for_page()`.

    The API's case detail uses the same serializer, so the two never drift apart.
    """
    return CaseRecordSerializer(case).data


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
