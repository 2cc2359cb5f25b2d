"""Read a customer list (CSV or XLSX) as numbered rows of text cells, one row at a time.

Row numbers are the ones a person sees when opening the file in a spreadsheet: the header is row 1,
the first data row is row 2, and a blank line is a row of its own. A CSV record whose quoted field
holds line breaks is still one row (as a spreadsheet shows it), so for CSV each row also carries
`line`: the line of the file on which the record starts, for finding it in a text editor.

CSV encodings are detected by strict decoding, never guessed: UTF-8 (with or without a BOM) first,
then GB18030 (a superset of GBK and GB2312, what Chinese Excel saves as "CSV"). A file that is
neither is refused, naming what charset-normalizer thinks it is, so the person can re-save it or
pass the encoding explicitly. The whole file is decoded once before any row is read, so a bad byte
on line 900,000 stops the import before row 2 is written.

XLSX files are read with openpyxl in read-only mode (first sheet, or the one named). Numbers come
back as text without a spurious ".0" (a phone typed as a number stays 13800138000).

Nothing holds more than one row in memory (the encoding pass reads about a megabyte at a time).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import chain
from pathlib import Path
from typing import IO, Any, Literal

from charset_normalizer import from_bytes

DETECTED_ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", "\t", ";")
CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 1 << 16
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
XLSX_MAGIC = b"PK\x03\x04"

SourceKind = Literal["csv", "xlsx"]


class ImportSourceError(ValueError):
    """The file cannot be read as a customer list; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its spreadsheet row number, the file line it starts on, its cells.

    `error` is set (and `cells` empty) when the CSV record itself is malformed, e.g. a quote that
    is never closed; such a row is rejected like any other bad row.
    """

    number: int
    line: int
    cells: tuple[str, ...]
    error: str | None = None


@dataclass(slots=True)
class CustomerSource:
    """An opened file: its header, its rows (an iterator, read once) and how far reading got."""

    kind: SourceKind
    header: tuple[str, ...]
    rows: Iterator[SourceRow]
    encoding: str | None
    _progress: _Progress

    def progress(self) -> float | None:
        """Fraction of the file read so far (0..1), or None when the size is unknown."""
        return self._progress.fraction()


class _Progress:
    """How far through the file reading is: bytes for CSV, rows for XLSX."""

    def __init__(self, total: float | None) -> None:
        self.total = total
        self.done = 0.0

    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


@contextmanager
def open_source(
    path: Path, *, sheet: str | None = None, encoding: str | None = None
) -> Iterator[CustomerSource]:
    """Open a CSV or XLSX customer list; ImportSourceError if it cannot be read."""
    if not path.is_file():
        raise ImportSourceError(f"{path}: no such file")
    if _is_xlsx(path):
        with _open_xlsx(path, sheet) as source:
            yield source
        return
    if sheet is not None:
        raise ImportSourceError(f"{path}: --sheet applies to XLSX files, and this is not one")
    chosen = check_encoding(path, encoding)
    with path.open("rb") as raw:
        yield _csv_source(raw, chosen, path)


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        magic = handle.read(len(XLSX_MAGIC))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if magic != XLSX_MAGIC:
            raise ImportSourceError(f"{path}: named .xlsx but is not an XLSX workbook")
        return True
    if path.suffix.lower() == ".xls":
        raise ImportSourceError(f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV")
    return magic == XLSX_MAGIC


# --- CSV -----------------------------------------------------------------------------------------


def check_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding to read `path` with: the one given (checked), else UTF-8 or GB18030."""
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith(UTF16_BOMS) and encoding is None:
        raise ImportSourceError(
            f"{path}: the file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8'"
        )
    if encoding is not None:
        name = _codec_name(encoding)
        problem = _decode_problem(path, name)
        if problem is not None:
            raise ImportSourceError(f"{path}: not readable as {encoding}: {problem}")
        return name
    problems = []
    for name in DETECTED_ENCODINGS:
        problem = _decode_problem(path, name)
        if problem is None:
            return name
        problems.append(problem)
    raise ImportSourceError(
        f"{path}: the file is neither UTF-8 ({problems[0]}) nor GB18030{_guess(path)}; "
        "save it as 'CSV UTF-8' or give its encoding with --encoding"
    )


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ImportSourceError(f"unknown encoding {encoding!r}") from None


