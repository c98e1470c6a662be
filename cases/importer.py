"""The bulk import: what `manage.py export_cases` writes, read back into the database.

`import_document` takes the parsed document (README "Bulk export", schema_version 1) and makes the
database hold what it says, in one transaction:

1. The whole file is checked first, without touching the database: schema_version, the type of every
   value, codes, dates, lengths, URLs, date order, duplicates. The first problem stops the import with a
   one-line `ImportFileError` naming the record (the case's slug and the entry in it) and the key.
2. Then every record is matched on its natural key and created or updated: courts by code, persons by
   slug, parties by name (unique, and all the export gives), cases by slug, and inside a case:
   participations by (party, role), filings by URL, else by reference, else by (date, kind, title),
   events by (date, kind, title), warrants by (person, issue date). Entries sharing a key are paired in
   order, so the same file imported twice changes nothing.

An existing record takes the values the file gives (or, with `skip_existing`, is left as it is); keys the
file leaves out and records the file does not mention are never touched: an import adds and updates,
it never deletes. Cases, filings and warrants keep their history: every row written gets the change
reason "imported from <file>".

What the export does not carry cannot come back from it: a new court gets its names from cases/seed/
where the seed knows the court (else its code as its name); a new party gets a slug made from its name;
a new person has only a name and a slug; a relation between cases is of kind "related", without a note;
a filing has no chamber or Reports page; events and warrants are not linked to a filing. A full copy of
the database is a backup (pg_dump or SQLite's .backup), not an export.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from .export import SCHEMA_VERSION
from .models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, Source, Warrant
from .pagecache import bump_case, bump_site
from .serializers import (
    EventRecordSerializer,
    FilingRecordSerializer,
    ParticipationRecordSerializer,
    WarrantRecordSerializer,
)
from .services import SeedError, default_adapter_for, read_seed_files

SUPPORTED_SCHEMA_VERSIONS = (SCHEMA_VERSION,)
BATCH = 500

# File key -> model field, in the export's order. Keys that name a related record are handled apart.
CASE_KEYS = {
    "reference": "reference",
    "slug": "slug",
    "kind": "kind",
    "title": "title_en",
    "title_fr": "title_fr",
    "short_title": "short_title_en",
    "short_title_fr": "short_title_fr",
    "status": "status",
    "stage": "stage",
    "status_changed_on": "status_changed_on",
    "instituted_on": "instituted_on",
    "concluded_on": "concluded_on",
    "summary": "summary",
    "official_url": "official_url",
    "source_url": "source_url",
    "source_note": "source_note",
}
# The lists' keys are the export serializers' fields; those that name a party or a person are handled apart.
PARTICIPATION_KEYS = {key: key for key in ParticipationRecordSerializer.Meta.fields if key not in ("name", "kind")}
FILING_KEYS = {key: key for key in FilingRecordSerializer.Meta.fields}
EVENT_KEYS = {key: key for key in EventRecordSerializer.Meta.fields}
WARRANT_KEYS = {key: key for key in WarrantRecordSerializer.Meta.fields if key not in ("person", "person_slug")}
# Keys without which a record cannot be matched or created.
REQUIRED = {
    "case": ("court", "slug", "kind", "title"),
    "party": ("name", "kind", "role"),
    "filing": ("title",),
    "event": ("date", "kind", "title"),
    "warrant": ("person", "person_slug"),
}
# (earlier, later) dates the database's check constraints keep in order.
DATE_ORDER = {
    Case: ("instituted_on", "concluded_on"),
    Participation: ("joined_on", "withdrawn_on"),
    Event: ("date", "end_date"),
}


class ImportFileError(Exception):
    """The file cannot be imported; the message is one line naming the record and the key."""


# Reading and checking the file: no database access.


def read_document(stream: IO, *, label: str) -> dict:
    """Parse a file export_cases wrote and check its schema_version; the cases are checked by `parse_cases`."""
    try:
        document = json.load(stream)
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{label}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"{label}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    check_schema(document, label=label)
    return document


def check_schema(document: Any, *, label: str = "file") -> None:
    if not isinstance(document, dict):
        raise ImportFileError(f"{label}: not an export_cases file (the top level is not a JSON object)")
    if "schema_version" not in document:
        raise ImportFileError(f"{label}: not an export_cases file (no schema_version)")
    version = document["schema_version"]
    supported = ", ".join(str(number) for number in SUPPORTED_SCHEMA_VERSIONS)
    if isinstance(version, bool) or version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ImportFileError(
            f"{label}: schema_version {json.dumps(version)} is not supported (this version reads {supported})"
        )
    if not isinstance(document.get("cases"), list):
        raise ImportFileError(f"{label}: cases: expected a list")


@dataclass
class Row:
    """One entry of a case's list, checked: its model field values and its natural key."""

    where: str
    values: dict
    key: tuple = ()
    party_name: str = ""
    party_kind: str = ""
    person_slug: str = ""
    person_name: str = ""


