"""Writes that touch several models. Views, admin actions, tasks and commands call these."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import re
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import (
    Case,
    CaseRelation,
    Court,
    DiscoveredCase,
    Event,
    Filing,
    Participation,
    Party,
    Person,
    SeedRecord,
    Source,
    SourceCheck,
    Warrant,
)

logger = logging.getLogger(__name__)

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
FILING_FIELDS = (
    "title",
    "kind",
    "date",
    "reference",
    "language",
    "url",
    "source_note",
    "chamber",
    "reports_year",
    "reports_page",
)
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
            adapter = default_adapter_for(entry.get("official_url", ""))
            if adapter:
                _seed_one(
                    Source,
                    f"{slug}|{entry['official_url']}",
                    {"case_id": case.pk, "adapter": adapter, "url": entry["official_url"]},
                    report,
                    {"case": case, "url": entry["official_url"]},
                )
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
        if item.get("date"):
            # Known since it was issued: a seeded document is not news on the day the seed runs.
            values["first_seen_at"] = datetime.datetime.combine(item["date"], datetime.time(), tzinfo=datetime.UTC)
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


# Reading the courts' sites: one source at a time, one transaction per snapshot.

FILING_EVENT_KINDS = {
    Filing.Kind.APPLICATION: Event.Kind.FILED,
    Filing.Kind.WRITTEN_PLEADING: Event.Kind.FILED,
    Filing.Kind.ORDER: Event.Kind.ORDER,
    Filing.Kind.JUDGMENT: Event.Kind.JUDGMENT,
    Filing.Kind.ADVISORY_OPINION: Event.Kind.OPINION,
    Filing.Kind.VERBATIM_RECORD: Event.Kind.HEARING,
    Filing.Kind.PRESS_RELEASE: Event.Kind.PRESS_RELEASE,
    Filing.Kind.WARRANT_OF_ARREST: Event.Kind.WARRANT,
    Filing.Kind.DECISION: Event.Kind.DECISION,
    Filing.Kind.INTERVENTION: Event.Kind.INTERVENTION,
}
# A snapshot is only judged suspect once a source has this many filings stored.
SUSPECT_MINIMUM = 4
DEFAULT_ADAPTERS = {
    "www.icj-cij.org": "icj",
    "icj-cij.org": "icj",
    "www.icc-cpi.int": "icc",
    "icc-cpi.int": "icc",
    "hudoc.echr.coe.int": "hudoc",
}


def refresh_case(*, case: Case, sources: Iterable[Source] | None = None) -> list[SourceCheck]:
    """Read every enabled source of a case. Network errors (FetchError) propagate for the task to retry.

    `sources` are the case's enabled sources when the caller has them already (the task loads them with
    their case in one query); otherwise they are read here, each with this case attached.
    """
    if sources is None:
        sources = case.sources.filter(enabled=True).order_by("id")
    return [refresh_source(source=source) for source in sources]


def refresh_source(*, source: Source) -> SourceCheck:
    from .sources import http
    from .sources.base import SourceError, get_adapter

    started = time.monotonic()
    try:
        adapter = get_adapter(source.adapter)
        page = http.fetch(
            source.url, etag=source.etag, last_modified=source.last_modified, accept=adapter.content_types
        )
    except SourceError as error:
        return record_failed_check(source=source, error=error, duration_ms=_ms_since(started))
    if page.not_modified:
        return record_unchanged_check(source=source, page=page)
    try:
        snapshot = adapter.parse(page.text, page.url)
    except SourceError as error:
        return record_failed_check(source=source, error=error, http_status=page.status, duration_ms=_ms_since(started))
    return apply_snapshot(source=source, snapshot=snapshot, page=page)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def record_failed_check(*, source: Source, error: Exception, http_status: int | None = None, duration_ms: int = 0):
    """A failure is logged and kept: visible in the admin, nothing stored is touched."""
    outcome = getattr(error, "outcome", SourceCheck.Outcome.FAILED)
    logger.warning("source %s %s: %s", source.url, outcome, error)
    now = timezone.now()
    check = SourceCheck.objects.create(
        source=source,
        case_id=source.case_id,
        checked_at=now,
        url=source.url,
        http_status=http_status or getattr(error, "status", None),
        duration_ms=duration_ms,
        outcome=outcome,
        error=str(error)[:2000] or error.__class__.__name__,
    )
    Source.objects.filter(pk=source.pk).update(last_checked_at=now, last_outcome=outcome)
    _bump_pages(source, changed=False)
    return check


def record_unchanged_check(*, source: Source, page) -> SourceCheck:
    """A 304: one insert and one update, nothing parsed; only the case's "last checked" line moves.

    Load the source with its case (select_related) so the page-version bump costs no query.
    """
    now = timezone.now()
    check = SourceCheck.objects.create(
        source=source,
        case_id=source.case_id,
        checked_at=now,
        url=source.url,
        http_status=page.status,
        duration_ms=page.elapsed_ms,
        outcome=SourceCheck.Outcome.UNCHANGED,
    )
    Source.objects.filter(pk=source.pk).update(last_checked_at=now, last_outcome=check.outcome)
    _bump_pages(source, changed=False)
    return check


def _bump_pages(source: Source, *, changed: bool, case_slugs: Iterable[str] = ()) -> None:
    """Make the cached pages that show what this check touched stale, once its transaction has committed.

    After the commit, not before: a page rendered in between would show the old records under the new
    version and stay cached. Only "last checked" moved (unchanged, failed, refused): the case's own pages.
    Something changed: the case's pages and every listing; for a listing source, the cases its items
    went to and every listing. A listing source with nothing changed shows on no public page.
    """
    from .pagecache import bump_case, bump_site

    slugs = [source.case.slug] if source.case_id is not None else []
    slugs += [slug for slug in case_slugs if slug not in slugs]
    if changed:
        transaction.on_commit(lambda: bump_case(*slugs) if slugs else bump_site())
    elif slugs:
        transaction.on_commit(lambda: bump_case(*slugs, site=False))


@dataclass
class _Changes:
    new_filings: list[Filing] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    missing: int = 0
    events: int = 0
    status_changed: bool = False
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def apply_snapshot(*, source: Source, snapshot, page=None) -> SourceCheck:
    """Store what one reading of a source found. Idempotent: the same snapshot twice changes nothing.

    New filings are linked to their case (unique per case and URL, so concurrent workers cannot
    duplicate one); a filing no longer listed is marked missing, never deleted; a snapshot that
    lists far fewer filings than are stored is refused as suspect; a status set by staff stays.
    """
    source = Source.objects.select_for_update(of=("self",)).get(pk=source.pk)
    if source.case_id is not None:
        # Read after the source's lock, in a query of its own: under READ COMMITTED a row joined to the locked
        # one comes from before the wait, so a second refresh at the same moment would apply a status again.
        source.case = Case.objects.select_for_update(of=("self",)).select_related("court").get(pk=source.case_id)
    today = timezone.localdate()
    changes = _Changes(warnings=list(snapshot.warnings))
    http_status = page.status if page else None
    duration_ms = page.elapsed_ms if page else 0

    if source.case is not None:
        stored = Filing.objects.filter(source=source, missing_since__isnull=True).count()
        if stored >= SUSPECT_MINIMUM and len(snapshot.filings) < stored * settings.SNAPSHOT_SUSPECT_RATIO:
            check = _finish(
                source,
                snapshot,
                SourceCheck.Outcome.SUSPECT,
                changes,
                http_status,
                duration_ms,
                page,
                error=f"refused: the page lists {len(snapshot.filings)} filings where {stored} are stored",
            )
            _bump_pages(source, changed=False)
            return check
        _apply_filings(source.case, source, snapshot.filings, changes, today)
        _mark_missing(source, snapshot.filings, changes, today)
        _apply_status(source.case, snapshot, changes, today)
        _apply_events(source.case, snapshot, changes)
    else:
        _route_listing_filings(source, snapshot, changes, today)
        _queue_discovered(source, snapshot, changes)

    changed = changes.new_filings or changes.missing or changes.events or changes.status_changed
    outcome = SourceCheck.Outcome.CHANGED if changed else SourceCheck.Outcome.UNCHANGED
    check = _finish(source, snapshot, outcome, changes, http_status, duration_ms, page)
    _bump_pages(source, changed=bool(changed), case_slugs=sorted({f.case.slug for f in changes.new_filings}))
    new_ids = [filing.pk for filing in changes.new_filings]
    if new_ids:
        transaction.on_commit(lambda: _enqueue_link_checks(new_ids))
    if changes.event_ids:
        from . import alerts

        event_ids = list(changes.event_ids)
        transaction.on_commit(lambda: alerts.queue_notifications(event_ids))
    return check


def _finish(source, snapshot, outcome, changes, http_status, duration_ms, page, error=""):
    now = timezone.now()
    check = SourceCheck.objects.create(
        source=source,
        case_id=source.case_id,
        checked_at=now,
        url=source.url,
        http_status=http_status,
        duration_ms=duration_ms,
        outcome=outcome,
        new_filings=len(changes.new_filings),
        missing_filings=changes.missing,
        status_reported=snapshot.status,
        stage_reported=snapshot.stage,
        warnings=changes.warnings[:50],
        error=error,
    )
    source.last_checked_at, source.last_outcome = now, outcome
    update = ["last_checked_at", "last_outcome"]
    if page is not None and outcome != SourceCheck.Outcome.SUSPECT:
        source.etag, source.last_modified = page.etag[:300], page.last_modified[:100]
        update += ["etag", "last_modified"]
    source.save(update_fields=update)
    return check


def _apply_filings(case, source, refs, changes, today):
    from .sources.base import canonical_url

    refs = [dataclasses.replace(ref, url=canonical_url(ref.url)) for ref in refs]
    existing = {f.url: f for f in Filing.objects.filter(case=case, url__in=[ref.url for ref in refs])}
    seen = set()
    for ref in refs:
        if ref.url in seen:
            continue
        seen.add(ref.url)
        filing = existing.get(ref.url)
        if filing is None:
            filing = _create_filing(case, source, ref)
            if filing is not None:
                changes.new_filings.append(filing)
                _event_for_new_filing(case, filing, changes)
            continue
        update = {}
        if filing.missing_since is not None:
            update["missing_since"] = None
        if filing.source_id is None and filing.case_id == case.pk:
            update["source"] = source
        for name in ("date", "reference", "language"):
            if getattr(filing, name) in (None, "") and getattr(ref, name):
                update[name] = getattr(ref, name)
        if update:
            for name, value in update.items():
                setattr(filing, name, value)
            filing._change_reason = "refresh"
            filing.save(update_fields=list(update))


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str, limit: int) -> str:
    """Text from a court's page as we store it: no control characters (PostgreSQL refuses NUL), trimmed."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", value).split())[:limit]


