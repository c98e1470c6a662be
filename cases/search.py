"""One search over cases, parties, persons and filings.

On PostgreSQL: full-text search in English and in French. Every document is read twice, once with the
'english' configuration and once with the 'french' one, and matched against the query read with the same
configuration: titles come in both languages, filings are English, French or bilingual, and we cannot know
which language a visitor types in. So "genocide" meets "Genocide" through the English stemmer and
"génocide" meets "génocide" through the French one. (A third, 'simple' reading would cost a third set of
indexes for little: names and references come out of both stemmers intact, and a clause one language
reads as a stop word only, "the" or "de", is left out and the page says so.) The documents:

    case      titles and short titles (EN and FR), reference       weight A   expression GIN indexes (0006)
    party     name                                                 weight B   expression GIN indexes (0006)
    person    name                                                 weight B   expression GIN indexes (0006)
    filing    title and reference                                  weight C   stored, with GIN indexes (0009)
              text extracted from the attached copy                weight D

Cases, parties and persons are few and short, so their documents are expressions the indexes repeat
exactly. A filing's text can be a long judgment, and a million filings are searched: its document is
stored, per language, in the columns search_en and search_fr that a trigger keeps (migration 0009 says why
not a model field), so that no search rebuilds it from the text (stored_vector below).

A query is split into clauses as websearch_to_tsquery reads it: words, "quoted phrases", `a or b`,
-excluded. A filing is listed when it matches at least one clause itself and every clause in itself or in
its case (the case's titles, parties and persons), so "Gaza provisional measures" finds the Gaza case's
orders although no one field holds all three words. The start of an official reference ("ICC-01/18") also
finds what it covers.

At most MAX_LISTED filings are listed, and the page says "more than" where more match: "provisional
measures" is in half of a million filings, and ranking them all would read them all. The filings listed
are the newest that match, an order an index gives at any size (PostgreSQL walks the filings newest first
until enough match where a word is common, and reads the GIN indexes where it is rare); among them, those
whose title or reference matches come first, by cover density, then the others, newest first. Snippets
(ts_headline) are made for the rows of the page only.

A case is listed when its own titles or names match, each clause there or in one of its filings, or when
one of the filings listed is its: not every case of every filing a common word is in. The first query
(_clauses_sql) finds, for every clause at once, the cases whose titles or names it is in; cases rank by
cover density over titles and names, and the filings listed add at most what one weight-C hit would (0.2),
however many there are.

On SQLite (the embedded default): the same clauses, each matched with icontains over the same fields,
ordered by a simple score in which a title hit counts most. Snippets are cut around the first match.

Either way the page takes a fixed number of queries, whatever the size of the data.
"""

from __future__ import annotations

import functools
import re
import secrets
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    BooleanField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.expressions import Col
from django.db.models.functions import Coalesce, Greatest, Left, Lower, NullIf, StrIndex, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .forms import CodeChoiceField
from .models import Case, Court, Filing, Participation, Party, Person, Warrant

MAX_QUERY_LENGTH = 200
# Each clause costs a few subqueries; a pasted paragraph is cut here, and the page says so.
MAX_CLAUSES = 8
CASES_SHOWN = 20
FILINGS_PER_PAGE = 25
# At most this many filings are listed (20 pages): a common word matches most of a million filings, and
# ranking them all would read them all. The page says "more than" and asks for more words or filters. The
# work grows with it: where a word is in one filing in n, finding the newest MAX_LISTED reads about
# MAX_LISTED * n filings, so the slowest words, those the planner finds as dear to walk to as to read
# through the index, cost about the square root of MAX_LISTED times the number of filings.
MAX_LISTED = 500
# At most this many cases found by their own titles or names are ranked: the most recently instituted.
MAX_CASES_RANKED = 100
CONFIGS = ("english", "french")
# ts_headline reads the whole text it is given: the excerpt of a very long filing comes from its start.
HEADLINE_TEXT_CHARS = 100_000
# SQLite: the excerpt is this much text around the first match.
EXCERPT_BEFORE = 120
EXCERPT_CHARS = 360
# Newest first, undated last: the order of text-only matches, and of ties.
NEWEST = (F("date").desc(nulls_last=True), F("id").desc())
# ts_rank weights for D, C, B and A: a filing's text (D) counts for nothing, its title and reference (C) as usual.
TITLE_ONLY = [0.0, 0.2, 0.4, 1.0]

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_EDGE_PUNCTUATION = string.punctuation.replace("-", "").replace("/", "") + "«»“”‘’„"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An official reference or the start of one: digits and a hyphen or slash, no spaces ("ICC-01/18", "192-2024").
_REFERENCE = re.compile(r"(?=.*\d)(?=.*[-/])[\w./-]+")


# The query ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One thing the query asks for: `parts` in websearch syntax (any will do), `phrases` for icontains."""

    parts: tuple[str, ...]
    phrases: tuple[str, ...]
    negated: bool = False

    @classmethod
    def any_of(cls, clauses: list[Clause]) -> Clause:
        return cls(
            parts=tuple(p for c in clauses for p in c.parts), phrases=tuple(p for c in clauses for p in c.phrases)
        )


