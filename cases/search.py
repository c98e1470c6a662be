"""One search over cases, parties, persons and filings.

On PostgreSQL: full-text search in English and in French. Every document is read twice, once with the
'english' configuration and once with the 'french' one, and matched against the query read with the same
configuration: titles come in both languages, filings are English, French or bilingual, and we cannot know
which language a visitor types in. So "genocide" meets "Genocide" through the English stemmer and
"génocide" meets "génocide" through the French one. (A third, 'simple' reading would cost a third set of
indexes for little: names and references come out of both stemmers intact, and a clause one language
reads as a stop word only, "the" or "de", is left out and the page says so.) The documents, each with
expression GIN indexes (migration 0006) over exactly the expressions below:

    case      titles and short titles (EN and FR), reference       weight A
    party     name                                                 weight B (through Participation)
    person    name                                                 weight B (through Warrant or Party.person)
    filing    title and reference                                  weight C
              text extracted from the attached copy                weight D

A query is split into clauses as websearch_to_tsquery reads it: words, "quoted phrases", `a or b`,
-excluded. Each clause must match somewhere in a case (its titles, its parties and persons, or one of its
filings), so "Gaza provisional measures" finds the Gaza case's orders although no one field holds all three
words. Cases rank by cover density over titles and names; filings by their title and reference, the text
deciding only whether they match (see _FullText.filing_rank). The start of an official reference
("ICC-01/18") also finds what it covers. Filings are always matched in a subquery (filing_rows), so that
the GIN index answers and no filing's tsvector is rebuilt row by row; _STOP_WORDS_SQL says why the search
runs with two planner settings changed.

On SQLite (the embedded default): the same clauses, each matched with icontains over the same fields,
ordered by a simple score in which a title hit counts most. Snippets are cut around the first match.

Either way the page takes a fixed number of queries, whatever the size of the data.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    F,
    FloatField,
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
from django.db.models.functions import Cast, Coalesce, Greatest, Left, Lower, NullIf, StrIndex, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .forms import CodeChoiceField
from .models import Case, Court, Filing, Participation, Warrant

MAX_QUERY_LENGTH = 200
# Each clause costs a few subqueries; a pasted paragraph is cut here, and the page says so.
MAX_CLAUSES = 8
CASES_SHOWN = 20
FILINGS_PER_PAGE = 25
CONFIGS = ("english", "french")
# ts_headline reads the whole text it is given: the excerpt of a very long filing comes from its start.
HEADLINE_TEXT_CHARS = 100_000
# SQLite: the excerpt is this much text around the first match.
EXCERPT_BEFORE = 120
EXCERPT_CHARS = 360

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
    """column = ANY(ARRAY(subquery)): PostgreSQL runs the subquery once, as an InitPlan, and never turns it
    into a join, where it would check the tsvector expression row by row on the joined table."""

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
    return _pg().SearchVector("title", "reference", config=config, weight="C")


def filing_vector(config: str):
    """The filing's document; 0006 indexes exactly this expression (per configuration)."""
    return filing_title_vector(config) + _pg().SearchVector("text", config=config, weight="D")


# Matching: the same questions, asked of PostgreSQL's full text or of icontains ------------------------


