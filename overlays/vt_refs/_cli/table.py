"""`--format table`: aligned columns for people, laid out without holding every row.

Column widths come from the header and the first page, capped, so later pages keep the
same layout and memory stays one page. Cells are made safe for a terminal first: text
from the API may hold newlines, escape sequences or bidi controls, which would break the
table or let a report's title move the cursor or recolour the screen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from vt_refs_api.types import Unset

from .._formats import utc_text

_GAP: Final = "  "
_ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, and the widest it may grow (None: the last, never cut)."""

    name: str
    cap: int | None


def clean(text: str) -> str:
    """`text` on one line with no control or format characters."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif category != "Cf":
            out.append(char)
    return "".join(out)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def width(text: str) -> int:
    """How many terminal cells `text` takes (wide CJK characters take two)."""
    return sum(_char_width(char) for char in text)


def fit(text: str, cells: int) -> str:
    """`text` cut to at most `cells` terminal cells, with an ellipsis when cut."""
    if width(text) <= cells:
        return text
    out, used = [], 0
    for char in text:
        char_cells = _char_width(char)
        if used + char_cells > cells - 1:
            break
        out.append(char)
        used += char_cells
    return "".join(out) + _ELLIPSIS


def utc_date(timestamp: object) -> str:
    """An epoch-seconds timestamp as a UTC `YYYY-MM-DD`; anything else as it came."""
    return utc_text(timestamp, date_only=True)


def _column_width(column: Column, cells: Sequence[str]) -> int:
    widest = max(width(cell) for cell in cells)
    return widest if column.cap is None else min(widest, column.cap)


class Table:
    """Formats rows of cells into aligned lines; the first call fixes the widths."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self._columns = tuple(columns)
        self._widths: list[int] | None = None

    def lines(self, rows: Sequence[Sequence[str]]) -> list[str]:
        """The lines for `rows`, preceded by the header on the first call."""
        cleaned = [[clean(cell) for cell in row] for row in rows]
        out = []
        if self._widths is None:
            header = [column.name for column in self._columns]
            columns = zip(header, *cleaned, strict=True)
            self._widths = [
                _column_width(column, cells)
                for column, cells in zip(self._columns, columns, strict=True)
            ]
            out.append(self._line(header))
        out.extend(self._line(row) for row in cleaned)
        return out

    def _line(self, cells: Sequence[str]) -> str:
        assert self._widths is not None
        parts = []
        last = len(cells) - 1
        for index, (cell, cells_wide) in enumerate(zip(cells, self._widths, strict=True)):
            if index == last:
                parts.append(cell)
            else:
                text = fit(cell, cells_wide)
                parts.append(text + " " * (cells_wide - width(text)))
        return _GAP.join(parts).rstrip()


def _get(obj: object, name: str) -> Any:
    """An optional attribute of a generated model: None when unset."""
    value = getattr(obj, name, None)
    return None if isinstance(value, Unset) else value


def reference_row(item: object) -> list[str]:
    """title, author, date, url of a `Reference`."""
    attributes = _get(item, "attributes")
    return [
        str(_get(attributes, "title") or ""),
        str(_get(attributes, "author") or ""),
        utc_date(_get(attributes, "creation_date")),
        str(_get(attributes, "url") or ""),
    ]


def descriptor_row(item: object) -> list[str]:
    """type, id and the names (or ids) of the related_from objects of a descriptor."""
    context = _get(item, "context_attributes")
    names = []
    for related in _get(context, "related_from") or ():
        name = _get(_get(related, "attributes"), "name")
        names.append(str(name) if name else str(related.id))
    return [str(_get(item, "type_") or ""), str(_get(item, "id") or ""), ", ".join(names)]


REFERENCE_COLUMNS: Final = (
    Column("title", 80),
    Column("author", 30),
    Column("date", 20),
    Column("url", None),
)
DESCRIPTOR_COLUMNS: Final = (
    Column("type", 12),
    Column("id", 64),
    Column("related_from", None),
)

RowFunction = Callable[[object], list[str]]
