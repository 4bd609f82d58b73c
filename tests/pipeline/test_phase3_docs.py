"""docs/phase3.md documents every rule, with the table generated from the registry."""

from __future__ import annotations

from pathlib import Path

from soxsvo.phase3 import REGISTRY
from soxsvo.phase3.docs import END, START, render_rules_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "phase3.md"


def test_doc_names_every_rule():
    text = DOC.read_text()
    missing = [rid for rid in REGISTRY if f"`{rid}`" not in text]
    assert not missing


def test_generated_table_is_current():
    text = DOC.read_text()
    current = text[text.index(START): text.index(END) + len(END)]
    assert current == render_rules_markdown(), (
        "regenerate with: python -m soxsvo.phase3.docs")


def test_render_is_a_markdown_table():
    lines = render_rules_markdown().splitlines()
    rows = [line for line in lines if line.startswith("| `P3-")]
    assert len(rows) == len(REGISTRY)
    assert all(line.count(" | ") >= 5 for line in rows)
