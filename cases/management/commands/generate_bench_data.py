"""Fill the database with realistic, deterministic data for the benchmark (bench/run.py, issue 5).

Every row this command makes is marked: cases, parties and persons have slugs starting with "bench-",
and everything else hangs off those cases. `--reset` deletes exactly those rows, so it is safe on a
database that also holds the seeded real cases. Courts are shared with the real data (the benchmark's
case list filters on ?court=ICJ), so they are created when missing and never deleted.

Rows go in with bulk_create: no model signals, so no history rows and no tasks queued for bulk data.
Documents point to a reserved .invalid host, so a link checker run against this data never reaches a court.
"""

from __future__ import annotations

import datetime
import random
import sys
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from cases.models import Case, Court, Event, Filing, Participation, Party, Person, Stage, Warrant

PREFIX = "bench-"
DOCUMENT_HOST = "https://documents.bench.invalid"
# Past dates end here, so the same seed gives the same data on any day; only upcoming events follow today.
PAST_END = datetime.date(2025, 12, 31)
CASE_BATCH = 250
ROW_BATCH = 2000


def words(text: str) -> list[str]:
    return text.split()


COURTS = {
    "ICJ": ("International Court of Justice", "Cour internationale de Justice", "https://www.icj-cij.org/"),
    "ICC": ("International Criminal Court", "Cour pénale internationale", "https://www.icc-cpi.int/"),
    "ECHR": (
        "European Court of Human Rights",
        "Cour européenne des droits de l'homme",
        "https://www.echr.coe.int/",
    ),
    "ITLOS": (
        "International Tribunal for the Law of the Sea",
        "Tribunal international du droit de la mer",
        "https://www.itlos.org/",
    ),
    "IACtHR": (
        "Inter-American Court of Human Rights",
        "Cour interaméricaine des droits de l'homme",
        "https://www.corteidh.or.cr/",
    ),
}

# (court, kind, weight): what share of the cases each shape of proceedings takes.
SHAPES = [
    ("ICJ", Case.Kind.CONTENTIOUS, 20),
    ("ICJ", Case.Kind.ADVISORY, 4),
    ("ICC", Case.Kind.SITUATION, 4),
    ("ICC", Case.Kind.CASE, 12),
    ("ECHR", Case.Kind.CONTENTIOUS, 48),
    ("ITLOS", Case.Kind.CONTENTIOUS, 4),
    ("IACtHR", Case.Kind.CONTENTIOUS, 8),
]
# The first cases take every shape once, so even a tiny dataset has each kind; case 0 is the largest case.
FIRST_SHAPES = [0, 2, 3, 1, 4, 5, 6]

STATE_ROOTS = words("Val Ost Mar Kel Dor Ari Bel Cas Tor Ver Lun Sar Gal Pel Rho Zan Fen Ilm Nor Ures Quen Bra")
STATE_ENDINGS = words("doria renia avia istan onia mark land ador ania esia uay ovia")
STATE_FORMS = ["Republic of {}", "Kingdom of {}", "{}", "Federal Republic of {}", "Principality of {}"]
ORGAN_FORMS = [
    "General Assembly of the {} Union",
    "Council of the {} Community",
    "Commission of the {} Basin",
    "Assembly of the {} Organisation",
]
FIRST_NAMES = words(
    "Amina Bernard Carla Dmitri Elena Farid Grace Hugo Ines Jonas Kofi Lucia Mateo Nadia Omar Petra Quentin "
    "Rosa Samuel Tamara Ugo Vera Walid Ximena Yusuf Zora"
)
SURNAMES = words(
    "Abara Bertin Costa Dervish Eklund Ferreira Gashi Horvat Ibarra Jansen Kamara Lindqvist Moreau Novak "
    "Okafor Petrov Quiroga Rahman Santos Tanaka Umarov Vasquez Wojcik Xavier Yilmaz Zeller"
)
SUBJECTS = [
    "Maritime Delimitation in the {} Sea",
    "Sovereignty over the {} Islands",
    "Application of the Convention on the Prevention and Punishment of the Crime of Genocide in {}",
    "Certain Activities carried out in the {} Border Area",
    "Alleged Violations of the Treaty of Amity concerning {}",
    "Obligations concerning Negotiations relating to the {} Watercourse",
    "Questions relating to the Seizure of Documents in {}",
    "Land and Maritime Boundary in the {} Gulf",
    "Immunities and Criminal Proceedings concerning {}",
    "Pulp Mills on the River {}",
]
ADVISORY_SUBJECTS = [
    "Obligations of States in respect of {}",
    "Legal Consequences arising from the Policies and Practices of {}",
    "Legal Consequences of the Separation of the {} Archipelago",
    "Accountability for the {} Climate Obligations",
]
SHIPS = words("Aurora Bellatrix Corvina Delphine Esperanza Fortuna Galatea Halcyon Isolde Juniper")
CHAMBERS = ["Pre-Trial Chamber I", "Pre-Trial Chamber II", "Trial Chamber V", "Appeals Chamber"]
CRIMES = [
    "murder as a crime against humanity",
    "persecution",
    "intentionally directing attacks against the civilian population",
    "pillaging",
    "enlistment of children under the age of fifteen",
    "deportation or forcible transfer of population",
    "torture as a war crime",
]

