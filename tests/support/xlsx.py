"""Read the cells of an XLSX file's first sheet with the standard library (zip + XML), so the
tests check what XlsxWriter wrote without a second spreadsheet library."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters is not None
    number = 0
    for letter in letters.group(0):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def sheet_rows(content: bytes) -> list[list[str | None]]:
    """Every row of the first worksheet as text (numbers as written), missing cells as None."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        names = book.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")) for item in root.findall("m:si", NS)]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str | None]] = []
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        values: dict[int, str | None] = {}
        for cell in row.findall("m:c", NS):
            kind, value = cell.get("t"), cell.find("m:v", NS)
            if kind == "s" and value is not None:
                values[_column(cell.get("r", "A"))] = shared[int(value.text or "0")]
            elif kind == "inlineStr":
                values[_column(cell.get("r", "A"))] = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            else:
                values[_column(cell.get("r", "A"))] = value.text if value is not None else None
        width = max(values) + 1 if values else 0
        rows.append([values.get(index) for index in range(width)])
    return rows