@dataclass
class CaseRow:
    where: str
    slug: str
    court: str
    values: dict
    parent: str | None = None
    has_parent: bool = False
    related: list[str] | None = None
    parties: list[Row] = field(default_factory=list)
    filings: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    warrants: list[Row] = field(default_factory=list)


def _fail(where: str, key: str, message: str) -> ImportFileError:
    return ImportFileError(f"{where}: {key}: {' '.join(str(message).split())}")


def _short(text: Any, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
}


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _convert(model: type[models.Model], name: str, value: Any, where: str, key: str) -> Any:
    """The file's value as the model stores it, or a clear error: strict JSON types, ISO 8601 dates."""
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.DateField):
        if value is None:
            return None
        if not isinstance(value, str):
            raise _fail(where, key, f"expected an ISO 8601 date such as 2024-01-26 or null, got {_json_type(value)}")
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if parsed is None or len(value) != 10:
            raise _fail(where, key, f"{_short(value)!r} is not a date (expected YYYY-MM-DD)")
        return parsed
    if isinstance(model_field, models.BooleanField):
        if not isinstance(value, bool):
            raise _fail(where, key, f"expected true or false, got {_json_type(value)}")
        return value
    if not isinstance(value, str):
        raise _fail(where, key, f"expected a string, got {_json_type(value)}")
    if "\x00" in value:
        raise _fail(where, key, "contains a NUL character")
    return value


def _values(model, keys: dict[str, str], entry: dict, where: str) -> dict:
    """The model field values of the keys the entry has, checked as the admin checks them."""
    values = {name: _convert(model, name, entry[key], where, key) for key, name in keys.items() if key in entry}
    instance = model(**values)
    back = {name: key for key, name in keys.items()}
    try:
        instance.clean_fields(exclude=[f.name for f in model._meta.concrete_fields if f.name not in values])
        if model is Case:
            instance.clean()
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise _fail(where, back.get(name, name), " ".join(messages)) from error
    if model in DATE_ORDER:
        earlier, later = DATE_ORDER[model]
        if values.get(earlier) and values.get(later) and values[later] < values[earlier]:
            raise _fail(where, back[later], f"{values[later]} is before {back[earlier]} {values[earlier]}")
    return values


def _require(entry: Any, kind: str, where: str) -> dict:
    if not isinstance(entry, dict):
        raise ImportFileError(f"{where}: expected an object, got {_json_type(entry)}")
    for key in REQUIRED[kind]:
        if key not in entry:
            raise _fail(where, key, "missing")
    return entry


def _list(entry: dict, key: str, where: str) -> list:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise _fail(where, key, f"expected a list, got {_json_type(value)}")
    return value


def _filing_key(values: dict) -> tuple:
    if values.get("url"):
        return ("url", values["url"])
    if values.get("reference"):
        return ("reference", values["reference"])
    return ("document", values.get("date"), values.get("kind", Filing.Kind.OTHER), values["title"])


def _event_key(values: dict) -> tuple:
    return (values["date"], values["kind"], values["title"])


def _check_model(model, values: dict, where: str, keys: dict[str, str]) -> None:
    """Field checks on a record that is not a case's own entry (a party, a person), named with the file's keys."""
    try:
        model(**values).clean_fields(exclude=[f.name for f in model._meta.concrete_fields if f.name not in values])
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise _fail(where, keys.get(name, name), " ".join(messages)) from error


def _where(base: str, item: Any, key: str) -> str:
    """How an entry is named in an error: its position, and its URL, title or name where it has one."""
    if isinstance(item, dict) and isinstance(item.get(key), str) and item[key]:
        return f"{base} ({_short(item[key], 100)})"
    return base


