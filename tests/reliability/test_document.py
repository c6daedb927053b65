"""docs/reliability.md is exactly what the reliability data renders, cell by cell."""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.reliability.document import render_document

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_document_matches_data():
    expected = render_document()
    actual = DOCUMENT.read_text(encoding="utf-8")

    difference = "".join(
        difflib.unified_diff(actual.splitlines(True), expected.splitlines(True), "docs/reliability.md", "rendered", n=1)
    )
    assert actual == expected, (
        "docs/reliability.md differs from the data the tests run. Regenerate it with "
        f"`python -m tests.reliability.matrix > docs/reliability.md`:\n{difference[:4000]}"
    )