LEGAL_WORDS = words(
    "court judgment order application respondent applicant provisional measures jurisdiction admissibility "
    "preliminary objections memorial counter-memorial reply rejoinder hearing verbatim record oral proceedings "
    "written proceedings convention treaty article obligation breach state responsibility reparation "
    "compensation sovereignty boundary delimitation maritime territorial integrity genocide crimes against "
    "humanity war crimes prosecutor chamber warrant arrest surrender custody confirmation charges trial appeal "
    "victims witnesses evidence testimony expert counsel agent registry registrar president vice-president "
    "judge ad hoc dissenting separate declaration opinion advisory request resolution assembly council "
    "intervention third party interpretation revision merits dispute settlement negotiation consent clause "
    "reservation ratification customary international law principle good faith due diligence self-defence "
    "use of force non-intervention human rights fundamental freedoms violation remedy just satisfaction "
    "applicant's submissions respondent's submissions paragraph annex exhibit dossier registry's note"
)
COMMON_WORDS = words(
    "the the the of of of and and to to in in that that which is was by for with as on at from this "
    "be has have not its their it such any all under within between upon these those further"
)
FRENCH_WORDS = words(
    "la le les de des du et en que qui est par pour dans sur cour arrêt ordonnance requête défendeur "
    "demandeur mesures conservatoires compétence recevabilité exceptions préliminaires mémoire "
    "contre-mémoire réplique duplique audience procédure orale écrite convention traité article obligation "
    "violation responsabilité réparation souveraineté frontière délimitation génocide crimes contre "
    "l'humanité procureur chambre mandat d'arrêt témoins éléments de preuve avis consultatif"
)
ENGLISH = LEGAL_WORDS * 2 + COMMON_WORDS * 3

MONTHS = words("January February March April May June July August September October November December")