def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched, and whether it was cut: no control characters (PostgreSQL refuses NUL)."""
    text = " ".join(_CONTROL.sub(" ", raw or "").split())
    if len(text) <= MAX_QUERY_LENGTH:
        return text, False
    return text[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or text[:MAX_QUERY_LENGTH], True


def parse_query(text: str) -> list[Clause]:
    """Clauses as websearch_to_tsquery reads the query: words, "phrases", `a or b`, -excluded."""
    clauses: list[Clause] = []
    join_next = False
    for match in _TOKEN.finditer(text):
        minus, quoted, bare = match.groups()
        if not any(character.isalnum() for character in match.group()):
            continue  # a lone "-" or "…" would match every filing on SQLite and nothing on PostgreSQL
        if bare is not None:
            if bare.lower() == "or":
                join_next = bool(clauses) and not clauses[-1].negated
                continue
            negated = bare.startswith("-") and len(bare) > 1
            word = bare[1:] if negated else bare
            part, phrase = word, word.strip(_EDGE_PUNCTUATION) or word
        else:
            negated = bool(minus)
            phrase = " ".join(quoted.split())
            if not phrase:
                continue
            part = f'"{phrase}"'
        if join_next and not negated:
            last = clauses.pop()
            clauses.append(Clause(parts=last.parts + (part,), phrases=last.phrases + (phrase,)))
        else:
            clauses.append(Clause(parts=(part,), phrases=(phrase,), negated=negated))
        join_next = False
    return clauses


# Expressions ------------------------------------------------------------------------------------------


class Matches(Func):
    """tsvector @@ tsquery, as a condition."""

    function = ""
    arg_joiner = " @@ "
    output_field = BooleanField()


class AnyOf(Func):
    """column = ANY(array): the ids as one array parameter, however many there are (PostgreSQL)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


class GroupConcat(Aggregate):
    """SQLite's GROUP_CONCAT with the unit separator, which no name contains."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, char(31))"
    output_field = TextField()


def _pg():
    # Imported here: psycopg and contrib.postgres are needed only where PostgreSQL is the database.
    from django.contrib.postgres import search as pg

    return pg


def case_vector(config: str):
    """The case's own document; migration 0006 indexes exactly this expression (per configuration)."""
    pg = _pg()
    return pg.SearchVector(
        "title_en", "title_fr", "short_title_en", "short_title_fr", "reference", config=config, weight="A"
    )


def name_vector(path: str, config: str):
    """A party's or a person's name; 0006 indexes SearchVector("name") on both tables."""
    return _pg().SearchVector(path, config=config, weight="B")


def filing_title_vector(config: str):
    """The filing's title and reference, the first part of its document."""
    return _pg().SearchVector("title", "reference", config=config, weight="C")


def filing_vector(config: str):
    """The filing's document as an expression: what the stored column holds (the trigger of 0009 computes
    exactly this). Search reads the column, stored_vector(); tests compare the two."""
    return filing_title_vector(config) + _pg().SearchVector("text", config=config, weight="D")


class StoredVector(Expression):
    """A filing's stored document in one language: the column search_en or search_fr, which migration 0009
    adds on PostgreSQL and the model does not declare. For a query over filings only."""

    def __init__(self, config: str):
        super().__init__(output_field=_pg().SearchVectorField())
        self.config = config

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        if query is None or query.model is not Filing:
            raise ValueError("A filing's stored document is read in a query over filings.")
        column = _pg().SearchVectorField()
        column.set_attributes_from_name(f"search_{self.config[:2]}")
        column.model = Filing
        # The filing table's alias in this query: a subquery's alias changes, and the Col follows it.
        return Col(query.get_initial_alias(), column)


def stored_vector(config: str) -> StoredVector:
    return StoredVector(config)


# Matching: the same questions, asked of PostgreSQL's full text or of icontains ------------------------


