"""The catalog of relationship operations, discovered from the generated package.

Every module of `vt_refs_api.api` whose `sync_detailed` takes `cursor` and `limit`, whose
path is `/{collection}/{id}/{relationship}` (full objects) or
`/{collection}/{id}/relationships/{relationship}` (descriptors), needing no parameter but
the id, and whose page holds its items in `data` is one `Entry`: its
collection, relationship, page and item models, default and maximum page size. The CLI,
bulk, `related_references`, the fake's routes and the docs all read this one table, so a
relationship added to openapi.yaml is served everywhere after `make generate`, with no
line of `vt_refs` changed.

What is read from where: the path from the module's own request builder (`_get_kwargs`,
the only place the generator keeps it), the models from its type hints, the maximum page
size from openapi.yaml (`vt_refs._spec`: the generator drops `maximum`). Built once, on
first use; the table is immutable.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator, Mapping
from types import MappingProxyType, ModuleType
from typing import Final

import attrs

from vt_refs_api.models import ErrorResponse

from .._errors import UsageError
from .._parsing import model_hints
from .._spec import DEFAULT_RELATIONSHIP, query_maximum

API_PACKAGE: Final = "vt_refs_api.api"
"""Where the generated operations live."""

_SENTINEL: Final = "VTREFSPATHPARAMETER"  # quoted unchanged, found again in the URL


def page_model(operation: ModuleType) -> tuple[type, int]:
    """The model a 2xx answer of `operation` parses into, and its default `limit`.

    Raises `UsageError` for a module that is no paging operation (the helpers accept
    any module, so this is also their check).
    """
    return _page_model(operation)


@functools.cache
def _page_model(operation: ModuleType) -> tuple[type, int]:
    for name in ("sync", "_get_kwargs"):
        if not callable(getattr(operation, name, None)):
            raise UsageError(f"{operation!r} is not a generated endpoint module")
    try:
        params = inspect.signature(operation._get_kwargs).parameters
        returned = typing.get_type_hints(operation.sync).get("return")
    except Exception as error:  # no signature, hints naming what does not exist, ...
        raise UsageError(f"{operation!r} is not a generated endpoint module: {error}") from None
    if "cursor" not in params or "limit" not in params:
        raise UsageError(f"{operation.__name__} does not page: it takes no cursor and limit")
    default_limit = params["limit"].default
    models = [
        tp
        for tp in typing.get_args(returned)
        if isinstance(tp, type) and hasattr(tp, "from_dict") and not issubclass(tp, ErrorResponse)
    ]
    if len(models) != 1:
        raise UsageError(f"{operation.__name__}: cannot tell its page model from {returned}")
    return models[0], default_limit if isinstance(default_limit, int) else 10


@attrs.frozen
class Entry:
    """One paging operation of the catalog.

    `name` is the module's name (the spec's operationId), `path` its path template as the
    spec spells it, `descriptors` whether it lists descriptors (the `relationships/`
    twin) rather than full objects, `item_model` the type of its pages' `data` items.
    `max_limit` is the largest `limit` the spec allows (None: none declared).
    """

    module: ModuleType = attrs.field(repr=False)
    name: str
    path: str
    collection: str
    relationship: str
    descriptors: bool
    page_model: type
    item_model: type
    default_limit: int
    max_limit: int | None

    def check_page_size(self, page_size: int | None) -> None:
        """Raise `UsageError` for a `page_size` over what the API serves per page."""
        if self.max_limit is not None and isinstance(page_size, int) and page_size > self.max_limit:
            raise UsageError(
                f"page_size={page_size} is over the {self.max_limit} objects {self.name} "
                "serves per page (the maximum of `limit` in openapi.yaml)"
            )


def _item_model(page: type) -> type:
    """The `X` of the page's `data: list[X]`."""
    data = model_hints(page).get("data")
    (item,) = typing.get_args(data) if typing.get_origin(data) is list else (None,)
    if not isinstance(item, type):
        raise TypeError(f"{page.__qualname__}.data is not a list of models: {data!r}")
    return item