class _Matcher:
    """What a clause matches in each kind of document, as Q objects over the right model."""

    def case(self, clause: Clause) -> Q:
        raise NotImplementedError

    def name(self, clause: Clause, path: str) -> Q:
        raise NotImplementedError

    def filing(self, clause: Clause) -> Q:
        raise NotImplementedError

    def names_list(self, queryset: QuerySet, path: str):
        raise NotImplementedError

    def split_names(self, value) -> list[str]:
        raise NotImplementedError

    # Shared: the names in a case; its own fields and names; everything, filings included.

    def names(self, clause: Clause) -> Q:
        return (
            Q(pk__in=Participation.objects.filter(self.name(clause, "party__name")).values("case_id"))
            | Q(pk__in=Warrant.objects.filter(self.name(clause, "person__name")).values("case_id"))
            | Q(pk__in=Participation.objects.filter(self.name(clause, "party__person__name")).values("case_id"))
        )

    def case_or_names(self, clause: Clause) -> Q:
        return self.case(clause) | self.names(clause)

    def reference_prefixes(self, clause: Clause) -> list[str]:
        return []

    def filing_rows(self, clause: Clause, field: str = "pk") -> QuerySet:
        """`field` of the filings that match the clause, as a subquery: PostgreSQL then answers it from the
        GIN index alone, where a condition on each row of an outer query would rebuild that row's tsvector
        (and a filing's text can be long). A reference prefix ("ICC-01/18") is a second subquery."""
        rows = Filing.objects.filter(self.filing(clause)).order_by().values(field)
        for prefix in self.reference_prefixes(clause):
            rows = rows.union(Filing.objects.filter(reference__istartswith=prefix).order_by().values(field))
        return rows

    def filing_ids(self, clause: Clause) -> QuerySet:
        return self.filing_rows(clause, "pk")

    def is_matching_filing(self, clause: Clause) -> Q:
        """For a filing query: the filing itself matches the clause."""
        return Q(pk__in=self.filing_ids(clause))

    def anywhere_in_case(self, clause: Clause) -> Q:
        return self.case_or_names(clause) | Q(pk__in=self.filing_rows(clause, "case_id"))

    def reasons(self, any_clause: Clause, filings: QuerySet) -> dict[str, Any]:
        """Annotations for the "why" of each case: the names the query matched, and how many of the
        `filings` listed below the cases are the case's."""
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
            # Counted over a join, the filings as a subquery that runs once: a subquery per case would be
            # turned into a join of its own and rebuild the tsvector of each of the case's filings.
            "filing_count": Count("filings", filter=Q(filings__in=filings.values("pk"))),
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

    def case(self, clause):
        matches = [Matches(case_vector(c), self.query(clause, c)) for c in CONFIGS]
        prefixes = [Q(reference__istartswith=p) for p in self.reference_prefixes(clause)]
        return Q(*matches, *prefixes, _connector=Q.OR)

    def name(self, clause, path):
        return Q(*[Matches(name_vector(path, c), self.query(clause, c)) for c in CONFIGS], _connector=Q.OR)

    def filing(self, clause):
        return Q(*[Matches(filing_vector(c), self.query(clause, c)) for c in CONFIGS], _connector=Q.OR)

    def names_list(self, queryset, path):
        from django.contrib.postgres.expressions import ArraySubquery

        return ArraySubquery(queryset.order_by(path).values(path))

    def is_matching_filing(self, clause):
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(AnyOf(F("pk"), ArraySubquery(self.filing_ids(clause))))

    def split_names(self, value):
        return list(value or [])

    def case_rank(self, any_clause: Clause):
        """Cover density over the titles (A) and every name in the case (B), in the better-fitting language;
        matching filings add at most what one weight-C hit would (0.2), however many there are."""
        from django.contrib.postgres.expressions import ArraySubquery

        def joined(queryset, path):
            return Func(ArraySubquery(queryset.values(path)), Value(" "), function="array_to_string")

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
        filings = Cast(F("filing_count"), FloatField())
        return Greatest(*ranks) + Value(0.2) * filings / (filings + Value(1.0))

    def filing_rank(self, any_clause: Clause):
        """Cover density over the title and reference (C). The text (D) decides whether a filing matches,
        through the index, but not its rank: ranking by it would rebuild the tsvector of every matching
        text at each search, seconds for a common word over long judgments. Text-only matches follow the
        title matches, latest first."""
        query = self.query
        return Greatest(
            *[self.pg.SearchRank(filing_title_vector(c), query(any_clause, c), cover_density=True) for c in CONFIGS]
        )


class _Plain(_Matcher):
    CASE_FIELDS = ("title_en", "title_fr", "short_title_en", "short_title_fr", "reference")
    FILING_FIELDS = ("title", "reference", "text")

    @staticmethod
    def _any(fields, phrases) -> Q:
        return Q(*[Q(**{f"{name}__icontains": p}) for name in fields for p in phrases], _connector=Q.OR)

    def case(self, clause):
        return self._any(self.CASE_FIELDS, clause.phrases)

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

    def case_score(self, clauses: list[Clause]):
        """Per clause: 4 for a title hit, 2 for a name, 1 for a filing. Title hits come first."""
        score = Value(0, output_field=IntegerField())
        for clause in clauses:
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
    filing_count: int


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

    form: SearchForm
    query: str = ""
    truncated: bool = False
    clauses_dropped: bool = False
    ignored: list[str] = field(default_factory=list)
    searched: bool = False
    cases: list[CaseHit] = field(default_factory=list)
    case_count: int = 0
    filings: Page | None = None

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
    # One transaction, so that the settings the first query makes (see _STOP_WORDS_SQL) hold for the others.
    with transaction.atomic(savepoint=False):
        kept, dropped = _without_stop_words(positive + negative)
        result.ignored = [" ".join(c.phrases) for c in dropped]
        positive = [c for c in positive if c in kept]
        negative = [c for c in negative if c in kept]
        return _search(result, _FullText(), positive, negative, filters, page_number)