class _Matcher:
    """What a clause matches in each kind of document, as Q objects over the right model."""

    def name(self, clause: Clause, path: str) -> Q:
        raise NotImplementedError

    def filing(self, clause: Clause) -> Q:
        raise NotImplementedError

    def names_list(self, queryset: QuerySet, path: str):
        raise NotImplementedError

    def split_names(self, value) -> list[str]:
        raise NotImplementedError

    def ranked_filings(self, filings: QuerySet, positive: list[Clause], any_clause: Clause):
        """(pk, case_id, case's instituted_on, case's title_en) of the matching `filings`, best first: at most
        MAX_LISTED + 1 of them."""
        raise NotImplementedError

    def case_or_names(self, clause: Clause) -> Q:
        """For a case query: the clause is in the case's titles or names. (PostgreSQL asks this of every
        clause at once, in the first query: _clauses_sql.)"""
        raise NotImplementedError

    def case_rank(self, positive: list[Clause], any_clause: Clause):
        raise NotImplementedError

    def case_score(self, rank: float, listed: int) -> float:
        """The case's rank from its own rank and how many of the listed filings are its."""
        return rank

    def in_a_filing(self, clause: Clause) -> Exists:
        """For a case query: one of the case's filings matches the clause. Asked with EXISTS, so that a common
        word stops at the case's first filing."""
        return Exists(Filing.objects.filter(case=OuterRef("pk")).filter(self.filing(clause)))

    def filings_only_rank(self, positive: list[Clause]):
        """The rank of a case found through its filings alone."""
        raise NotImplementedError

    def among(self, field: str, ids) -> Q:
        """`field` is one of these ids."""
        return Q(**{f"{field}__in": sorted(ids)})

    def reasons(self, any_clause: Clause) -> dict[str, Any]:
        """Annotations for the "why" of each case shown: the names the query matched."""
        mine = {"case": OuterRef("pk")}
        return {
            "party_names": self.names_list(
                Participation.objects.filter(self.name(any_clause, "party__name"), **mine), "party__name"
            ),
            "warrant_person_names": self.names_list(
                Warrant.objects.filter(self.name(any_clause, "person__name"), **mine), "person__name"
            ),
            "party_person_names": self.names_list(
                Participation.objects.filter(self.name(any_clause, "party__person__name"), **mine),
                "party__person__name",
            ),
        }


