"""`to_dataframe`: results as a pandas DataFrame, for notebooks.

One row per (indicator, reference), and one row for an indicator with no reference
(its reference columns empty), so failures stay visible: filter on `status`. Columns
are typed: the dates are timezone-aware UTC datetimes (not epoch integers), text
columns pandas' string dtype, `tags` and `via` lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from .._bulk import IOCResult
from ._extras import require
from ._view import article, entries

if TYPE_CHECKING:
    import pandas

COLUMNS: Final = (
    "ioc", "kind", "value", "status", "error", "reference_id", "title", "author", "url",
    "description", "created", "modified", "tags", "via",
)  # fmt: skip
_DATES: Final = ("created", "modified")
_LISTS: Final = ("tags", "via")


def to_dataframe(results: Iterable[IOCResult]) -> pandas.DataFrame:
    """`results` as a `pandas.DataFrame` with the columns `ioc`, `kind`, `value`,
    `status`, `error`, `reference_id`, `title`, `author`, `url`, `description`,
    `created`, `modified` (UTC datetimes), `tags` and `via` (lists of str).

    Needs pandas (`pip install 'vt-refs[pandas]'`); without it, a `vt_refs.UsageError`
    naming the extra.
    """
    pd = require("pandas", "to_dataframe")
    rows: list[dict[str, Any]] = []
    for entry in entries(results):
        head = {"ioc": entry.text, "kind": entry.kind, "value": entry.value,
                "status": entry.status, "error": entry.error}  # fmt: skip
        for reference in entry.references:
            found = article(reference)
            rows.append({
                **head, "reference_id": found.id, "title": found.title, "author": found.author,
                "url": found.url, "description": found.description, "created": found.created,
                "modified": found.modified, "tags": list(found.tags), "via": list(found.via),
            })  # fmt: skip
        if not entry.references:
            rows.append({**head, "tags": [], "via": []})
    frame: pandas.DataFrame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    for name in COLUMNS:
        if name in _DATES:
            frame[name] = pd.to_datetime(frame[name], utc=True)
        elif name not in _LISTS:
            frame[name] = frame[name].astype("string")
    return frame
