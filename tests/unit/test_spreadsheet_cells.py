"""Formula-safe spreadsheet cells: what gets an apostrophe, and that import takes it off again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.spreadsheet_cells import safe_cell, unescape_cell, xlsx_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+8613800138000", "'+8613800138000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("北京甲科技", "北京甲科技"),
        ("13800138000", "13800138000"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_cell(text: str, safe: str) -> None:
    assert safe_cell(text) == safe


@given(st.text())
def test_unescape_undoes_safe_cell(text: str) -> None:
    assert unescape_cell(safe_cell(text)) == text


@pytest.mark.parametrize("text", ["'hello", "'", "'13800138000", "it's"])
def test_given_ordinary_apostrophe_when_unescaped_then_kept(text: str) -> None:
    assert unescape_cell(text) == text


def test_xlsx_text_drops_control_characters_but_keeps_line_breaks_and_tabs() -> None:
    assert xlsx_text("a\x00b\x0bc\td\ne\rf") == "abc\td\ne\rf"