class _FullText(_Matcher):
    def __init__(self):
        self.pg = _pg()

    def query(self, clause: Clause, config: str):
        parts = [self.pg.SearchQuery(part, config=config, search_type="websearch") for part in clause.parts]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined | part
        return combined

    def reference_prefixes(self, clause):
        # The parser splits "ICC-01/18-374" into "icc", "-01", "/18-374", so "ICC-01/18" would not find it.
        return [p for p in clause.phrases if _REFERENCE.fullmatch(p)]

    def name(self, clause, path):
        return Q(*[Matches(name_vector(path, c), self.query(clause, c)) for c in CONFIGS], _connector=Q.OR)

    def filing(self, clause):
        """Over the stored documents: the GIN indexes find the filings, and a row's check reads its stored
        vector, never its text. A reference prefix reads the index on UPPER(reference)."""
        matches = [Matches(stored_vector(c), self.query(clause, c)) for c in CONFIGS]
        prefixes = [Q(reference__istartswith=p) for p in self.reference_prefixes(clause)]
        return Q(*matches, *prefixes, _connector=Q.OR)

    def names_list(self, queryset, path):
        from django.contrib.postgres.expressions import ArraySubquery

        return ArraySubquery(queryset.order_by(path).values(path))

    def split_names(self, value):
        return list(value or [])

    def ranked_filings(self, filings, positive, any_clause):
        """The newest MAX_LISTED + 1 matching filings, best first. Newest first is an order an index gives at
        any size: PostgreSQL walks the date index until enough filings match where a word is common, and
        reads the GIN indexes and sorts where few match.

        Best first: cover density over the title and reference (C) of the stored document, in the better-
        fitting language; the text's weight (D) is 0, so that the text decides whether a filing matches but
        not its rank, and a title hit counts as it would over the title alone. Text-only matches (rank 0)
        follow the title matches, newest first. The ranks, and the join to the case for its sort keys, are
        computed by an outer query over the filings taken, so that a word in ten thousand filings does not
        have ten thousand ranked; the rows are sorted here."""
        taken = (
            filings.order_by(*NEWEST)
            .annotate(
                taken_id=F("pk"),
                taken_case=F("case_id"),
                taken_date=F("date"),
                query_en=ExpressionWrapper(self.query(any_clause, "english"), self.pg.SearchQueryField()),
                query_fr=ExpressionWrapper(self.query(any_clause, "french"), self.pg.SearchQueryField()),
            )
            .values_list("taken_id", "taken_case", "taken_date", "query_en", "query_fr")
        )[: MAX_LISTED + 1]
        sql, params = taken.query.sql_with_params()
        # The stored vectors are read again for the rows taken (their pages were just read), rather than
        # carried through the sort of every match.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT taken_id, taken_case, cases_case.instituted_on, cases_case.title_en, taken_date,
                       GREATEST(ts_rank_cd(%s::real[], cases_filing.search_en, query_en),
                                ts_rank_cd(%s::real[], cases_filing.search_fr, query_fr))
                FROM ({sql}) AS taken
                JOIN cases_filing ON cases_filing.id = taken_id JOIN cases_case ON cases_case.id = taken_case
                """,  # noqa: S608 - a queryset's own SQL; the values are parameters
                [TITLE_ONLY, TITLE_ONLY, *params],
            )
            rows = cursor.fetchall()
        best_first = sorted(rows, key=lambda row: (-row[5], *_newest_first(row[4]), -row[0]))
        return [row[:4] for row in best_first]

    def case_rank(self, positive, any_clause):
        """Cover density over the titles (A) and every name in the case (B), in the better-fitting language;
        asked only of the cases whose titles or names match."""
        from django.contrib.postgres.expressions import ArraySubquery

        def joined(queryset, path):
            return Func(ArraySubquery(queryset.order_by().values(path)), Value(" "), function="array_to_string")

        names = Func(
            joined(Participation.objects.filter(case=OuterRef("pk")), "party__name"),
            joined(Warrant.objects.filter(case=OuterRef("pk")), "person__name"),
            function="concat_ws",
            template="%(function)s(' ', %(expressions)s)",
            output_field=TextField(),
        )
        ranks = [
            self.pg.SearchRank(
                case_vector(c) + self.pg.SearchVector(names, config=c, weight="B"),
                self.query(any_clause, c),
                cover_density=True,
            )
            for c in CONFIGS
        ]
        return Greatest(*ranks)

    def filings_only_rank(self, positive):
        return 0.0

    def among(self, field, ids):
        from django.contrib.postgres.fields import ArrayField
        from django.db.models import BigIntegerField

        return Q(AnyOf(F(field), Value(sorted(ids), output_field=ArrayField(BigIntegerField()))))

    def case_score(self, rank, listed):
        # Matching filings add at most what one weight-C hit would (0.2), however many there are.
        return rank + 0.2 * listed / (listed + 1)


class _Plain(_Matcher):
    CASE_FIELDS = ("title_en", "title_fr", "short_title_en", "short_title_fr", "reference")
    FILING_FIELDS = ("title", "reference", "text")

    @staticmethod
    def _any(fields, phrases) -> Q:
        return Q(*[Q(**{f"{name}__icontains": p}) for name in fields for p in phrases], _connector=Q.OR)

    def case(self, clause):
        return self._any(self.CASE_FIELDS, clause.phrases)

    def names(self, clause: Clause) -> Q:
        """The case's parties, and the persons of its warrants and of its parties."""
        parties = Party.objects.filter(self.name(clause, "name")).values("pk")
        persons = Person.objects.filter(self.name(clause, "name")).values("pk")
        return (
            Q(pk__in=Participation.objects.filter(party__in=parties).values("case_id"))
            | Q(pk__in=Warrant.objects.filter(person__in=persons).values("case_id"))
            | Q(pk__in=Participation.objects.filter(party__person__in=persons).values("case_id"))
        )

    def case_or_names(self, clause):
        return self.case(clause) | self.names(clause)

    def name(self, clause, path):
        return self._any([path], clause.phrases)

    def filing(self, clause):
        return self._any(self.FILING_FIELDS, clause.phrases)

    def names_list(self, queryset, path):
        return Subquery(queryset.order_by().values("case").annotate(names=GroupConcat(path)).values("names"))

    def split_names(self, value):
        return sorted(set(value.split("\x1f"))) if value else []

    @staticmethod
    def _points(condition: Q, points: int):
        return Switch(When(condition, then=Value(points)), default=Value(0), output_field=IntegerField())

    def case_rank(self, positive, any_clause):
        """Per clause: 4 for a title hit, 2 for a name, 1 for a filing. Title hits come first."""
        score = Value(0, output_field=IntegerField())
        for clause in positive:
            filings = Q(pk__in=Filing.objects.filter(self.filing(clause)).values("case_id"))
            score = (
                score
                + self._points(self.case(clause), 4)
                + self._points(self.names(clause), 2)
                + self._points(filings, 1)
            )
        return score

    def filing_score(self, clauses: list[Clause]):
        score = Value(0, output_field=IntegerField())
        for clause in clauses:
            score = (
                score
                + self._points(self._any(("title", "reference"), clause.phrases), 2)
                + self._points(self._any(("text",), clause.phrases), 1)
            )
        return score

    def ranked_filings(self, filings, positive, any_clause):
        return (
            filings.annotate(score=self.filing_score(positive))
            .order_by("-score", *NEWEST)
            .values_list("pk", "case_id", "case__instituted_on", "case__title_en")[: MAX_LISTED + 1]
        )

    def filings_only_rank(self, positive):
        # A filing of the case matches each clause: 1 a clause (see case_rank).
        return len(positive)


# Snippets -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Markers:
    """Highlight markers no stored text can forge: random for each search, letters and digits only, so
    escaping leaves them as they are and they can be turned into <mark> after the text is escaped."""

    start: str
    stop: str

    @classmethod
    def new(cls) -> Markers:
        token = secrets.token_hex(8)
        return cls(start=f"qs{token}qs", stop=f"qe{token}qe")

    def to_html(self, headline: str | None) -> SafeString | None:
        """The headline escaped, then its markers made into <mark>; None where nothing was marked."""
        if not headline or self.start not in headline:
            return None
        # Words the parser split ("ICC", "-01", "/18-374") are marked as the one word they are.
        escaped = str(escape(headline.replace(self.stop + self.start, "")))
        return mark_safe(escaped.replace(self.start, "<mark>").replace(self.stop, "</mark>"))  # noqa: S308 - escaped above


