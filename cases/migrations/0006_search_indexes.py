"""GIN indexes for full-text search, on PostgreSQL only (SQLite searches with icontains).

Expression indexes over exactly the expressions cases/search.py queries with (case_vector, name_vector,
filing_vector), once with the 'english' configuration and once with the 'french' one: PostgreSQL uses an
expression index only for an identical expression. They are written out here rather than imported, so that
this migration stays as it is when search.py changes; tests/test_search.py checks, with EXPLAIN, that the
queries still use them. No model declares them, so makemigrations leaves them alone.
"""

from django.db import migrations

CONFIGS = {"en": "english", "fr": "french"}


def _indexes():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    for suffix, config in CONFIGS.items():
        yield (
            "case",
            GinIndex(
                SearchVector(
                    "title_en", "title_fr", "short_title_en", "short_title_fr", "reference", config=config, weight="A"
                ),
                name=f"cases_case_search_{suffix}",
            ),
        )
        yield "party", GinIndex(SearchVector("name", config=config, weight="B"), name=f"cases_party_search_{suffix}")
        yield "person", GinIndex(SearchVector("name", config=config, weight="B"), name=f"cases_person_search_{suffix}")
        yield (
            "filing",
            GinIndex(
                SearchVector("title", "reference", config=config, weight="C")
                + SearchVector("text", config=config, weight="D"),
                name=f"cases_filing_search_{suffix}",
            ),
        )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.add_index(apps.get_model("cases", model_name), index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.remove_index(apps.get_model("cases", model_name), index)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_subscriptions_and_filing_text"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