def _create_filing(case, source, ref) -> Filing | None:
    """Insert in a savepoint: a concurrent worker that got there first wins, and nothing is duplicated."""
    try:
        with transaction.atomic():
            filing = Filing(
                case=case,
                source=source,
                url=ref.url,
                title=_text(ref.title, 500) or ref.url,
                kind=ref.kind if ref.kind in Filing.Kind.values else Filing.Kind.OTHER,
                date=ref.date,
                reference=_text(ref.reference, 100),
                language=ref.language if ref.language in Filing.Language.values else "",
            )
            filing._change_reason = "refresh"
            filing.save()
            return filing
    except IntegrityError:
        return None


def _event_for_new_filing(case, filing, changes):
    if filing.date is None:
        return  # an undated document shows in the filings list, not on the dated timeline
    event = Event.objects.create(
        case=case,
        date=filing.date,
        kind=FILING_EVENT_KINDS.get(filing.kind, Event.Kind.OTHER),
        title=filing.title,
        filing=filing,
        source_url=filing.source.url if filing.source_id else filing.url,
    )
    changes.events += 1
    changes.event_ids.append(event.pk)


def _mark_missing(source, refs, changes, today):
    from .sources.base import canonical_url

    listed = {canonical_url(ref.url) for ref in refs}
    gone = Filing.objects.filter(source=source, missing_since__isnull=True).exclude(url__in=listed)
    for filing in gone:
        filing.missing_since = today
        filing._change_reason = "no longer listed at the source"
        filing.save(update_fields=["missing_since"])
        changes.missing += 1