def mark_phrases(text: str, phrases: tuple[str, ...]) -> SafeString | None:
    """Every occurrence of the phrases in `text` in <mark>, the rest escaped; None where none occurs."""
    if not text or not phrases:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    # Where a phrase starts a word, only there: "the" marks "the", not the middle of "Netherlands".
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)
    if not pattern.search(text):
        pattern = re.compile(alternatives, re.IGNORECASE)
    pieces, last = [], 0
    for found in pattern.finditer(text):
        pieces.append(f"{escape(text[last : found.start()])}<mark>{escape(found.group())}</mark>")
        last = found.end()
    if not pieces:
        return None
    pieces.append(str(escape(text[last:])))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the text is escaped


def _first_marked(*candidates):
    return next((c for c in candidates if c), None)


# Results --------------------------------------------------------------------------------------------------


@dataclass
class CaseHit:
    """A matching case and why it matched."""

    case: Case
    title: SafeString | None  # the full title with the matching words marked, where the title matched
    reference: SafeString | None
    parties: list[str]
    persons: list[str]
    filing_count: int  # how many of the filings listed are the case's


@dataclass
class FilingHit:
    filing: Filing
    title: SafeString | str
    reference: SafeString | str
    excerpt: SafeString | None


@dataclass
class SearchPage:
    max_length = MAX_QUERY_LENGTH
    max_clauses = MAX_CLAUSES
    max_listed = MAX_LISTED

    form: SearchForm
    query: str = ""
    truncated: bool = False
    clauses_dropped: bool = False
    ignored: list[str] = field(default_factory=list)
    searched: bool = False
    cases: list[CaseHit] = field(default_factory=list)
    case_count: int = 0
    filings: Page | None = None
    # More filings match than are listed (MAX_LISTED): the counts are "more than", "at least".
    more_filings: bool = False
    # More cases may match than were counted: those of filings not listed, or more than MAX_CASES_RANKED
    # whose own titles or names match.
    more_cases: bool = False

    @property
    def is_filtered(self):
        data = getattr(self.form, "cleaned_data", {})
        return any(data.get(name) for name in ("court", "kind", "year", "filing_kind"))