def _search(result, matcher, positive, negative, filters, page_number) -> SearchPage:
    full_text = isinstance(matcher, _FullText)
    if not positive:
        result.filings = Paginator(Filing.objects.none(), FILINGS_PER_PAGE).get_page(1)
        return result
    any_clause = Clause.any_of(positive)

    filings = _filter_filings(Filing.objects.select_related("case", "case__court").defer("text"), filters)
    # At least one clause in the filing itself; each clause in the filing or in its case, so that "Gaza
    # provisional measures" finds the Gaza case's provisional measures. All through filing_ids().
    filings = filings.filter(matcher.is_matching_filing(any_clause))
    if len(positive) > 1:
        for clause in positive:
            of_case = Case.objects.filter(matcher.case_or_names(clause)).values("pk")
            filings = filings.filter(matcher.is_matching_filing(clause) | Q(case_id__in=of_case))
    for clause in negative:
        filings = filings.exclude(matcher.is_matching_filing(clause))
    markers = Markers.new()
    ranked = _rank_filings(filings, matcher, positive, any_clause, full_text, markers)
    result.filings = Paginator(ranked, FILINGS_PER_PAGE).get_page(page_number)
    result.filings.object_list = _filing_hits(result.filings.object_list, any_clause, full_text, markers)

    # The cases head the first page only; later pages are for reading on through the filings.
    if result.filings.number == 1:
        cases = _filter_cases(Case.objects.for_list(), filters)
        for clause in positive:
            cases = cases.filter(matcher.anywhere_in_case(clause))
        for clause in negative:
            cases = cases.exclude(matcher.case_or_names(clause))
        result.case_count = cases.count()
        result.cases = _case_hits(cases, matcher, positive, any_clause, full_text, filings)
    return result


# The first query of a full-text search. Besides finding the stop-word clauses, it sets two planner
# settings for the rest of the search's transaction. PostgreSQL prices to_tsvector() at a flat cost,
# whatever the length of the text, so for a common word it would rather read every filing and rebuild
# each tsvector (seconds over long judgments) than read the GIN index; and it prices the expressions high
# enough to JIT-compile them, which takes longer than the search itself.
_STOP_WORDS_SQL = """
    SELECT numnode(websearch_to_tsquery('english', t)) > 0 AND numnode(websearch_to_tsquery('french', t)) > 0
    FROM set_config('enable_seqscan', 'off', true) AS seqscan,
         set_config('jit', 'off', true) AS jit,
         unnest(%s::text[]) WITH ORDINALITY AS clause(t, n)
    ORDER BY n
"""


def _without_stop_words(clauses: list[Clause]) -> tuple[list[Clause], list[Clause]]:
    """The clauses English and French both find words in, and those they do not: one query for all."""
    with connection.cursor() as cursor:
        cursor.execute(_STOP_WORDS_SQL, [[" or ".join(c.parts) for c in clauses]])
        meaningful = [row[0] for row in cursor.fetchall()]
    kept = [c for c, ok in zip(clauses, meaningful, strict=True) if ok]
    return kept, [c for c in clauses if c not in kept]


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


def _case_hits(cases, matcher, positive, any_clause, full_text, filings) -> list[CaseHit]:
    cases = cases.annotate(**matcher.reasons(any_clause, filings))
    tie_break = (F("instituted_on").desc(nulls_last=True), "title_en")
    if full_text:
        markers = Markers.new()
        pg = matcher.pg
        cases = cases.annotate(
            rank=matcher.case_rank(any_clause),
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
        ).order_by("-rank", *tie_break)
    else:
        cases = cases.annotate(score=matcher.case_score(positive)).order_by("-score", *tie_break)
    french = get_language() == "fr"
    hits = []
    for case in cases[:CASES_SHOWN]:
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
                filing_count=case.filing_count,
            )
        )
    return hits


def _rank_filings(filings, matcher, positive, any_clause, full_text, markers):
    tie_break = (F("date").desc(nulls_last=True), "-id")
    if full_text:
        pg = matcher.pg
        both = matcher.query(any_clause, "english") | matcher.query(any_clause, "french")
        config = Switch(When(language="fr", then=Value("french")), default=Value("english"))
        options = {"config": config, "start_sel": markers.start, "stop_sel": markers.stop}
        # PostgreSQL computes the headlines after the sort and the limit: for the page's rows only.
        return filings.annotate(
            rank=matcher.filing_rank(any_clause),
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
        ).order_by("-rank", *tie_break)
    # SQLite: a window of text around the first phrase found, so a long text is never loaded whole.
    found = [NullIf(StrIndex(Lower("text"), Value(p.lower())), 0) for p in any_clause.phrases]
    return filings.annotate(
        score=matcher.filing_score(positive),
        text_position=Coalesce(*found, Value(0)),
        text_window=Substr("text", Greatest(F("text_position") - EXCERPT_BEFORE, 1), EXCERPT_CHARS),
    ).order_by("-score", *tie_break)


def _filing_hits(filings, any_clause, full_text, markers) -> list[FilingHit]:
    if not full_text:
        return [_plain_filing_hit(filing, any_clause) for filing in filings]
    return [
        FilingHit(
            filing=filing,
            title=markers.to_html(filing.title_marked) or filing.title,
            reference=mark_phrases(filing.reference, any_clause.phrases) or filing.reference,
            excerpt=markers.to_html(filing.text_marked),
        )
        for filing in filings
    ]


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