def _entry(module: ModuleType) -> Entry | None:
    """The module's entry, or None when it is no relationship operation that pages."""
    detailed = getattr(module, "sync_detailed", None)
    builder = getattr(module, "_get_kwargs", None)
    if not callable(detailed) or not callable(builder):
        return None
    if not {"cursor", "limit"} <= set(inspect.signature(detailed).parameters):
        return None
    parameters = inspect.signature(builder).parameters.values()
    positional = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    if len(positional) != 1 or required:  # a relationship is named by one object's id alone
        return None
    request = builder(_SENTINEL)
    path = str(request["url"]).replace(_SENTINEL, "{" + positional[0] + "}")
    parts = path.strip("/").split("/")
    if parts[1:2] != ["{" + positional[0] + "}"] or len(parts) not in (3, 4):
        return None
    descriptors = len(parts) == 4
    if descriptors and parts[2] != "relationships":
        return None
    try:
        model, default_limit = page_model(module)
        item_model = _item_model(model)
    except (UsageError, TypeError, NameError):  # no one page model with `data`: no walk
        return None
    return Entry(
        module=module,
        name=module.__name__.rpartition(".")[2],
        path=path,
        collection=parts[0],
        relationship=parts[-1],
        descriptors=descriptors,
        page_model=model,
        item_model=item_model,
        default_limit=default_limit,
        max_limit=query_maximum(path, str(request["method"]), "limit"),
    )


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    """Every module of the generated `api` package: one package per tag, one module each."""
    for tag in pkgutil.iter_modules(package.__path__):
        if tag.ispkg:
            sub = importlib.import_module(f"{package.__name__}.{tag.name}")
            for found in pkgutil.iter_modules(sub.__path__):
                yield importlib.import_module(f"{sub.__name__}.{found.name}")


@attrs.frozen
class Catalog:
    """Every relationship operation, ordered by collection, relationship, descriptors."""

    entries: tuple[Entry, ...]
    _index: Mapping[tuple[str, str, bool], Entry] = attrs.field(init=False, repr=False)
    _modules: Mapping[ModuleType, Entry] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        index = {(e.collection, e.relationship, e.descriptors): e for e in self.entries}
        object.__setattr__(self, "_index", MappingProxyType(index))
        modules = {e.module: e for e in self.entries}
        object.__setattr__(self, "_modules", MappingProxyType(modules))

    @property
    def collections(self) -> tuple[str, ...]:
        """The collections with at least one relationship, sorted."""
        return tuple(sorted({e.collection for e in self.entries}))

    def relationships(self, collection: str | None = None) -> tuple[str, ...]:
        """The relationships of `collection` (of any collection when None), sorted."""
        found = {e.relationship for e in self.entries if collection in (None, e.collection)}
        return tuple(sorted(found))

    def find(
        self,
        collection: str,
        relationship: str = DEFAULT_RELATIONSHIP,
        *,
        descriptors: bool = False,
        page_size: int | None = None,
    ) -> Entry:
        """The operation listing `collection`'s `relationship` (or its descriptors).

        Raises `UsageError` naming what exists when there is no such operation, and for a
        `page_size` over the operation's maximum (`Entry.check_page_size`).
        """
        entry = self._index.get((collection, relationship, bool(descriptors)))
        if entry is None:
            raise UsageError(self._missing(collection, relationship, descriptors))
        entry.check_page_size(page_size)
        return entry

    def _missing(self, collection: object, relationship: object, descriptors: object) -> str:
        if collection not in self.collections:
            return f"no collection {collection!r}; there are {', '.join(self.collections)}"
        known = self.relationships(str(collection))
        if relationship not in known:
            return f"{collection} has no relationship {relationship!r}; it has {', '.join(known)}"
        variant = "descriptors" if descriptors else "full objects"
        return f"{collection} {relationship} has no operation listing {variant}"

    def of(self, operation: object) -> Entry | None:
        """The entry of a generated module, or None when the catalog does not hold it."""
        return self._modules.get(operation) if isinstance(operation, ModuleType) else None


@functools.cache
def get_catalog() -> Catalog:
    """The catalog of the installed generated package, built on first use."""
    package = importlib.import_module(API_PACKAGE)
    entries = (entry for module in _modules(package) if (entry := _entry(module)) is not None)
    return Catalog(tuple(sorted(entries, key=lambda e: (e.collection, e.relationship,
                                                       e.descriptors))))  # fmt: skip