class SearchForm(forms.Form):
    """The search box and its filters. Choices cost a query each, so they load only for a search."""

    q = forms.CharField(label=_("Search for"), required=False, strip=False)
    court = CodeChoiceField(label=_("Court"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of proceedings"), required=False, choices=[("", _("Any kind")), *Case.Kind.choices]
    )
    year = forms.TypedChoiceField(label=_("Year instituted"), required=False, coerce=int, empty_value=None)
    filing_kind = forms.ChoiceField(
        label=_("Kind of document"), required=False, choices=[("", _("Any document")), *Filing.Kind.choices]
    )

    def __init__(self, *args, load_choices=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget = forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
        self.fields["year"].choices = [("", _("Any year"))]
        self.fields["court"].choices = [("", _("All courts"))]
        if load_choices:
            courts = Court.objects.only("code", "name_en", "name_fr")
            self.fields["court"].choices += [(court.code, f"{court.code}: {court.name}") for court in courts]
            self.fields["year"].choices += [(str(y), str(y)) for y in Case.objects.instituted_years()]

    def clean_q(self):
        return clean_query(self.cleaned_data.get("q"))[0]


def run_search(params, page_number=None) -> SearchPage:
    """The search page for these GET parameters. No query at all runs for an empty search."""
    query, truncated = clean_query(params.get("q"))
    if not query:
        return SearchPage(form=SearchForm(params or None, load_choices=False))
    form = SearchForm(params)
    form.is_valid()  # a bad filter shows its error and is left out; the search still runs
    filters = form.cleaned_data
    clauses = parse_query(query)
    positive = [c for c in clauses if not c.negated][:MAX_CLAUSES]
    negative = [c for c in clauses if c.negated][:MAX_CLAUSES]
    result = SearchPage(
        form=form,
        query=query,
        truncated=truncated,
        clauses_dropped=len(positive) + len(negative) < len(clauses),
        searched=True,
    )
    if connection.vendor != "postgresql":
        return _search(result, _Plain(), positive, negative, filters, page_number)
    # One transaction, so that the setting the first query makes (see _clauses_sql) holds for the others.
    with transaction.atomic(savepoint=False):
        read = _read_clauses(positive + negative)
        result.ignored = [" ".join(c.phrases) for c in positive + negative if read[c] is None]
        positive = [c for c in positive if read[c] is not None]
        negative = [c for c in negative if read[c] is not None]
        own = _OwnFields(own=[read[c] for c in positive], excluded=set().union(*[read[c] for c in negative]))
        return _search(result, _FullText(), positive, negative, filters, page_number, own)


@dataclass
class _OwnFields:
    """The cases whose own titles or names (not their filings) each clause is in."""

    own: list[set[int]]  # for each clause, the cases it is in
    excluded: set[int]  # the cases a -clause is in


def _search(result, matcher, positive, negative, filters, page_number, own_fields=None) -> SearchPage:
    if not positive:
        result.filings = Paginator([], FILINGS_PER_PAGE).get_page(1)
        return result
    any_clause = Clause.any_of(positive)

    # At least one clause in the filing itself; each clause in the filing or in its case, so that "Gaza
    # provisional measures" finds the Gaza case's provisional measures.
    filings = _filter_filings(Filing.objects.all(), filters).filter(matcher.filing(any_clause))
    own_cases = more_cases = None
    if len(positive) > 1:
        if own_fields is None:  # SQLite: they come with the cases' own query
            own_cases, more_cases, own_fields = _cases_by_own_fields(
                matcher, positive, negative, any_clause, filters, None
            )
        for clause, of_case in zip(positive, own_fields.own, strict=True):
            filings = filings.filter(matcher.filing(clause) | matcher.among("case_id", of_case))
    for clause in negative:
        filings = filings.exclude(matcher.filing(clause))
    # One query for the order and the count, of ids only; then the page's rows, with their snippets.
    listed = list(matcher.ranked_filings(filings, positive, any_clause))
    result.more_filings = len(listed) > MAX_LISTED
    listed = listed[:MAX_LISTED]
    result.filings = Paginator([row[0] for row in listed], FILINGS_PER_PAGE).get_page(page_number)
    result.filings.object_list = _filing_hits(result.filings.object_list, matcher, any_clause)

    # The cases head the first page only; later pages are for reading on through the filings.
    if result.filings.number == 1:
        if own_cases is None:
            own_cases, more_cases, own_fields = _cases_by_own_fields(
                matcher, positive, negative, any_clause, filters, own_fields
            )
        result.more_cases = more_cases or result.more_filings
        result.case_count, result.cases = _case_hits(matcher, positive, any_clause, own_cases, own_fields, listed)
    return result


@functools.cache
def _clauses_sql() -> str:
    """The first query of a full-text search: for each clause, whether English and French both find words in
    it (a clause of stop words, "the" or "de", is left out), and the cases whose titles or names it is in.
    The documents are compiled from case_vector() and name_vector(), so that migration 0006's indexes
    answer; one query for every clause, with no ORM query to build for each.

    It also turns JIT compilation off for the rest of the search's transaction: the planner prices a search
    over a million filings high enough to compile it, which takes longer than the search itself."""
    from django.db.models.sql import Query

    def compiled(model, expression):
        query = Query(model)
        sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
        return connection.ops.compose_sql(sql, params).replace("%", "%%")

    def matching(model, vector):
        table = model._meta.db_table
        en, fr = (compiled(model, vector(config)) for config in CONFIGS)
        return f'SELECT "{table}"."id" FROM "{table}" WHERE {en} @@ clause.en OR {fr} @@ clause.fr'  # noqa: S608 - our own expressions

    cases = matching(Case, case_vector)
    parties = matching(Party, lambda config: name_vector("name", config))
    persons = matching(Person, lambda config: name_vector("name", config))
    return f"""
    SELECT clause.meaningful, CASE WHEN clause.meaningful THEN ARRAY(
        {cases}
        UNION SELECT id FROM cases_case
              WHERE cardinality(clause.prefixes) > 0 AND UPPER(reference::text) LIKE ANY(clause.prefixes)
        UNION SELECT case_id FROM cases_participation WHERE party_id IN ({parties})
        UNION SELECT case_id FROM cases_warrant WHERE person_id IN ({persons})
        UNION SELECT participation.case_id FROM cases_participation participation
              JOIN cases_party party ON party.id = participation.party_id WHERE party.person_id IN ({persons})
    ) END
    FROM set_config('jit', 'off', true) AS jit,
         unnest(%s::text[], %s::text[]) WITH ORDINALITY AS input(t, patterns, n),
         LATERAL (
             SELECT en, fr, numnode(en) > 0 AND numnode(fr) > 0 AS meaningful,
                    ARRAY(SELECT UPPER(p) FROM unnest(string_to_array(patterns, E'\\x1f')) AS p) AS prefixes
             FROM websearch_to_tsquery('english', t) AS en, websearch_to_tsquery('french', t) AS fr
         ) AS clause
    ORDER BY n
    """  # noqa: S608 - our own expressions; the clauses are parameters


def _read_clauses(clauses: list[Clause]) -> dict[Clause, set[int] | None]:
    """For each clause, the cases whose titles or names it is in; None for a clause of stop words."""
    matcher = _FullText()
    texts = [" or ".join(c.parts) for c in clauses]
    patterns = [
        "\x1f".join(connection.ops.prep_for_like_query(p) + "%" for p in matcher.reference_prefixes(c)) for c in clauses
    ]
    with connection.cursor() as cursor:
        cursor.execute(_clauses_sql(), [texts, patterns])
        rows = cursor.fetchall()
    return {c: set(ids) if meaningful else None for c, (meaningful, ids) in zip(clauses, rows, strict=True)}


def _filter_cases(cases, filters):
    if filters.get("court"):
        cases = cases.filter(court__code=filters["court"])
    if filters.get("kind"):
        cases = cases.filter(kind=filters["kind"])
    if filters.get("year"):
        cases = cases.instituted_in(filters["year"])
    return cases


def _filter_filings(filings, filters):
    if filters.get("court"):
        filings = filings.filter(case__court__code=filters["court"])
    if filters.get("kind"):
        filings = filings.filter(case__kind=filters["kind"])
    if filters.get("year"):
        filings = filings.filter(case__instituted_on__year=filters["year"])
    if filters.get("filing_kind"):
        filings = filings.filter(kind=filters["filing_kind"])
    return filings


def _newest_first(day) -> tuple:
    """A sort key: the latest date first, none last."""
    return (day is None, -day.toordinal() if day else 0)


@dataclass
class _OwnMatch:
    """A case whose titles or names match a clause, as _cases_by_own_fields reads it."""

    rank: float
    instituted_on: Any
    title_en: str
    anywhere: list[bool]  # each clause, in the case's titles or names or in one of its filings


def _cases_by_own_fields(matcher, positive, negative, any_clause, filters, known):
    """The cases whose own titles or names match a clause, with their ranks, in one query: indexes find them,
    and they are few even where a word is in most filings. Where `known` (PostgreSQL: _read_clauses) does not
    say yet which clause each is in, flags in the same query do; the filings' query needs that too."""
    flags = {}
    if len(positive) > 1:
        for index, clause in enumerate(positive):
            flags[f"filed_{index}"] = matcher.in_a_filing(clause)
    cases = _filter_cases(Case.objects.order_by(), filters)
    if known is not None:
        ids = set().union(*known.own) - known.excluded
        if not ids:  # no case's own titles or names match: nothing to ask
            return {}, False, known
        cases = cases.filter(matcher.among("pk", ids))
    elif len(positive) > 1 or negative:
        for index, clause in enumerate(positive):
            flags[f"own_{index}"] = ExpressionWrapper(matcher.case_or_names(clause), output_field=BooleanField())
        for index, clause in enumerate(negative):
            flags[f"not_{index}"] = ExpressionWrapper(matcher.case_or_names(clause), output_field=BooleanField())
        # Any of the clauses, from the flags themselves.
        found_by = [Q(**{name: True}) for name in flags if not name.startswith("filed_")]
        cases = cases.annotate(**flags).filter(Q(*found_by, _connector=Q.OR))
    else:
        cases = cases.filter(matcher.case_or_names(positive[0]))
    rows = (
        cases.annotate(rank=matcher.case_rank(positive, any_clause), **flags)
        .order_by(F("instituted_on").desc(nulls_last=True), "title_en", "pk")
        .values("pk", "rank", "instituted_on", "title_en", *flags)
    )
    # A word in thousands of cases' names ("Republic") would have them all ranked: the most recently
    # instituted MAX_CASES_RANKED are, and PostgreSQL computes the ranks after the sort and the limit. (On
    # SQLite, where the flags say which cases each clause is in, every case is read for them.)
    rows = list(rows[: MAX_CASES_RANKED + 1] if known is not None else rows)
    more = len(rows) > MAX_CASES_RANKED
    found, own, excluded = {}, [set() for _ in positive], set()
    for number, row in enumerate(rows):
        pk = row["pk"]
        if known is not None:
            in_own = [pk in ids for ids in known.own]
        else:
            in_own = [row.get(f"own_{index}", True) for index in range(len(positive))]
            if any(row.get(f"not_{index}") for index in range(len(negative))):
                excluded.add(pk)
        for ids, is_in in zip(own, in_own, strict=True):
            if is_in:
                ids.add(pk)
        if number >= MAX_CASES_RANKED:
            continue
        found[pk] = _OwnMatch(
            rank=row["rank"],
            instituted_on=row["instituted_on"],
            title_en=row["title_en"],
            anywhere=[is_in or row.get(f"filed_{index}", is_in) for index, is_in in enumerate(in_own)],
        )
    return found, more, known if known is not None else _OwnFields(own=own, excluded=excluded)


def _case_hits(matcher, positive, any_clause, own_cases, own_fields, listed) -> tuple[int, list[CaseHit]]:
    """How many cases match, and the CASES_SHOWN best. The cases are those whose titles or names match, each
    clause there or in one of their filings, and the cases of the filings listed, which match every clause
    already: not every case of every filing a common word is in. No -clause may be in their titles or names."""
    listed_per_case = Counter(row[1] for row in listed)
    candidates = {}  # pk: (rank, instituted_on, title_en)
    for pk, match in own_cases.items():
        if all(match.anywhere) and pk not in own_fields.excluded:
            candidates[pk] = (match.rank, match.instituted_on, match.title_en)
    for _pk, case_id, instituted_on, title_en in listed:
        if case_id not in candidates and case_id not in own_fields.excluded:
            candidates[case_id] = (matcher.filings_only_rank(positive), instituted_on, title_en)
    scored = sorted(
        candidates,
        key=lambda pk: (
            -matcher.case_score(candidates[pk][0], listed_per_case.get(pk, 0)),
            *_newest_first(candidates[pk][1]),
            candidates[pk][2],
        ),
    )
    shown = scored[:CASES_SHOWN]
    if not shown:
        return 0, []

    rows = Case.objects.for_list().filter(pk__in=shown).order_by().annotate(**matcher.reasons(any_clause))
    full_text = isinstance(matcher, _FullText)
    if full_text:
        markers = Markers.new()
        pg = matcher.pg
        rows = rows.annotate(
            title_en_marked=pg.SearchHeadline(
                "title_en",
                matcher.query(any_clause, "english") | matcher.query(any_clause, "french"),
                config="english",
                start_sel=markers.start,
                stop_sel=markers.stop,
                highlight_all=True,
            ),
            title_fr_marked=pg.SearchHeadline(
                "title_fr",
                matcher.query(any_clause, "french") | matcher.query(any_clause, "english"),
                config="french",
                start_sel=markers.start,
                stop_sel=markers.stop,
                highlight_all=True,
            ),
        )
    by_pk = {case.pk: case for case in rows}
    french = get_language() == "fr"
    hits = []
    for pk in shown:
        case = by_pk[pk]
        if full_text:
            english_title = markers.to_html(case.title_en_marked)
            french_title = markers.to_html(case.title_fr_marked)
        else:
            english_title = mark_phrases(case.title_en, any_clause.phrases)
            french_title = mark_phrases(case.title_fr, any_clause.phrases)
        # The title in the visitor's language where it matched, else the one that did.
        title = _first_marked(french_title, english_title) if french else _first_marked(english_title, french_title)
        persons = matcher.split_names(case.warrant_person_names) + matcher.split_names(case.party_person_names)
        hits.append(
            CaseHit(
                case=case,
                title=title,
                reference=mark_phrases(case.reference, any_clause.phrases),
                parties=matcher.split_names(case.party_names),
                persons=sorted(set(persons)),
                filing_count=listed_per_case.get(pk, 0),
            )
        )
    return len(candidates), hits


def _filing_hits(ids, matcher, any_clause) -> list[FilingHit]:
    """The rows of the page, in the order of `ids`, with their snippets: computed for these rows only."""
    if not ids:
        return []
    rows = Filing.objects.select_related("case", "case__court").defer("text").filter(pk__in=ids).order_by()
    if isinstance(matcher, _FullText):
        markers = Markers.new()
        pg = matcher.pg
        both = matcher.query(any_clause, "english") | matcher.query(any_clause, "french")
        config = Switch(When(language="fr", then=Value("french")), default=Value("english"))
        options = {"config": config, "start_sel": markers.start, "stop_sel": markers.stop}
        rows = rows.annotate(
            title_marked=pg.SearchHeadline("title", both, highlight_all=True, **options),
            text_marked=pg.SearchHeadline(
                Left("text", HEADLINE_TEXT_CHARS),
                both,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
                **options,
            ),
        )
        by_pk = {filing.pk: filing for filing in rows}
        return [
            FilingHit(
                filing=filing,
                title=markers.to_html(filing.title_marked) or filing.title,
                reference=mark_phrases(filing.reference, any_clause.phrases) or filing.reference,
                excerpt=markers.to_html(filing.text_marked),
            )
            for filing in (by_pk[pk] for pk in ids)
        ]
    # SQLite: a window of text around the first phrase found, so a long text is never loaded whole.
    found = [NullIf(StrIndex(Lower("text"), Value(p.lower())), 0) for p in any_clause.phrases]
    rows = rows.annotate(
        text_position=Coalesce(*found, Value(0)),
        text_window=Substr("text", Greatest(F("text_position") - EXCERPT_BEFORE, 1), EXCERPT_CHARS),
    )
    by_pk = {filing.pk: filing for filing in rows}
    return [_plain_filing_hit(by_pk[pk], any_clause) for pk in ids]


def _plain_filing_hit(filing, any_clause) -> FilingHit:
    excerpt = None
    if filing.text_position:
        window = filing.text_window
        start = max(filing.text_position - EXCERPT_BEFORE, 1)
        marked = mark_phrases(window, any_clause.phrases)
        if marked:
            lead = "… " if start > 1 else ""
            tail = " …" if len(window) == EXCERPT_CHARS else ""
            excerpt = mark_safe(f"{lead}{marked}{tail}")  # noqa: S308 - marked is escaped; the rest are constants
    return FilingHit(
        filing=filing,
        title=mark_phrases(filing.title, any_clause.phrases) or filing.title,
        reference=mark_phrases(filing.reference, any_clause.phrases) or filing.reference,
        excerpt=excerpt,
    )


# Text extraction: the admin calls this when staff attach or replace a filing's copy ---------------------


def queue_text_extraction(filing_ids) -> int:
    """Extract the text of these filings' attached copies in the worker, once the transaction commits.

    Raises tasks.QueueUnavailable when the broker refuses (outside a transaction), so the admin can say so.
    """
    from .tasks import extract_filing_text, queue_each

    return queue_each(extract_filing_text, filing_ids)
