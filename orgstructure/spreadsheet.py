"""CSV that is safe to open in a spreadsheet: the one writer every CSV export of the app uses.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is a
formula to Excel and LibreOffice ("CSV injection"): opening the file could run it. Such a text
cell gets a leading ``'``, as OWASP recommends, so it shows as the text it is. Numbers are left
as they are. Scripts that need the raw text read the JSON (e.g. ``/api/v1/org-chart/``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value: Any) -> Any:
    """``value``, with a leading ``'`` if it is a text a spreadsheet would take as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetSafeWriter:
    """``csv.writer`` whose every cell goes through ``spreadsheet_cell``."""

    def __init__(self, out: TextIO, **kwargs: Any):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **kwargs: Any) -> SpreadsheetSafeWriter:
    return SpreadsheetSafeWriter(out, **kwargs)