def long_date(day: datetime.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass
class Plan:
    cases: int
    filings_per_case: int
    largest_case_filings: int
    seed: int

    def filings_for(self, index: int) -> int:
        return self.largest_case_filings if index == 0 else self.filings_per_case


class Generator:
    def __init__(self, plan: Plan, log):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.log = log
        self.today = timezone.localdate()
        self.used_party_names = set(Party.objects.values_list("name", flat=True))
        self.parties_made = 0
        self.counts = {"cases": 0, "filings": 0, "events": 0, "participations": 0, "warrants": 0}

    # Names ----------------------------------------------------------------------------------------

    def _unique_party(self, kind, make_name, slug_stem):
        for _attempt in range(1000):
            name = make_name()
            if name not in self.used_party_names:
                self.used_party_names.add(name)
                self.parties_made += 1
                return Party(name=name, kind=kind, slug=f"{PREFIX}{slug_stem}-{self.parties_made}")
        raise CommandError(f"ran out of fictional {kind} names")

    def _state_root(self):
        return self.rng.choice(STATE_ROOTS) + self.rng.choice(STATE_ENDINGS)

    def _person_name(self):
        initial = chr(ord("A") + self.rng.randrange(26))
        return f"{self.rng.choice(FIRST_NAMES)} {initial}. {self.rng.choice(SURNAMES)}"

    def make_parties(self):
        n = self.plan.cases
        state_count = max(8, min(len(STATE_ROOTS) * len(STATE_ENDINGS) // 2, n // 8))
        states = []
        roots = [r + e for r in STATE_ROOTS for e in STATE_ENDINGS]
        self.rng.shuffle(roots)
        for root in roots[:state_count]:
            form = self.rng.choice(STATE_FORMS)

            def name(root=root, form=form):
                return form.format(root)

            party = self._unique_party(Party.Kind.STATE, name, f"state-{slugify(root)}")
            party.abbreviation = root[:4] + "."
            states.append(party)
        organs = [
            self._unique_party(
                Party.Kind.ORGANISATION, lambda: self.rng.choice(ORGAN_FORMS).format(self._state_root()), "organ"
            )
            for _ in range(max(2, n // 100))
        ]
        individuals = [
            self._unique_party(Party.Kind.PERSON, self._person_name, "applicant")
            for _ in range(max(4, min(20000, n // 4)))
        ]
        parties = Party.objects.bulk_create(states + organs + individuals, batch_size=ROW_BATCH)
        self.states = parties[: len(states)]
        self.organs = parties[len(states) : len(states) + len(organs)]
        self.individuals = parties[len(states) + len(organs) :]

    # Cases -----------------------------------------------------------------------------------------

    def shape_of(self, index):
        if index < len(FIRST_SHAPES):
            return SHAPES[FIRST_SHAPES[index]]
        return self.rng.choices(SHAPES, weights=[w for *_, w in SHAPES])[0]

    def make_case(self, index, court_code, kind):
        rng = self.rng
        instituted = PAST_END - datetime.timedelta(days=rng.randrange(30, 365 * 30))
        concluded = rng.random() < 0.45 and index != 0
        concluded_on = None
        if concluded:
            concluded_on = min(PAST_END, instituted + datetime.timedelta(days=rng.randrange(200, 365 * 8)))
        a, b = rng.sample(self.states, 2)
        applicant = self.individuals[index % len(self.individuals)]
        reference, short, title, title_fr = "", "", "", ""
        if court_code == "ICJ" and kind == Case.Kind.CONTENTIOUS:
            subject = rng.choice(SUBJECTS).format(self._state_root())
            short = f"{a.name} v. {b.name}"
            title = f"{subject} ({short})"
            title_fr = f"{subject} ({a.name} c. {b.name})"
            reference = str(200 + index)
            stages = [Stage.PROVISIONAL_MEASURES, Stage.PRELIMINARY_OBJECTIONS, Stage.WRITTEN_PROCEEDINGS]
            stages += [Stage.ORAL_PROCEEDINGS, Stage.DELIBERATION]
            final = [Stage.JUDGMENT_DELIVERED, Stage.DISCONTINUED, Stage.REMOVED_FROM_LIST]
        elif kind == Case.Kind.ADVISORY:
            subject = rng.choice(ADVISORY_SUBJECTS).format(self._state_root())
            title = f"{subject} (Request for Advisory Opinion)"
            title_fr = f"{subject} (Demande d'avis consultatif)"
            short = subject[:120]
            reference = str(200 + index)
            stages = [Stage.REQUEST_RECEIVED, Stage.WRITTEN_STATEMENTS, Stage.HEARINGS, Stage.DELIBERATION]
            final = [Stage.OPINION_DELIVERED]
        elif kind == Case.Kind.SITUATION:
            formal = a.name.split()[0] in ("Republic", "Kingdom", "Federal", "Principality")
            title = f"Situation in the {a.name}" if formal else f"Situation in {a.name}"
            title_fr = f"Situation en {a.name}"
            short = a.name
            reference = f"ICC-{index % 100:02d}/{instituted.year % 100:02d}"
            stages = [Stage.PRELIMINARY_EXAMINATION, Stage.INVESTIGATION]
            final = [Stage.CLOSED]
        elif kind == Case.Kind.CASE:
            title, short = "", ""  # the person is named when the participations are made
            reference = f"ICC-{index % 100:02d}/{instituted.year % 100:02d}-{index:02d}"
            stages = [Stage.WARRANT_ISSUED, Stage.IN_CUSTODY, Stage.CONFIRMATION_OF_CHARGES, Stage.TRIAL]
            stages += [Stage.APPEAL, Stage.REPARATIONS]
            final = [Stage.CLOSED, Stage.TERMINATED]
        elif court_code == "ECHR":
            short = f"{applicant.name.split()[-1]} v. {b.name}"
            title = f"Case of {short}"
            title_fr = f"Affaire {applicant.name.split()[-1]} c. {b.name}"
            reference = f"{rng.randrange(1000, 99999)}/{instituted.year % 100:02d}"
            stages = [Stage.WRITTEN_PROCEEDINGS, Stage.DELIBERATION]
            final = [Stage.JUDGMENT_DELIVERED]
        elif court_code == "ITLOS":
            ship = rng.choice(SHIPS)
            short = f'The M/V "{ship}" Case ({a.name} v. {b.name})'
            title = short
            reference = str(30 + index)
            stages = [Stage.PROVISIONAL_MEASURES, Stage.WRITTEN_PROCEEDINGS, Stage.ORAL_PROCEEDINGS]
            final = [Stage.JUDGMENT_DELIVERED]
        else:
            short = f"{applicant.name.split()[-1]} et al. v. {b.name}"
            title = f"Case of {short}"
            title_fr = f"Affaire {applicant.name.split()[-1]} et autres c. {b.name}"
            reference = f"Series C No. {100 + index}"
            stages = [Stage.WRITTEN_PROCEEDINGS, Stage.ORAL_PROCEEDINGS]
            final = [Stage.JUDGMENT_DELIVERED]
        case = Case(
            court=self.courts[court_code],
            kind=kind,
            reference=reference,
            title_en=title[:500],
            title_fr=title_fr[:500],
            short_title_en=short[:200],
            status=Case.Status.CONCLUDED if concluded else Case.Status.PENDING,
            stage=rng.choice(final if concluded else stages),
            status_changed_on=concluded_on or instituted + datetime.timedelta(days=rng.randrange(0, 400)),
            instituted_on=instituted,
            concluded_on=concluded_on,
            summary=self.sentences(rng.randrange(2, 5), ENGLISH),
            official_url=f"{DOCUMENT_HOST}/{court_code.lower()}/case/{index}",
            source_url=f"{DOCUMENT_HOST}/{court_code.lower()}/case/{index}",
            # Bench cases have no sources: no refresh task ever reads them.
            refresh_enabled=False,
        )
        case.bench_parties = (a, b, applicant)
        return case

    def sentences(self, count, words):
        out = []
        for _ in range(count):
            sentence = self.rng.choices(words, k=self.rng.randrange(8, 22))
            out.append(" ".join(sentence).capitalize() + ".")
        return " ".join(out)

    def filing_text(self, language):
        words = FRENCH_WORDS * 2 + COMMON_WORDS if language == "fr" else ENGLISH
        return self.sentences(self.rng.randrange(10, 28), words)

    # Rows that hang off a case ---------------------------------------------------------------------

    def case_rows(self, index, case, rows):
        rng = self.rng
        a, b, applicant = case.bench_parties
        last_day = case.concluded_on or PAST_END
        span = max(1, (last_day - case.instituted_on).days)
        code = case.court.code

        def day():
            return case.instituted_on + datetime.timedelta(days=rng.randrange(span + 1))

        def take_part(party, role, joined_on=None):
            rows["participations"].append(
                Participation(case=case, party=party, role=role, joined_on=joined_on, source_url=case.official_url)
            )

        if case.kind == Case.Kind.CONTENTIOUS and code in ("ICJ", "ITLOS"):
            take_part(a, Participation.Role.APPLICANT)
            take_part(b, Participation.Role.RESPONDENT)
            if rng.random() < 0.2:
                for other in rng.sample(self.states, 3):
                    if other not in (a, b):
                        take_part(other, Participation.Role.INTERVENER_ART_63, day())
        elif case.kind == Case.Kind.CONTENTIOUS:
            take_part(applicant, Participation.Role.APPLICANT)
            take_part(b, Participation.Role.RESPONDENT)
        elif case.kind == Case.Kind.ADVISORY:
            take_part(rng.choice(self.organs), Participation.Role.REQUESTING_ORGAN)
            for other in rng.sample(self.states, min(len(self.states), rng.randrange(2, 9))):
                take_part(other, Participation.Role.PARTICIPANT, day())
        elif case.kind == Case.Kind.SITUATION:
            if rng.random() < 0.5:
                take_part(a, Participation.Role.REFERRING_STATE)
        else:
            person, party = self.make_person(index)
            role = Participation.Role.SUSPECT if case.stage == Stage.WARRANT_ISSUED else Participation.Role.ACCUSED
            take_part(party, role)
            issued = day()
            rows["warrants"].append(
                Warrant(
                    case=case,
                    person=person,
                    issued_on=issued,
                    made_public_on=issued + datetime.timedelta(days=rng.randrange(0, 300)),
                    issued_by=rng.choice(CHAMBERS[:2]),
                    charges="; ".join(rng.sample(CRIMES, rng.randrange(1, 4))),
                    status=Warrant.Status.OUTSTANDING
                    if case.stage == Stage.WARRANT_ISSUED
                    else Warrant.Status.EXECUTED,
                    source_url=case.official_url,
                )
            )

        kinds = self.filing_kinds(case)
        count = self.plan.filings_for(index)
        dates = sorted(day() for _ in range(count))
        base = f"{DOCUMENT_HOST}/{code.lower()}/case-related/{case.reference.replace('/', '-').replace(' ', '-')}"
        for number, filed_on in enumerate(dates, start=1):
            kind = rng.choice(kinds)
            language = rng.choices(["en", "fr", "bi"], weights=[70, 20, 10])[0]
            rows["filings"].append(
                Filing(
                    case=case,
                    title=self.filing_title(case, kind, filed_on, number, a, b),
                    kind=kind,
                    date=filed_on,
                    reference=f"{case.reference}-{filed_on:%Y%m%d}-{kind[:3].upper()}-{number:02d}",
                    language=language,
                    url=f"{base}/{filed_on:%Y%m%d}-{kind}-{number:05d}-{language}.pdf",
                    chamber=rng.choice(CHAMBERS) if code == "ICC" else "",
                    text=self.filing_text(language),
                    first_seen_at=datetime.datetime.combine(filed_on, datetime.time(9), tzinfo=datetime.UTC)
                    + datetime.timedelta(minutes=rng.randrange(0, 600)),
                )
            )

        for _ in range(rng.randrange(3, 12)):
            event_kind = rng.choice([Event.Kind.FILED, Event.Kind.HEARING, Event.Kind.ORDER, Event.Kind.DECISION])
            start = day()
            end = start + datetime.timedelta(days=rng.randrange(1, 5)) if event_kind == Event.Kind.HEARING else None
            rows["events"].append(self.event(case, start, end, event_kind))
        if case.status == Case.Status.PENDING and rng.random() < 0.3:
            # Hearings to come are dated from today, so the home page's "upcoming" list never runs dry.
            start = self.today + datetime.timedelta(days=rng.randrange(1, 120))
            rows["events"].append(self.event(case, start, start + datetime.timedelta(days=2), Event.Kind.HEARING))

    def event(self, case, start, end, kind):
        label = {
            Event.Kind.FILED: "Filing of the written pleadings",
            Event.Kind.HEARING: "Public hearings",
            Event.Kind.ORDER: "Order fixing time-limits",
            Event.Kind.DECISION: "Decision of the Chamber",
        }[kind]
        return Event(
            case=case,
            date=start,
            end_date=end,
            kind=kind,
            title=f"{label} ({long_date(start)})",
            source_url=case.official_url,
        )

    def filing_kinds(self, case):
        k = Filing.Kind
        if case.court.code == "ICC":
            return [k.DECISION, k.DECISION, k.ORDER, k.PRESS_RELEASE, k.WARRANT_OF_ARREST, k.OTHER]
        if case.kind == Case.Kind.ADVISORY:
            return [k.ORDER, k.WRITTEN_PLEADING, k.VERBATIM_RECORD, k.PRESS_RELEASE, k.ADVISORY_OPINION]
        return [k.ORDER, k.ORDER, k.WRITTEN_PLEADING, k.VERBATIM_RECORD, k.PRESS_RELEASE, k.JUDGMENT, k.OPINION]

    def filing_title(self, case, kind, filed_on, number, a, b):
        k = Filing.Kind
        when = long_date(filed_on)
        if kind == k.ORDER:
            return f"Order of {when}"
        if kind == k.JUDGMENT:
            return f"Judgment of {when}"
        if kind == k.ADVISORY_OPINION:
            return f"Advisory Opinion of {when}"
        if kind == k.OPINION:
            return f"Separate opinion of Judge {self.rng.choice(SURNAMES)}"
        if kind == k.WRITTEN_PLEADING:
            side = self.rng.choice([a, b])
            return f"{self.rng.choice(['Memorial', 'Counter-Memorial', 'Reply', 'Rejoinder'])} of {side.name}"
        if kind == k.VERBATIM_RECORD:
            return f"Verbatim record {filed_on.year}/{number}"
        if kind == k.PRESS_RELEASE:
            return f"Press release {filed_on.year}/{number}: {self.rng.choice(LEGAL_WORDS)} {case.short_title_en}"
        if kind == k.WARRANT_OF_ARREST:
            return f"Warrant of arrest ({when})"
        return f"Decision on the {self.rng.choice(LEGAL_WORDS)} {self.rng.choice(LEGAL_WORDS)} ({when})"

    def make_person(self, index):
        party = self._unique_party(Party.Kind.PERSON, self._person_name, "accused")
        name = party.name
        person = Person.objects.create(
            name=name,
            slug=f"{PREFIX}{slugify(name)}-{index}",
            description=self.rng.choice(["Former commander", "Former minister", "Militia leader", "Former official"]),
            source_url=f"{DOCUMENT_HOST}/icc/defendant/{index}",
        )
        party.person = person
        party.save()
        return person, party

    # The run ----------------------------------------------------------------------------------------

    def run(self):
        started = time.monotonic()
        self.courts = {}
        for code, (name_en, name_fr, website) in COURTS.items():
            self.courts[code], _ = Court.objects.get_or_create(
                code=code, defaults={"name_en": name_en, "name_fr": name_fr, "website": website}
            )
        with transaction.atomic():
            self.make_parties()
        situations = []
        total = self.plan.cases
        for first in range(0, total, CASE_BATCH):
            with transaction.atomic():
                cases = [self.make_case(i, *self.shape_of(i)[:2]) for i in range(first, min(total, first + CASE_BATCH))]
                for offset, case in enumerate(cases):
                    case.slug = f"{PREFIX}{first + offset:06d}-{slugify(case.short_title_en or case.reference)[:80]}"
                Case.objects.bulk_create(cases)
                rows = {"participations": [], "warrants": [], "filings": [], "events": []}
                renamed = []
                for offset, case in enumerate(cases):
                    if case.kind == Case.Kind.SITUATION:
                        situations.append(case)
                    self.case_rows(first + offset, case, rows)
                    if case.kind == Case.Kind.CASE:
                        accused = rows["participations"][-1].party.person
                        case.title_en = case.short_title_en = f"The Prosecutor v. {accused.name}"
                        case.title_fr = f"Le Procureur c. {accused.name}"
                        # An ICC case arises in a situation made before it (none only in a tiny dataset).
                        case.parent = self.rng.choice(situations) if situations else None
                        renamed.append(case)
                    # Rows go in as they come, so memory stays flat however large a case is.
                    if len(rows["filings"]) >= ROW_BATCH:
                        self.flush(rows, only="filings")
                if renamed:
                    Case.objects.bulk_update(renamed, ["title_en", "short_title_en", "title_fr", "parent"])
                self.flush(rows)
                self.counts["cases"] += len(cases)
            elapsed = time.monotonic() - started
            self.log(
                f"cases {self.counts['cases']}/{total}, filings {self.counts['filings']}, "
                f"events {self.counts['events']} ({elapsed:.1f}s)"
            )
        return self.counts

    def flush(self, rows, only=None):
        models_by_key = {"participations": Participation, "warrants": Warrant, "filings": Filing, "events": Event}
        for key, model in models_by_key.items():
            if only and key != only:
                continue
            if rows[key]:
                model.objects.bulk_create(rows[key], batch_size=ROW_BATCH)
                self.counts[key] += len(rows[key])
                rows[key] = []


def bench_cases():
    return Case.objects.filter(slug__startswith=PREFIX)


def _purge(queryset):
    """Delete the rows in `queryset` and what depends on them, following on_delete, without loading them.

    Django's own delete() loads every row when a model has signal receivers (simple-history has), and
    writes a history row for each: far too slow for a million filings, and it would fill the history.
    """
    model = queryset.model
    deleted = 0
    for relation in model._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one) or relation.related_model is model:
            continue
        on_delete = relation.on_delete
        if on_delete is models.DO_NOTHING:  # simple-history's historical rows keep their ids, by design
            continue
        related = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": queryset})
        if on_delete is models.SET_NULL:
            related.update(**{relation.field.name: None})
        elif on_delete is models.CASCADE:
            deleted += _purge(related)
        elif related.exists():
            raise CommandError(
                f"{related.count()} {relation.related_model._meta.verbose_name_plural} not made by the benchmark "
                f"refer to bench {model._meta.verbose_name_plural}; nothing was deleted."
            )
    # Self references (an ICC case's situation) point inside the set being deleted: clear them first.
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is model and field.null:
            queryset.exclude(**{f"{field.name}__isnull": True}).update(**{field.name: None})
    return deleted + queryset._raw_delete(queryset.db)


def reset_bench_data():
    """Delete every bench-made row and nothing else; returns how many rows went."""
    with transaction.atomic():
        deleted = _purge(bench_cases())
        deleted += _purge(Party.objects.filter(slug__startswith=PREFIX))
        deleted += _purge(Person.objects.filter(slug__startswith=PREFIX))
    return deleted


class Command(BaseCommand):
    help = "Fill the database with deterministic benchmark data (cases, parties, warrants, events, filings)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=5000, help="number of cases (default 5000)")
        parser.add_argument(
            "--filings-per-case", type=int, default=200, help="filings in each case but the largest (default 200)"
        )
        parser.add_argument(
            "--largest-case-filings", type=int, default=5000, help="filings in the largest case (default 5000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed makes the same data")
        parser.add_argument("--reset", action="store_true", help="first delete the bench rows a previous run made")

    def handle(self, *args, **options):
        if options["cases"] < 1 or options["filings_per_case"] < 0 or options["largest_case_filings"] < 0:
            raise CommandError("--cases must be at least 1 and filing counts at least 0")
        quiet = options["verbosity"] < 1

        def log(message):
            if not quiet:
                print(message, file=sys.stderr, flush=True)

        if options["reset"]:
            deleted = reset_bench_data()
            log(f"deleted {deleted} bench rows")
        elif bench_cases().exists():
            raise CommandError("the database already holds bench data; pass --reset to replace it")
        plan = Plan(
            cases=options["cases"],
            filings_per_case=options["filings_per_case"],
            largest_case_filings=options["largest_case_filings"],
            seed=options["seed"],
        )
        counts = Generator(plan, log).run()
        if not quiet:
            self.stdout.write(", ".join(f"{value} {key}" for key, value in counts.items()))