def _apply_status(case, snapshot, changes, today):
    if not snapshot.status and not snapshot.stage:
        return
    if snapshot.stage and snapshot.stage not in Case.STAGES_BY_KIND.get(case.kind, ()):
        changes.warnings.append(f"stage {snapshot.stage!r} does not fit a {case.kind}; not applied")
        snapshot_stage = ""
    else:
        snapshot_stage = snapshot.stage
    reported = {
        "source_status": snapshot.status or case.source_status,
        "source_stage": snapshot_stage or case.source_stage,
    }
    update = {name: value for name, value in reported.items() if getattr(case, name) != value}
    if not case.status_set_by_staff:
        wanted = {"status": snapshot.status or case.status, "stage": snapshot_stage or case.stage}
        moved = {name: value for name, value in wanted.items() if getattr(case, name) != value}
        if moved:
            update |= moved | {"status_changed_on": today}
            if moved.get("status") == Case.Status.CONCLUDED and not case.concluded_on:
                changes.warnings.append("the source says concluded; the date it concluded is for staff to set")
            if moved.get("status") == Case.Status.PENDING:
                update["concluded_on"] = None
            changes.status_changed = True
    if update:
        for name, value in update.items():
            setattr(case, name, value)
        case._change_reason = "refresh"
        case.save(update_fields=[*update, "updated_at"])
        if changes.status_changed:
            label = case.get_stage_display() if case.stage else case.get_status_display()
            event = Event.objects.create(
                case=case,
                date=today,
                kind=Event.Kind.STATUS_CHANGE,
                title=f"The court's page now gives: {case.get_status_display()}, {label}",
                source_url=snapshot.url,
            )
            changes.events += 1
            changes.event_ids.append(event.pk)