class _Parser:
    """Checks the cases one by one, remembering what must agree across them (a party's kind, a person's name)."""

    def __init__(self):
        self.slugs: dict[str, str] = {}
        self.party_kinds: dict[str, tuple[str, str]] = {}
        self.person_names: dict[str, tuple[str, str]] = {}

    def case(self, index: int, entry: Any) -> CaseRow:
        where = f"case #{index}"
        if isinstance(entry, dict) and isinstance(entry.get("slug"), str) and entry["slug"]:
            where = f"case {entry['slug']}"
        entry = _require(entry, "case", where)
        values = _values(Case, CASE_KEYS, entry, where)
        slug = values["slug"]
        if slug in self.slugs:
            raise _fail(where, "slug", f"appears twice in the file ({self.slugs[slug]} and case #{index})")
        self.slugs[slug] = f"case #{index}"
        court = entry["court"]
        if not isinstance(court, str) or not court.strip():
            raise _fail(where, "court", f"expected a court code, got {_short(json.dumps(court))}")
        if len(court) > Court._meta.get_field("code").max_length:
            raise _fail(where, "court", f"{_short(court)!r} is longer than a court code")
        row = CaseRow(where=where, slug=slug, court=court, values=values)
        if "parent" in entry:
            row.has_parent = True
            row.parent = entry["parent"]
            if row.parent is not None and (not isinstance(row.parent, str) or not row.parent):
                raise _fail(where, "parent", f"expected a case's slug or null, got {_short(json.dumps(row.parent))}")
            if row.parent == slug:
                raise _fail(where, "parent", "a case cannot be its own situation")
        if "related" in entry:
            related = _list(entry, "related", where)
            for other in related:
                if not isinstance(other, str) or not other:
                    raise _fail(where, "related", f"expected case slugs, got {_short(json.dumps(other))}")
                if other == slug:
                    raise _fail(where, "related", "a case cannot be related to itself")
            row.related = list(dict.fromkeys(related))
        row.parties = self.parties(entry, where)
        row.filings = self.filings(entry, where)
        row.events = self.events(entry, where)
        row.warrants = self.warrants(entry, where)
        return row

    def parties(self, entry: dict, where: str) -> list[Row]:
        rows, seen = [], set()
        for number, item in enumerate(_list(entry, "parties", where), start=1):
            item_where = _where(f"{where}, party #{number}", item, "name")
            item = _require(item, "party", item_where)
            name = _convert(Party, "name", item["name"], item_where, "name")
            kind = _convert(Party, "kind", item["kind"], item_where, "kind")
            _check_model(Party, {"name": name, "kind": kind}, item_where, {})
            known_kind, known_where = self.party_kinds.setdefault(name, (kind, item_where))
            if known_kind != kind:
                raise _fail(item_where, "kind", f"{kind!r}, but {known_where} gives {known_kind!r}")
            values = _values(Participation, PARTICIPATION_KEYS, item, item_where)
            row = Row(item_where, values, key=(name, values["role"]), party_name=name, party_kind=kind)
            if row.key in seen:
                raise _fail(item_where, "role", f"{values['role']!r} appears twice for this party")
            seen.add(row.key)
            rows.append(row)
        return rows

    def filings(self, entry: dict, where: str) -> list[Row]:
        rows, urls = [], set()
        for number, item in enumerate(_list(entry, "filings", where), start=1):
            item_where = _where(f"{where}, filing #{number}", item, "url")
            if item_where.endswith(f"#{number}"):
                item_where = _where(item_where, item, "title")
            item = _require(item, "filing", item_where)
            values = _values(Filing, FILING_KEYS, item, item_where)
            if values.get("url"):
                if values["url"] in urls:
                    raise _fail(item_where, "url", "appears twice in this case")
                urls.add(values["url"])
            rows.append(Row(item_where, values, key=_filing_key(values)))
        return rows

    def events(self, entry: dict, where: str) -> list[Row]:
        rows = []
        for number, item in enumerate(_list(entry, "events", where), start=1):
            item_where = _where(f"{where}, event #{number}", item, "title")
            item = _require(item, "event", item_where)
            values = _values(Event, EVENT_KEYS, item, item_where)
            rows.append(Row(item_where, values, key=_event_key(values)))
        return rows

    def warrants(self, entry: dict, where: str) -> list[Row]:
        rows, seen = [], set()
        for number, item in enumerate(_list(entry, "warrants", where), start=1):
            item_where = f"{where}, warrant #{number}"
            if isinstance(item, dict) and isinstance(item.get("person_slug"), str) and item["person_slug"]:
                item_where = f"{where}, warrant for {_short(item['person_slug'])}"
            item = _require(item, "warrant", item_where)
            slug = _convert(Person, "slug", item["person_slug"], item_where, "person_slug")
            name = _convert(Person, "name", item["person"], item_where, "person")
            _check_model(Person, {"slug": slug, "name": name}, item_where, {"slug": "person_slug", "name": "person"})
            known_name, known_where = self.person_names.setdefault(slug, (name, item_where))
            if known_name != name:
                raise _fail(item_where, "person", f"{name!r}, but {known_where} names {known_name!r}")
            values = _values(Warrant, WARRANT_KEYS, item, item_where)
            row = Row(item_where, values, key=(slug, values.get("issued_on")), person_slug=slug, person_name=name)
            if row.key[1] is not None and row.key in seen:
                raise _fail(item_where, "issued_on", f"a second warrant for {slug} issued on {row.key[1]}")
            seen.add(row.key)
            rows.append(row)
        return rows


