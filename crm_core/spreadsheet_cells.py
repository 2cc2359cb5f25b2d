"""Cells that are safe to open in a spreadsheet, and back (pure).

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel and LibreOffice ("CSV injection", OWASP). Exports put an apostrophe before such a cell;
imports take that apostrophe off again, so a file Hotline wrote imports back unchanged.
"""

from __future__ import annotations

import re
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 cannot hold (openpyxl refuses them in a cell).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(text: str) -> str:
    """The cell with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    """A cell without the apostrophe `safe_cell` put before a formula character."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def xlsx_text(text: str) -> str:
    """The text without the control characters an XLSX cell cannot hold."""
    return _XML_ILLEGAL.sub("", text)