def _decode_problem(path: Path, encoding: str) -> str | None:
    """None if the whole file decodes strictly, else where it first fails (line and byte)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines_before = 0
    with path.open("rb") as handle:
        # Whole lines per chunk: neither UTF-8 nor GB18030 ever uses 0x0A inside a character,
        # so a failure is always inside the chunk that holds its line.
        while chunk := b"".join(handle.readlines(CHUNK_BYTES)):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines_before + chunk.count(b"\n", 0, max(0, exc.start)) + 1
                return f"byte 0x{exc.object[exc.start]:02x} on line {line}"
            lines_before += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return f"the file ends inside a character (line {lines_before + 1})"
    return None


def _guess(path: Path) -> str:
    """charset-normalizer's guess as a parenthesis for the message, or '' when it has none."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    best = from_bytes(sample).best()
    return "" if best is None else f" (charset-normalizer guesses {best.encoding})"


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter the header row uses most (comma when none appears)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for the progress bar)."""

    def __init__(self, raw: IO[bytes], progress: _Progress) -> None:
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._progress.done += len(data)
        return len(data)


def _csv_source(raw: IO[bytes], encoding: str, path: Path) -> CustomerSource:
    progress = _Progress(float(path.stat().st_size))
    counted = io.BufferedReader(_CountingReader(raw, progress), CHUNK_BYTES)
    text = io.TextIOWrapper(counted, encoding=encoding, newline="")
    first = text.readline()
    if not first.strip():
        raise ImportSourceError(f"{path}: the first row is empty; it must hold the column names")
    reader = csv.reader(chain([first], text), delimiter=_sniff_delimiter(first), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportSourceError(f"{path}: the header row is not valid CSV: {exc}") from exc
    header_cells = tuple(cell.strip() for cell in header)
    return CustomerSource("csv", header_cells, _csv_rows(reader), encoding, progress)


def _csv_rows(reader: Any) -> Iterator[SourceRow]:
    """Data rows after the header; a malformed record becomes one row carrying its error."""
    number, lines_read = 1, reader.line_num
    while True:
        start = lines_read + 1
        try:
            cells: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if reader.line_num == lines_read:  # nothing consumed: stop rather than loop
                return
            cells, error = None, f"malformed CSV from line {start}: {exc}"
        number, lines_read = number + 1, reader.line_num
        if cells is None:
            yield SourceRow(number, start, (), error)
        else:
            yield SourceRow(number, start, tuple(cells))


# --- XLSX ----------------------------------------------------------------------------------------


@contextmanager
def _open_xlsx(path: Path, sheet: str | None) -> Iterator[CustomerSource]:
    from openpyxl import load_workbook  # slow to import; only XLSX needs it

    # A file object, not the path: openpyxl judges a path by its extension, and uploads may
    # have none. Read-only mode reads from it until the book is closed.
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportSourceError(f"{path}: cannot read the workbook: {exc}") from exc
        try:
            if sheet is not None and sheet not in book.sheetnames:
                names = ", ".join(book.sheetnames)
                raise ImportSourceError(f"{path}: no sheet named {sheet!r} (sheets: {names})")
            worksheet = book[sheet] if sheet is not None else book.worksheets[0]
            yield _xlsx_source(worksheet, path)
        finally:
            book.close()


def _xlsx_source(worksheet: Any, path: Path) -> CustomerSource:
    progress = _Progress(float(worksheet.max_row) if worksheet.max_row else None)
    values = worksheet.iter_rows(min_row=1, values_only=True)
    first = next(values, None)
    header = tuple(cell_text(v).strip() for v in first or ())
    if not any(header):
        raise ImportSourceError(f"{path}: row 1 is empty; it must hold the column names")
    return CustomerSource("xlsx", header, _xlsx_rows(values, progress), None, progress)


def _xlsx_rows(values: Iterator[tuple[Any, ...]], progress: _Progress) -> Iterator[SourceRow]:
    for number, row in enumerate(values, start=2):
        progress.done = number
        yield SourceRow(number, number, tuple(cell_text(v) for v in row))


def cell_text(value: object) -> str:
    """A workbook cell as the text a person sees (13800138000.0 -> '13800138000')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
