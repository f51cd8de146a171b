"""What a bulk run yields: one `IOCResult` per indicator of the input."""

from __future__ import annotations

from typing import Any, Final, Generic, Literal

import attrs
from typing_extensions import TypeVar

from .._errors import VTError
from .ioc import IOC

Status = Literal["ok", "not_found", "invalid", "error", "duplicate"]
STATUSES: Final[tuple[Status, ...]] = ("ok", "not_found", "invalid", "error", "duplicate")
# The item model of the walked operation. Its default keeps a bare `IOCResult`, as
# annotations written before it was generic say, meaning what it did: `list[Any]`.
T = TypeVar("T", default=Any)


@attrs.frozen
class IOCResult(Generic[T]):
    """The outcome of one indicator; `T` is the item model of the operation walked:
    `enrich` gives `IOCResult[Reference]`, and `IOCResult[ObjectDescriptor]` with
    `descriptors=True`.

    - `index`: its position in the input (0 for the first item the iterable gave).
    - `ioc`: the `IOC` it classified as, or the raw text when it did not classify.
    - `status`: `"ok"`; `"not_found"` (the API knows no such object); `"invalid"` (it did
      not classify, or the API refused the id as malformed); `"error"` (anything else
      that outlasted the retries: a malformed page, a 5xx, the network); `"duplicate"`
      (an earlier item is the same indicator, however spelt: nothing was fetched for
      this one, `duplicate_of` is that item's `index`, `references` is empty).
    - `references`: the generated models, every one or the first `max_items_per_ioc`;
      for `"error"`, those fetched before the failure.
    - `count`: the API's `meta.count` (how many it holds in all), when it sent one.
    - `error`: the `VTError` behind `"invalid"` and `"error"`, else None.
    - `text`: the input item as given, trimmed (what a report or a join keys on).
    - `duplicate_of`: for `"duplicate"`, the `index` of the first item with the same
      indicator (handed over before this one); else None.
    - `relationship`: the relationship walked for it, when it was walked
      (`relationship="auto"` may have moved from `related_references` to `related_reports`).
    """

    index: int
    ioc: IOC | str
    status: Status
    references: list[T] = attrs.field(factory=list)
    count: int | None = None
    error: VTError | None = None
    text: str = ""
    duplicate_of: int | None = None
    relationship: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run did what it could for this indicator (ok, not found, or a
        duplicate of another item)."""
        return self.status in ("ok", "not_found", "duplicate")