def parse_cases(document: dict) -> list[CaseRow]:
    """Every case of the document, checked; the first problem raises ImportFileError."""
    parser = _Parser()
    return [parser.case(index, entry) for index, entry in enumerate(document["cases"], start=1)]


# Writing: one transaction.


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # differs from the file, left as it is (skip_existing)


@dataclass
class ImportReport:
    tallies: dict[str, Tally] = field(default_factory=dict)
    dry_run: bool = False

    def tally(self, name: str) -> Tally:
        return self.tallies.setdefault(name, Tally())

    def lines(self) -> list[str]:
        lines = []
        for name in (
            "courts",
            "persons",
            "parties",
            "cases",
            "participations",
            "filings",
            "events",
            "warrants",
            "relations",
        ):
            tally = self.tallies.get(name, Tally())
            line = f"{name}: {tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged"
            if tally.kept:
                line += f", {tally.kept} existing left as they are"
            lines.append(line)
        return lines


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(queryset: models.QuerySet, name: str, keys: Iterable) -> list:
    keys = list(keys)
    found = []
    for chunk in _chunks(keys):
        found.extend(queryset.filter(**{f"{name}__in": chunk}))
    return found


class _Writer:
    def __init__(self, rows: list[CaseRow], *, label: str, skip_existing: bool, report: ImportReport):
        self.rows = rows
        self.reason = f"imported from {label}"[:100]
        self.skip_existing = skip_existing
        self.report = report
        self.touched: set[str] = set()

    def _apply(self, obj: models.Model, values: dict, tally: Tally) -> bool:
        """Bring an existing record to the file's values; True when it was saved."""
        differs = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if not differs:
            tally.unchanged += 1
            return False
        if self.skip_existing:
            tally.kept += 1
            return False
        for name, value in differs.items():
            setattr(obj, name, value)
        obj._change_reason = self.reason
        obj.save()
        tally.updated += 1
        return True

    def run(self) -> None:
        self.courts = self._courts()
        self.persons = self._persons()
        self.parties = self._parties()
        self.cases = self._cases()
        self._contents()
        self._relations()
        touched = sorted(self.touched)
        transaction.on_commit(lambda: (bump_case(*touched), bump_site()))

    def _courts(self) -> dict[str, Court]:
        tally = self.report.tally("courts")
        codes = list(dict.fromkeys(row.court for row in self.rows))
        courts = {court.code: court for court in Court.objects.filter(code__in=codes)}
        tally.unchanged += len(courts)
        known = None
        for code in codes:
            if code in courts:
                continue
            if known is None:
                known = _seed_courts()
            details = known.get(code, {})
            court = Court(
                code=code,
                name_en=details.get("name_en") or code,
                name_fr=details.get("name_fr", ""),
                website=details.get("website", ""),
            )
            court.save()
            courts[code] = court
            tally.created += 1
        return courts

    def _persons(self) -> dict[str, Person]:
        tally = self.report.tally("persons")
        names = {w.person_slug: w.person_name for row in self.rows for w in row.warrants}
        persons = {p.slug: p for p in _existing(Person.objects.all(), "slug", names)}
        for slug, person in persons.items():
            self._apply(person, {"name": names[slug]}, tally)
        new = [Person(slug=slug, name=name) for slug, name in names.items() if slug not in persons]
        Person.objects.bulk_create(new, batch_size=BATCH)
        tally.created += len(new)
        persons.update({person.slug: person for person in new})
        return persons

    def _parties(self) -> dict[str, Party]:
        tally = self.report.tally("parties")
        kinds = {p.party_name: p.party_kind for row in self.rows for p in row.parties}
        parties = {p.name: p for p in _existing(Party.objects.all(), "name", kinds)}
        for name, party in parties.items():
            self._apply(party, {"kind": kinds[name]}, tally)
        new = [Party(name=name, kind=kind) for name, kind in kinds.items() if name not in parties]
        if new:
            taken = set(Party.objects.values_list("slug", flat=True))
            for party in new:
                party.slug = _free_slug(party.name, taken)
            Party.objects.bulk_create(new, batch_size=BATCH)
            tally.created += len(new)
            parties.update({party.name: party for party in new})
        return parties

    def _cases(self) -> dict[str, Case]:
        tally = self.report.tally("cases")
        by_slug = {row.slug: row for row in self.rows}
        cases = {case.slug: case for case in _existing(Case.objects.all(), "slug", by_slug)}
        outside = {row.parent for row in self.rows if row.parent and row.parent not in by_slug}
        parents = {case.slug: case for case in _existing(Case.objects.all(), "slug", outside)}
        for row in self.rows:
            if row.parent and row.parent not in by_slug and row.parent not in parents:
                raise _fail(row.where, "parent", f"no case {row.parent!r} in the file or the database")
        depth = {slug: _depth(slug, by_slug) for slug in by_slug}
        existing = set(cases)

        # New cases, situations before the cases that arise in them.
        for level in sorted({depth[slug] for slug in by_slug if slug not in existing}):
            new = []
            for row in self.rows:
                if row.slug in existing or depth[row.slug] != level:
                    continue
                case = Case(**self._case_values(row, cases, parents))
                case.court = self.courts[row.court]
                new.append(case)
            self._create(Case, new, where=lambda case: f"case {case.slug}")
            cases.update({case.slug: case for case in new})
            tally.created += len(new)
            sources = []
            for case in new:
                adapter = default_adapter_for(case.official_url) if case.official_url else ""
                if adapter:
                    sources.append(Source(case=case, adapter=adapter, url=case.official_url))
            Source.objects.bulk_create(sources, batch_size=BATCH)
            self.touched.update(case.slug for case in new)

        for row in self.rows:
            if row.slug in existing:
                case = cases[row.slug]
                try:
                    if self._apply(case, self._case_values(row, cases, parents), tally):
                        self.touched.add(case.slug)
                except DatabaseError as error:
                    raise ImportFileError(f"{row.where}: the database refused it: {_short(error, 200)}") from error
        return cases

    def _case_values(self, row: CaseRow, cases: dict[str, Case], parents: dict[str, Case]) -> dict:
        values = dict(row.values)
        values["court_id"] = self.courts[row.court].pk
        if row.has_parent:
            parent = (cases.get(row.parent) or parents.get(row.parent)) if row.parent else None
            values["parent_id"] = parent.pk if parent else None
        return values

    def _create(self, model: type[models.Model], objects: list, *, where) -> None:
        if not objects:
            return
        try:
            with transaction.atomic():
                if hasattr(model, "history"):
                    bulk_create_with_history(objects, model, batch_size=BATCH, default_change_reason=self.reason)
                else:
                    model.objects.bulk_create(objects, batch_size=BATCH)
        except DatabaseError as error:
            # Checked rows only fail here on what the database alone knows (a constraint, a length on PostgreSQL).
            raise ImportFileError(
                f"{where(objects[0])} (or a record created with it): the database refused it: {_short(error, 200)}"
            ) from error

    def _contents(self) -> None:
        """Participations, filings, events and warrants: matched on their natural keys within each case."""
        case_ids = [self.cases[row.slug].pk for row in self.rows]
        present = {
            "participations": _group(
                _existing(Participation.objects.select_related("party").order_by("pk"), "case_id", case_ids)
            ),
            "filings": _group(_existing(Filing.objects.order_by("pk"), "case_id", case_ids)),
            "events": _group(_existing(Event.objects.order_by("pk"), "case_id", case_ids)),
            "warrants": _group(_existing(Warrant.objects.select_related("person").order_by("pk"), "case_id", case_ids)),
        }
        keys = {
            "participations": lambda p: (p.party.name, p.role),
            "filings": lambda f: _filing_key(
                {"url": f.url, "reference": f.reference, "date": f.date, "kind": f.kind, "title": f.title}
            ),
            "events": lambda e: (e.date, e.kind, e.title),
            "warrants": lambda w: (w.person.slug, w.issued_on),
        }
        new: dict[str, list] = defaultdict(list)
        for row in self.rows:
            case = self.cases[row.slug]
            for name, entries in (
                ("participations", row.parties),
                ("filings", row.filings),
                ("events", row.events),
                ("warrants", row.warrants),
            ):
                tally = self.report.tally(name)
                pools: dict[tuple, deque] = defaultdict(deque)
                for obj in present[name].get(case.pk, []):
                    pools[keys[name](obj)].append(obj)
                for entry in entries:
                    values = self._content_values(name, entry)
                    pool = pools.get(entry.key)
                    if pool:
                        obj = pool.popleft()
                        try:
                            if self._apply(obj, values, tally):
                                self.touched.add(case.slug)
                        except DatabaseError as error:
                            raise ImportFileError(
                                f"{entry.where}: the database refused it: {_short(error, 200)}"
                            ) from error
                    else:
                        obj = MODELS[name](case=case, **values)
                        if name == "filings":
                            # Known since its date: an imported document is not news on the day of the import.
                            obj.first_seen_at = (
                                datetime.datetime.combine(obj.date, datetime.time(), tzinfo=datetime.UTC)
                                if obj.date
                                else timezone.now()
                            )
                        obj._import_where = entry.where
                        new[name].append(obj)
                        tally.created += 1
                        self.touched.add(case.slug)
        for name, model in MODELS.items():
            self._create(model, new[name], where=lambda obj: obj._import_where)

    def _content_values(self, name: str, entry: Row) -> dict:
        values = dict(entry.values)
        if name == "participations":
            values["party_id"] = self.parties[entry.party_name].pk
        elif name == "warrants":
            values["person_id"] = self.persons[entry.person_slug].pk
        return values

    def _relations(self) -> None:
        """A relation listed on either case, or both, is one record; the file does not give its direction."""
        tally = self.report.tally("relations")
        wanted: dict[frozenset, tuple[CaseRow, str]] = {}
        for row in self.rows:
            for other in row.related or ():
                wanted.setdefault(frozenset((row.slug, other)), (row, other))
        if not wanted:
            return
        others = {other for _, other in wanted.values() if other not in self.cases}
        found = {case.slug: case for case in _existing(Case.objects.all(), "slug", others)}
        for row, other in wanted.values():
            if other not in self.cases and other not in found:
                raise _fail(row.where, "related", f"no case {other!r} in the file or the database")
        ids = {case.pk for case in self.cases.values()}
        present = set()
        for chunk in _chunks(sorted(ids)):
            for pair in CaseRelation.objects.filter(
                models.Q(from_case_id__in=chunk) | models.Q(to_case_id__in=chunk)
            ).values_list("from_case_id", "to_case_id"):
                present.add(frozenset(pair))
        new = []
        for row, other in wanted.values():
            source, target = self.cases[row.slug], self.cases.get(other) or found[other]
            if frozenset((source.pk, target.pk)) in present:
                tally.unchanged += 1
                continue
            new.append(CaseRelation(from_case=source, to_case=target))
            self.touched.update((source.slug, target.slug))
        self._create(CaseRelation, new, where=lambda relation: f"case {relation.from_case.slug}, related")
        tally.created += len(new)


