"""Every sample page under tests/pages/<court>/ parses to the Snapshot beside it, compared whole.

A sample is `<name>.<html|json|xml>` with `<name>.expected.json` beside it; the expected JSON names
the adapter and the URL the page was served at.
"""

import json
from pathlib import Path

import pytest

from cases.sources.base import get_adapter

PAGES = Path(__file__).parent / "pages"
EXPECTED = sorted(PAGES.glob("*/*.expected.json"))


def sample_input(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    matches = [p for p in expected.parent.glob(stem + ".*") if not p.name.endswith(".expected.json")]
    assert len(matches) == 1, f"{expected}: one input file named {stem}.* expected, found {matches}"
    return matches[0]


def test_there_are_samples_for_every_court():
    assert {p.parent.name for p in EXPECTED} >= {"icj", "icc", "echr"}


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_page_parses_to_its_expected_snapshot(expected_path):
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    page = sample_input(expected_path).read_text(encoding="utf-8")
    snapshot = get_adapter(expected["adapter"]).parse(page, expected["url"])
    assert snapshot.as_json() == expected
