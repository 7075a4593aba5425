"""CSV that a spreadsheet opens as text, never as formulas (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io

#: a cell starting with one of these is a formula to Excel, LibreOffice and Sheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Neutralise a cell that a spreadsheet would run as a formula (OWASP's "CSV
    injection"): names come from organisers' rosters and may be anything, e.g.
    ``=HYPERLINK(...)``.  A leading single quote makes it text; the quote shows."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`csv_cell`."""

    def __init__(self, buf: io.StringIO) -> None:
        self._writer = csv.writer(buf, lineterminator="\n")

    def writerow(self, row: list[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])
