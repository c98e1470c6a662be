"""Stored search vectors for filings, on PostgreSQL only (SQLite searches with icontains).

Migration 0006 indexed each filing's document as an expression, to_tsvector() over its title, reference
and text. That index answers "which filings match", but everything else rebuilt the tsvector from the
text, row by row: ranking, a recheck, a filter the planner applied to the rows of a join. A text can be a
judgment of a thousand pages. So the document is now stored, once per language, in two columns the
model does not declare:

    search_en  setweight(to_tsvector('english', title || ' ' || reference), 'C')
               || setweight(to_tsvector('english', text), 'D')
    search_fr  the same with 'french'

exactly the expression 0006 indexed (cases.search.filing_vector), with a GIN index on each.

Why columns kept by a trigger, and not a GeneratedField on the model:
- A model field would be read by every query of filings (the case page, feeds, the API, exports) and
  copied into the history table on each save: a kilobyte or two a language for a short filing, far
  more for a judgment, that only search needs.
  search.py names the columns itself (search.stored_vector), and only on PostgreSQL.
- SQLite has no tsvector, so a GeneratedField would need an expression both databases compile.
- A stored generated column is computed again on every UPDATE of the row, and Django's save() writes every
  column; the trigger below rebuilds the vectors only when the title, the reference or the text change, so
  that a link check or a status change never re-reads a long text. It fires on INSERT and UPDATE
  whatever issues them: save(), bulk_create(), QuerySet.update(), raw SQL.

Also, on PostgreSQL only: an index on (date DESC NULLS LAST, id DESC), the order search lists filings in
where a common word matches too many to rank them all (SQLite, which cannot put NULLS LAST in an index and
searches with icontains, does without); and an index on UPPER(reference) for a reference prefix
("ICC-01/18"), which istartswith asks as UPPER(reference) LIKE. Migration 0006's expression indexes over
the whole document are dropped: the indexes on the stored columns replace them.

Every expression is written out here rather than imported, so that this migration stays as it is when
search.py changes; tests/test_search.py checks, with EXPLAIN, that the search still uses these indexes and
that the stored vectors equal what search.py would compute.
"""

from django.db import migrations

CONFIGS = {"en": "english", "fr": "french"}


def _document(config: str, row: str) -> str:
    """The stored document of `row` (NEW in the trigger, the table itself in the backfill)."""
    return (
        f"setweight(to_tsvector('{config}'::regconfig, COALESCE({row}title, '') || ' ' || COALESCE({row}reference, "
        f"'')), 'C') || setweight(to_tsvector('{config}'::regconfig, COALESCE({row}text, '')), 'D')"
    )


FUNCTION = f"""
CREATE FUNCTION cases_filing_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_en := {_document("english", "NEW.")};
    NEW.search_fr := {_document("french", "NEW.")};
    RETURN NEW;
END
$$
"""

FORWARD = [
    "ALTER TABLE cases_filing ADD COLUMN search_en tsvector, ADD COLUMN search_fr tsvector",
    # The vectors stay in the row, uncompressed, where the row allows (up to about 4 kB: a filing's
    # vectors take a kilobyte or two each). Search checks them on every row it reads, several times for a
    # query of several words; out of line, each check would be a lookup in the TOAST table, four times the
    # cost. MAIN still compresses, then moves out of line, the vectors of a long judgment.
    "ALTER TABLE cases_filing SET (toast_tuple_target = 4080)",
    "ALTER TABLE cases_filing ALTER COLUMN search_en SET STORAGE MAIN, ALTER COLUMN search_fr SET STORAGE MAIN",
    FUNCTION,
    """CREATE TRIGGER cases_filing_search_insert BEFORE INSERT ON cases_filing
       FOR EACH ROW EXECUTE FUNCTION cases_filing_search_vectors()""",
    """CREATE TRIGGER cases_filing_search_update BEFORE UPDATE OF title, reference, text ON cases_filing
       FOR EACH ROW
       WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.reference IS DISTINCT FROM NEW.reference
             OR OLD.text IS DISTINCT FROM NEW.text)
       EXECUTE FUNCTION cases_filing_search_vectors()""",
    # Rows already there. Any write from here on goes through the triggers.
    f"UPDATE cases_filing SET search_en = {_document('english', '')}, search_fr = {_document('french', '')}",  # noqa: S608 - constants
    "ALTER TABLE cases_filing ALTER COLUMN search_en SET NOT NULL, ALTER COLUMN search_fr SET NOT NULL",
    "DROP INDEX IF EXISTS cases_filing_search_en",
    "DROP INDEX IF EXISTS cases_filing_search_fr",
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX cases_filing_search_en ON cases_filing USING gin (search_en)",
    "CREATE INDEX cases_filing_search_fr ON cases_filing USING gin (search_fr)",
    "CREATE INDEX cases_filing_reference_upper ON cases_filing (UPPER(reference::text) text_pattern_ops)",
    # Newest first, undated last: the order search takes matching filings in.
    "CREATE INDEX cases_filing_newest_first ON cases_filing (date DESC NULLS LAST, id DESC)",
    # The planner's statistics on the new columns: how common each word is, so it knows when to read the
    # GIN index and when to walk the filings newest first until a page is full.
    "ANALYZE cases_filing",
]

BACKWARD = [
    "ALTER TABLE cases_filing RESET (toast_tuple_target)",
    "DROP INDEX IF EXISTS cases_filing_newest_first",
    "DROP INDEX IF EXISTS cases_filing_reference_upper",
    "DROP TRIGGER IF EXISTS cases_filing_search_update ON cases_filing",
    "DROP TRIGGER IF EXISTS cases_filing_search_insert ON cases_filing",
    "DROP FUNCTION IF EXISTS cases_filing_search_vectors()",
    "ALTER TABLE cases_filing DROP COLUMN IF EXISTS search_en, DROP COLUMN IF EXISTS search_fr",
]


def _old_document_indexes():
    """Migration 0006's expression indexes over the whole document, put back when this one is unapplied."""
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    for suffix, config in CONFIGS.items():
        yield GinIndex(
            SearchVector("title", "reference", config=config, weight="C")
            + SearchVector("text", config=config, weight="D"),
            name=f"cases_filing_search_{suffix}",
        )


def store_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def drop_vectors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)
    filing = apps.get_model("cases", "filing")
    for index in _old_document_indexes():
        schema_editor.add_index(filing, index)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_plural_names"),
    ]

    operations = [
        migrations.RunPython(store_vectors, drop_vectors, elidable=False),
    ]
