"""Writes that touch several models. Views, admin actions, tasks and commands call these."""

from __future__ import annotations

import datetime
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from .models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, SeedRecord, Warrant

SEED_DIR = Path(__file__).resolve().parent / "seed"


class SeedError(Exception):
    """A seed file says something the records cannot hold; the message names the file and the entry."""


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_staff_edits: list[str] = field(default_factory=list)
    skipped_deleted: list[str] = field(default_factory=list)


def _plain(value):
    """The JSON form of a field value, so that what the seed wrote can be compared later."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _seed_one(model: type[models.Model], key: str, values: dict, report: SeedReport, lookup: dict | None = None):
    """Create or update one record from the seed, leaving alone every field staff have changed.

    A field counts as changed by staff when its stored value differs from what the seed wrote last
    time (kept in SeedRecord). A record staff deleted is not brought back.
    """
    label = model._meta.label
    record = SeedRecord.objects.filter(model=label, key=key).first()
    if record is not None:
        obj = model.objects.filter(pk=record.object_id).first()
        if obj is None:
            report.skipped_deleted.append(f"{label} {key}")
            return None
        last = record.values
        written = {}
        changed = False
        for name, value in values.items():
            current = _plain(getattr(obj, name))
            if name in last and current != last[name]:
                if current != _plain(value):
                    report.kept_staff_edits.append(f"{label} {key}: {name}")
                written[name] = last[name]
                continue
            written[name] = _plain(value)
            if current != _plain(value):
                setattr(obj, name, value)
                changed = True
        if changed:
            _validate(obj, key)
            obj._change_reason = "seed_cases"
            obj.save()
            report.updated += 1
        else:
            report.unchanged += 1
        if written != last:
            record.values = written
            record.save(update_fields=["values"])
        return obj

    obj = model.objects.filter(**lookup).first() if lookup else None
    if obj is None:
        obj = model(**values)
        report.created += 1
    else:
        # Made by staff or a task before the seed knew of it: fill only what is empty.
        for name, value in values.items():
            if getattr(obj, name) in (None, ""):
                setattr(obj, name, value)
        report.updated += 1
    _validate(obj, key)
    obj._change_reason = "seed_cases"
    obj.save()
    SeedRecord.objects.create(
        model=label, key=key, object_id=obj.pk, values={name: _plain(getattr(obj, name)) for name in values}
    )
    return obj


def _validate(obj, key):
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise SeedError(f"{obj._meta.verbose_name} {key}: {error.message_dict}") from error


def _pick(entry: dict, names: tuple[str, ...]) -> dict:
    return {name: entry[name] for name in names if name in entry}


def _require_source(entry: dict, where: str, *names: str):
    if not any(entry.get(name) for name in names):
        raise SeedError(f"{where}: every fact needs its source URL ({' or '.join(names)})")


def read_seed_files(directory: Path = SEED_DIR) -> list[tuple[Path, dict]]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise SeedError(f"no seed files in {directory}")
    loaded = []
    for path in files:
        try:
            loaded.append((path, tomllib.loads(path.read_text(encoding="utf-8"))))
        except tomllib.TOMLDecodeError as error:
            raise SeedError(f"{path.name}: {error}") from error
    return loaded


CASE_FIELDS = (
    "kind",
    "reference",
    "title_en",
    "title_fr",
    "short_title_en",
    "short_title_fr",
    "status",
    "stage",
    "status_changed_on",
    "instituted_on",
    "concluded_on",
    "summary",
    "official_url",
    "source_note",
)
FILING_FIELDS = ("title", "kind", "date", "reference", "language", "url", "source_note")
EVENT_FIELDS = ("date", "precision", "end_date", "kind", "title", "source_note")
WARRANT_FIELDS = (
    "issued_on",
    "made_public_on",
    "under_seal",
    "issued_by",
    "charges",
    "status",
    "status_on",
    "source_note",
)
PARTICIPATION_FIELDS = ("joined_on", "withdrawn_on", "note", "source_note")


@transaction.atomic
def seed_cases(*, directory: Path = SEED_DIR) -> SeedReport:
    """Load the curated real cases from cases/seed/*.toml; safe to run again at any time."""
    report = SeedReport()
    files = read_seed_files(directory)
    parties: dict[str, Party] = {}
    persons: dict[str, Person] = {}
    cases: dict[str, Case] = {}

    for path, data in files:
        for entry in data.get("persons", []):
            where = f"{path.name} person {entry.get('slug')}"
            _require_source(entry, where, "source")
            values = _pick(entry, ("name", "description", "source_note")) | {"source_url": entry["source"]}
            persons[entry["slug"]] = _seed_one(
                Person, entry["slug"], values | {"slug": entry["slug"]}, report, {"slug": entry["slug"]}
            )
        for entry in data.get("parties", []):
            parties[entry["name"]] = _seed_party(entry, persons, report)

    for path, data in files:
        court_entry = data.get("court")
        if not court_entry:
            raise SeedError(f"{path.name}: a seed file starts with its [court]")
        court = _seed_one(
            Court,
            court_entry["code"],
            _pick(court_entry, ("code", "name_en", "name_fr", "website")),
            report,
            {"code": court_entry["code"]},
        )
        for entry in data.get("cases", []):
            slug = entry["slug"]
            where = f"{path.name} case {slug}"
            _require_source(entry, where, "source")
            values = _pick(entry, CASE_FIELDS) | {"court_id": court.pk, "slug": slug, "source_url": entry["source"]}
            if "parent" in entry:
                if entry["parent"] not in cases:
                    raise SeedError(f"{where}: parent {entry['parent']} must come earlier in the files")
                values["parent_id"] = cases[entry["parent"]].pk
            case = _seed_one(Case, slug, values, report, {"slug": slug})
            if case is None:
                continue
            cases[slug] = case
            _seed_case_records(case, slug, entry, where, parties, persons, report)

    seeded_slugs = {entry["slug"] for _, data in files for entry in data.get("cases", [])}
    for path, data in files:
        for entry in data.get("cases", []):
            for relation in entry.get("related", []):
                source, target = entry["slug"], relation["case"]
                if target not in seeded_slugs:
                    raise SeedError(f"{path.name} case {source}: related case {target} is not in the seed")
                if source not in cases or target not in cases:
                    continue  # one side was deleted by staff
                _seed_one(
                    CaseRelation,
                    f"{source}|{target}",
                    {
                        "from_case_id": cases[source].pk,
                        "to_case_id": cases[target].pk,
                        "kind": relation.get("kind", CaseRelation.Kind.RELATED),
                        "note": relation.get("note", ""),
                    },
                    report,
                    {"from_case": cases[source], "to_case": cases[target]},
                )
    return report


def _seed_party(entry: dict, persons: dict[str, Person], report: SeedReport) -> Party:
    name = entry["name"]
    values = {
        "name": name,
        "kind": entry.get("kind", Party.Kind.PERSON if entry.get("person") else Party.Kind.STATE),
        "abbreviation": entry.get("abbreviation", ""),
        "slug": entry.get("slug") or slugify(name)[:120],
    }
    if entry.get("person"):
        if entry["person"] not in persons:
            raise SeedError(f"party {name}: person {entry['person']} is not in the seed")
        values["person_id"] = persons[entry["person"]].pk
    return _seed_one(Party, name, values, report, {"name": name})


def _seed_case_records(case, slug, entry, where, parties, persons, report):
    for item in entry.get("parties", []):
        _require_source(item, f"{where} party {item['name']}", "source")
        party = parties.get(item["name"])
        if party is None:
            party = parties[item["name"]] = _seed_party(item, persons, report)
        _seed_one(
            Participation,
            f"{slug}|{item['name']}|{item['role']}",
            _pick(item, PARTICIPATION_FIELDS)
            | {"case_id": case.pk, "party_id": party.pk, "role": item["role"], "source_url": item["source"]},
            report,
            {"case": case, "party": party, "role": item["role"]},
        )

    filings = {}
    for item in entry.get("filings", []):
        _require_source(item, f"{where} filing {item.get('title')}", "url", "source")
        values = _pick(item, FILING_FIELDS) | {"case_id": case.pk, "source_url": item.get("source", "")}
        if item.get("url"):
            key, lookup = f"{slug}|{item['url']}", {"case": case, "url": item["url"]}
        else:
            key, lookup = f"{slug}|{item['kind']}|{item.get('date')}|{item['title']}", None
        filing = _seed_one(Filing, key, values, report, lookup)
        if filing is not None:
            for handle in (item.get("url"), item.get("reference"), item.get("id")):
                if handle:
                    filings[handle] = filing

    for item in entry.get("events", []):
        _require_source(item, f"{where} event {item.get('title')}", "source")
        values = _pick(item, EVENT_FIELDS) | {"case_id": case.pk, "source_url": item["source"]}
        if item.get("filing"):
            if item["filing"] not in filings:
                raise SeedError(f"{where} event {item['title']}: no filing {item['filing']} in this case")
            values["filing_id"] = filings[item["filing"]].pk
        _seed_one(Event, f"{slug}|{item['date']}|{item['kind']}|{item['title']}", values, report)

    for item in entry.get("warrants", []):
        _require_source(item, f"{where} warrant {item.get('person')}", "source")
        person = persons.get(item["person"])
        if person is None:
            raise SeedError(f"{where} warrant: person {item['person']} is not in the seed")
        values = _pick(item, WARRANT_FIELDS) | {
            "case_id": case.pk,
            "person_id": person.pk,
            "source_url": item["source"],
        }
        if item.get("filing"):
            if item["filing"] not in filings:
                raise SeedError(f"{where} warrant {item['person']}: no filing {item['filing']} in this case")
            values["filing_id"] = filings[item["filing"]].pk
        _seed_one(
            Warrant,
            f"{slug}|{item['person']}|{item.get('issued_on')}",
            values,
            report,
            {"case": case, "person": person, "issued_on": item.get("issued_on")},
        )