def _apply_events(case, snapshot, changes):
    for ref in snapshot.events:
        kind = ref.kind if ref.kind in Event.Kind.values else Event.Kind.OTHER
        event, created = Event.objects.get_or_create(
            case=case, date=ref.date, kind=kind, title=_text(ref.title, 500), defaults={"source_url": snapshot.url}
        )
        if created:
            changes.events += 1
            changes.event_ids.append(event.pk)


def _route_listing_filings(source, snapshot, changes, today):
    """A feed or listing covers many cases: each item goes to the case its record number or a name points to."""
    if not snapshot.filings:
        return
    from .sources.base import get_adapter

    court_code = get_adapter(source.adapter).court
    cases = list(
        Case.objects.filter(court__code=court_code).prefetch_related("warrants__person", "participations__party")
    )
    by_reference = {case.reference.upper(): case for case in cases if case.reference}
    for ref in snapshot.filings:
        case = by_reference.get(ref.case_reference.upper()) if ref.case_reference else None
        case = case or _case_named_in(ref.title, cases)
        if case is None:
            changes.warnings.append(f"no tracked case for {ref.title[:120]!r}")
            continue
        _apply_filings(case, source, [ref], changes, today)


def _case_named_in(title: str, cases: list[Case]) -> Case | None:
    """The one tracked case whose short title or person's surname the title names; none if several match."""
    words = set(re.findall(r"[\w'-]+", title.lower()))
    text = title.lower()
    matches = []
    for case in cases:
        names = [case.short_title_en.lower()] if case.short_title_en else []
        names += [w.person.name.split()[-1].lower() for w in case.warrants.all()]
        names += [p.party.name.split()[-1].lower() for p in case.participations.all() if p.party.kind == "person"]
        if any((name in words) if " " not in name else (name in text) for name in names if len(name) > 3):
            matches.append(case)
    return matches[0] if len(matches) == 1 else None


def _queue_discovered(source, snapshot, changes):
    if not snapshot.cases:
        return
    from .sources.base import get_adapter

    court = Court.objects.filter(code=get_adapter(source.adapter).court).first()
    if court is None:
        return
    tracked = set(Case.objects.filter(court=court).values_list("reference", flat=True))
    now = timezone.now()
    for ref in snapshot.cases:
        if ref.reference in tracked:
            continue
        discovered, created = DiscoveredCase.objects.get_or_create(
            url=ref.url,
            defaults={
                "court": court,
                "reference": _text(ref.reference, 64),
                "title": _text(ref.title, 500),
                "found_at": source.url,
            },
        )
        if created:
            changes.events += 1  # a new case for staff to review is a change worth reporting
        else:
            DiscoveredCase.objects.filter(pk=discovered.pk).update(last_seen_at=now)


def _enqueue_link_checks(filing_ids: list[int]):
    from .tasks import QueueUnavailable, check_filing, queue_each

    # Logged by queue_each; the daily link check picks these filings up, and the stored filings stay.
    with contextlib.suppress(QueueUnavailable):
        queue_each(check_filing, filing_ids)


def default_adapter_for(url: str) -> str:
    """The adapter that reads a page on this host, or "" where we read no such host."""
    return DEFAULT_ADAPTERS.get((urlsplit(url).hostname or "").lower(), "")