MODELS: dict[str, type[models.Model]] = {
    "participations": Participation,
    "filings": Filing,
    "events": Event,
    "warrants": Warrant,
}


def _group(objects: list) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for obj in objects:
        grouped[obj.case_id].append(obj)
    return grouped


def _depth(slug: str, by_slug: dict[str, CaseRow]) -> int:
    """How many situations above this case are in the file too; a loop is an error."""
    chain = [slug]
    while (parent := by_slug[chain[-1]].parent) and parent in by_slug:
        if parent in chain:
            loop = " → ".join([*chain[chain.index(parent) :], parent])
            raise _fail(by_slug[slug].where, "parent", f"the situations form a loop ({loop})")
        chain.append(parent)
    return len(chain) - 1


def _free_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:110] or "party"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _seed_courts() -> dict[str, dict]:
    """The courts cases/seed/ knows, by code: their names and websites, which the export does not carry."""
    try:
        files = read_seed_files()
    except SeedError:
        return {}
    return {data["court"]["code"]: data["court"] for _, data in files if data.get("court", {}).get("code")}


def import_document(document: dict, *, label: str, skip_existing: bool = False, dry_run: bool = False) -> ImportReport:
    """Import a parsed export; all or nothing. Raises ImportFileError with a one-line message."""
    check_schema(document, label=label)
    rows = parse_cases(document)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        _Writer(rows, label=label, skip_existing=skip_existing, report=report).run()
        if dry_run:
            transaction.set_rollback(True)
    return report
