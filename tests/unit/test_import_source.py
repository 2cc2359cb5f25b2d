"""Reading import files: encodings (UTF-8, BOM, GB18030, refusals), row numbers as a spreadsheet
shows them, embedded line breaks, blank rows, malformed CSV, delimiters, and XLSX workbooks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from crm_core.import_source import (
    ImportSourceError,
    SourceRow,
    cell_text,
    check_encoding,
    open_source,
)

pytestmark = pytest.mark.unit

CHINESE = "客户名称,电话,备注\r\n北京甲科技有限公司,010-12345678,老客户\r\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **options: str) -> tuple[tuple[str, ...], list[SourceRow], str | None]:
    with open_source(path, **options) as source:  # type: ignore[arg-type]
        return source.header, list(source.rows), source.encoding


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (CHINESE.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), "utf-8-sig"),
        (CHINESE.encode("gb18030"), "gb18030"),
        (CHINESE.encode("gbk"), "gb18030"),
        (b"name,phone\r\nacme,123\r\n", "utf-8-sig"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "ascii"],
)
def test_given_supported_encoding_when_opened_then_chinese_text_reads_back(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    header, rows, encoding = read_all(write(tmp_path, "c.csv", data))
    assert encoding == expected
    assert header[0] in ("客户名称", "name")
    assert rows[0].cells[0] in ("北京甲科技有限公司", "acme")
    assert not header[0].startswith("\ufeff")


def test_given_bom_when_opened_then_first_header_has_no_bom(tmp_path: Path) -> None:
    header, _, _ = read_all(write(tmp_path, "c.csv", b"\xef\xbb\xbfname,phone\r\n"))
    assert header == ("name", "phone")


def test_given_latin1_file_when_opened_then_refused_naming_line_and_what_to_do(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, "c.csv", "name,city\r\nacme,ok\r\nCafé Müller,Köln\r\n".encode("latin-1")
    )
    with pytest.raises(ImportSourceError) as caught:
        read_all(path)
    message = str(caught.value)
    assert "neither UTF-8" in message
    assert "line 3" in message
    assert "GB18030" in message
    assert "--encoding" in message


def test_given_latin1_file_and_explicit_encoding_when_opened_then_read(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name\r\nCafé Müller\r\n".encode("latin-1"))
    _, rows, encoding = read_all(path, encoding="latin-1")
    assert rows[0].cells == ("Café Müller",)
    assert encoding == "iso8859-1"


def test_given_explicit_encoding_that_does_not_fit_when_opened_then_refused(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "c.csv", CHINESE.encode("gb18030"))
    with pytest.raises(ImportSourceError, match="not readable as utf-8"):
        read_all(path, encoding="utf-8")


def test_given_unknown_encoding_name_when_opened_then_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", b"name\r\nx\r\n")
    with pytest.raises(ImportSourceError, match="unknown encoding 'klingon'"):
        read_all(path, encoding="klingon")


def test_given_utf16_file_when_opened_then_refused_with_advice(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name\tphone\r\n".encode("utf-16"))
    with pytest.raises(ImportSourceError, match=r"UTF-16.*CSV UTF-8"):
        read_all(path)


def test_given_bad_byte_far_down_when_checked_then_refused_before_reading_rows(
    tmp_path: Path,
) -> None:
    lines = b"".join(f"row{i},1\r\n".encode() for i in range(50_000))
    path = write(tmp_path, "c.csv", b"name,phone\r\n" + lines + b"\xff\xfe bad\r\n")
    with pytest.raises(ImportSourceError, match="line 50002"):
        check_encoding(path)


# --- rows ----------------------------------------------------------------------------------------


def test_given_quoted_newlines_and_commas_when_read_then_one_row_each_with_start_line(
    tmp_path: Path,
) -> None:
    data = 'name,notes\r\n"ACME, Inc.","line one\r\nline two"\r\nBeta,"x\ny\nz"\r\nGamma,plain\r\n'
    _, rows, _ = read_all(write(tmp_path, "c.csv", data.encode()))
    assert [(r.number, r.line) for r in rows] == [(2, 2), (3, 4), (4, 7)]
    assert rows[0].cells == ("ACME, Inc.", "line one\r\nline two")
    assert rows[1].cells == ("Beta", "x\ny\nz")


def test_given_blank_lines_when_read_then_each_is_a_row(tmp_path: Path) -> None:
    _, rows, _ = read_all(write(tmp_path, "c.csv", b"name\r\na\r\n\r\n,\r\nb\r\n"))
    assert [(r.number, r.cells) for r in rows] == [(2, ("a",)), (3, ()), (4, ("", "")), (5, ("b",))]


def test_given_unterminated_quote_when_read_then_one_row_carries_the_error(
    tmp_path: Path,
) -> None:
    data = b'name,phone\r\nok,1\r\n"broken,2\r\nlost,3\r\n'
    _, rows, _ = read_all(write(tmp_path, "c.csv", data))
    assert rows[0].cells == ("ok", "1")
    assert rows[1].number == 3
    assert rows[1].error is not None
    assert "malformed CSV from line 3" in rows[1].error


def test_given_stray_quote_after_field_when_read_then_that_row_errors_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    data = b'name,phone\r\n"a"b,1\r\nnext,2\r\n'
    _, rows, _ = read_all(write(tmp_path, "c.csv", data))
    assert rows[0].error is not None
    assert rows[1] == SourceRow(3, 3, ("next", "2"))


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_given_other_delimiter_when_read_then_sniffed_from_header(
    tmp_path: Path, delimiter: str
) -> None:
    data = f"name{delimiter}phone\r\nacme, inc{delimiter}123\r\n".encode()
    header, rows, _ = read_all(write(tmp_path, "c.txt", data))
    assert header == ("name", "phone")
    assert rows[0].cells == ("acme, inc", "123")


def test_given_header_with_spaces_when_read_then_trimmed(tmp_path: Path) -> None:
    header, _, _ = read_all(write(tmp_path, "c.csv", b" name , phone \r\n"))
    assert header == ("name", "phone")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "first row is empty"), (b"\r\nname\r\n", "first row is empty")],
)
def test_given_no_header_when_opened_then_refused(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(ImportSourceError, match=message):
        read_all(write(tmp_path, "c.csv", data))


def test_given_missing_file_when_opened_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="no such file"):
        read_all(tmp_path / "nope.csv")


def test_given_old_xls_when_opened_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match=r"\.xls workbooks are not read"):
        read_all(write(tmp_path, "c.xls", b"\xd0\xcf\x11\xe0"))


def test_given_csv_named_xlsx_when_opened_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="not an XLSX workbook"):
        read_all(write(tmp_path, "c.xlsx", b"name\r\n"))


def test_given_sheet_option_on_csv_when_opened_then_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="--sheet applies to XLSX"):
        read_all(write(tmp_path, "c.csv", b"name\r\n"), sheet="x")


def test_when_reading_then_progress_reaches_one(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", b"name\r\n" + b"x\r\n" * 1000)
    with open_source(path) as source:
        assert sum(1 for _ in source.rows) == 1000
        assert source.progress() == 1.0


# --- XLSX ----------------------------------------------------------------------------------------


def workbook(tmp_path: Path) -> Path:
    book = Workbook()
    first = book.active
    first.title = "客户"
    first.append(["客户名称", "电话", "VIP", "加入"])
    first.append(["甲公司", 13800138000, 3.0, datetime(2024, 5, 1, 9, 30)])
    first["A5"] = "乙公司"  # rows 3 and 4 left empty
    first["B5"] = "010-12345678"
    second = book.create_sheet("Other")
    second.append(["name"])
    second.append(["from the second sheet"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


def test_given_xlsx_when_read_then_numbers_are_text_and_empty_rows_keep_numbering(
    tmp_path: Path,
) -> None:
    header, rows, encoding = read_all(workbook(tmp_path))
    assert encoding is None
    assert header == ("客户名称", "电话", "VIP", "加入")
    assert rows[0] == SourceRow(2, 2, ("甲公司", "13800138000", "3", "2024-05-01 09:30:00"))
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert not any(rows[1].cells)
    assert not any(rows[2].cells)
    assert rows[3].cells[:2] == ("乙公司", "010-12345678")


def test_given_sheet_name_when_read_then_that_sheet(tmp_path: Path) -> None:
    header, rows, _ = read_all(workbook(tmp_path), sheet="Other")
    assert header == ("name",)
    assert rows[0].cells == ("from the second sheet",)


def test_given_unknown_sheet_when_opened_then_refused_listing_sheets(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="no sheet named 'Nope' \\(sheets: 客户, Other\\)"):
        read_all(workbook(tmp_path), sheet="Nope")


def test_given_xlsx_without_extension_when_opened_then_recognised(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    renamed = path.rename(tmp_path / "upload.bin")
    header, _, _ = read_all(renamed)
    assert header[0] == "客户名称"


def test_given_damaged_xlsx_when_opened_then_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportSourceError, match="cannot read the workbook"):
        read_all(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (True, "TRUE"), (12.0, "12"), (12.5, "12.5"), (8613800138000, "8613800138000")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text
