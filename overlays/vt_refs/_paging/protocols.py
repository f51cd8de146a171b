"""What the paging helpers accept, as types: a paging operation and the page it returns.

The helpers take the generated endpoint modules themselves
(`vt_refs_api.api.urls.get_url_related_references`, ...). A type checker matches a module
against a `Protocol` structurally, by its functions, so describing an operation by the
return type of its `sync` lets mypy read the page model, and from the page's `data` the
item model, off any generated operation: one added to the spec later is typed with no line
changed here, and no per-operation overload list exists to fall behind. Nothing here runs
per item: these are annotations only (`Walk` checks the module at run time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from vt_refs_api.models import ErrorResponse

ItemT_co = TypeVar("ItemT_co", covariant=True)
PageT_co = TypeVar("PageT_co", covariant=True)


class Page(Protocol[ItemT_co]):
    """A page of a paging operation, as the helpers see it: its items are its `data`.

    `vt_refs_api.models.ReferenceCollection` is a `Page[Reference]` and
    `vt_refs_api.models.DescriptorCollection` a `Page[ObjectDescriptor]`. Use it to write
    your own helper generic over operations, as `paginate` is:
    `def first(op: PagingOperation[Page[T]], ...) -> T | None`.
    """

    @property
    def data(self) -> Sequence[ItemT_co]:
        """The items of this page, in the API's order."""
        ...


class PagingOperation(Protocol[PageT_co]):
    """A generated endpoint module (or anything with its `sync`) whose 2xx answer is a page.

    `vt_refs_api.api.urls.get_url_related_references` is a
    `PagingOperation[ReferenceCollection]`: mypy matches the module by the return type of
    its `sync` function, `ErrorResponse | ReferenceCollection | None`. At run time the
    helpers also need the module's `_get_kwargs` taking `cursor` and `limit`, and raise
    `vt_refs.UsageError` for a module without them.
    """

    def sync(self, *args: Any, **kwargs: Any) -> PageT_co | ErrorResponse | None:
        """The generated operation's one-page call (the helpers never call it)."""
        ...


PageT = TypeVar("PageT", bound=Page[Any])
ItemT = TypeVar("ItemT")