def check_filing_link(*, filing: Filing) -> Filing:
    """Resolve a filing's official document; a link is broken only after several failures in a row."""
    from .sources import http
    from .sources.base import Blocked, SourceError

    now = timezone.now()
    update = {"link_checked_at": now}
    try:
        document = http.fetch_document(filing.url)
    except Blocked as error:
        update |= {"link_status": Filing.LinkStatus.BLOCKED, "link_http_status": getattr(error, "status", None) or 403}
    except SourceError as error:
        return record_link_failure(filing=filing, error=error)
    else:
        update |= {
            "link_status": Filing.LinkStatus.OK,
            "link_http_status": document.status,
            "link_final_url": document.final_url[:500],
            "link_failures": 0,
            "content_length": document.size,
            "sha256": document.sha256,
        }
    return _save_link_check(filing, update)


def record_link_failure(*, filing: Filing, error: Exception) -> Filing:
    failures = filing.link_failures + 1
    broken = failures >= settings.LINK_BROKEN_AFTER_FAILURES
    logger.info("link of filing %s failed (%s in a row): %s", filing.pk, failures, error)
    return _save_link_check(
        filing,
        {
            "link_checked_at": timezone.now(),
            "link_failures": failures,
            "link_http_status": getattr(error, "status", None),
            "link_status": Filing.LinkStatus.BROKEN if broken else filing.link_status,
        },
    )


def _save_link_check(filing: Filing, update: dict) -> Filing:
    # A queryset update: link checks are bookkeeping, not changes worth a history row.
    Filing.objects.filter(pk=filing.pk).update(**update)
    for name, value in update.items():
        setattr(filing, name, value)
    # The case page and the document's own page say when a link seems broken; no listing does.
    _bump_pages_of(filing, site=False)
    return filing


def _bump_pages_of(filing: Filing, *, site: bool):
    """A bulk write sends no signal: make the cached pages that show this filing stale, after the commit."""
    from .pagecache import bump_case

    if Filing.case.is_cached(filing):
        slug = filing.case.slug
    else:
        slug = Case.objects.filter(pk=filing.case_id).values_list("slug", flat=True).first()
    transaction.on_commit(lambda: bump_case(slug, site=site))


# Text of a filing's attached copy, for search.

# About a thousand pages of a judgment with its opinions: enough for search, and within what PostgreSQL's
# tsvector (at most 1 MB of lexemes and positions) can index.
MAX_FILING_TEXT_CHARS = 1_000_000


def extract_filing_text(*, filing: Filing) -> str:
    """Read the text of the filing's attached PDF into filing.text, for search, and return it.

    A queryset update: extracted text is derived data, not a change worth a history row. A PDF that cannot
    be read (broken, or encrypted with a password we do not have) is logged and leaves the text empty; this
    never raises for a bad file, so the task never retries one.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    name = filing.document.name if filing.document else ""
    text = ""
    if name:
        try:
            text = _pdf_text(filing.document)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # pypdf raises many kinds on a malformed file; none is ours to fix
            logger.warning("could not read the text of filing %s (%s): %s", filing.pk, name, error)
            text = ""
    _store_filing_text(filing, name, text)
    return filing.text


def _pdf_text(document) -> str:
    from pypdf import PdfReader

    with document.open("rb") as handle:
        reader = PdfReader(handle)
        if reader.is_encrypted and not reader.decrypt(""):
            # Many court PDFs are encrypted only against editing, with an empty password: those are read.
            raise ValueError("encrypted with a password")
        pages, length = [], 0
        for page in reader.pages:
            page_text = page.extract_text() or ""
            pages.append(page_text)
            length += len(page_text) + 2
            if length >= MAX_FILING_TEXT_CHARS:
                break
    return _clean_text("\n\n".join(pages))


def _clean_text(text: str) -> str:
    # PostgreSQL stores no NUL, and UTF-8 has no lone surrogates, which some PDFs' fonts map to.
    text = text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    return text[:MAX_FILING_TEXT_CHARS]


def _store_filing_text(filing: Filing, name: str, text: str):
    from django.db import DataError

    while True:
        try:
            with transaction.atomic():
                # Only while the same copy is attached: text read from a replaced copy is dropped.
                Filing.objects.filter(pk=filing.pk, document=name).update(text=text)
        except DataError as error:
            if not text:
                raise
            # A text of unusual words (tables, OCR noise) can exceed what a tsvector holds: keep its start.
            logger.warning("text of filing %s too long to index (%s chars): %s", filing.pk, len(text), error)
            text = text[: len(text) // 2]
        else:
            filing.text = text
            _bump_pages_of(filing, site=True)  # search shows the text
            return
