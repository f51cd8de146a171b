"""What mypy infers for the paging helpers, with no cast and no annotation by the caller.

Type-checked by `mypy --strict` in `make lint` (and by tests/test_typing.py), never run: the
calls sit in functions that nothing calls. `assert_type` fails the check when the inferred
type is anything else, `Any` included. A `# type: ignore[code]` line must stay an error:
under `--strict` (warn_unused_ignores) an ignore that no longer silences one fails too.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, TypeVar, assert_type

import vt_refs
import vt_refs_api.models
from vt_refs_api import AuthenticatedClient
from vt_refs_api.api.domains import get_domain_related_references_descriptors
from vt_refs_api.api.files import get_file_related_references
from vt_refs_api.api.threat_actors import get_threat_actor_related_references
from vt_refs_api.api.urls import get_url_related_references, get_url_related_references_descriptors
from vt_refs_api.models import (
    DescriptorCollection,
    ObjectDescriptor,
    Reference,
    ReferenceCollection,
)

T = TypeVar("T")


def items(client: AuthenticatedClient) -> None:
    refs = vt_refs.paginate(get_url_related_references, client, id="x", max_items=5)
    assert_type(refs, Iterator[Reference])
    for ref in refs:
        assert_type(ref, Reference)
    descriptors = vt_refs.paginate(get_url_related_references_descriptors, client, id="x")
    assert_type(descriptors, Iterator[ObjectDescriptor])
    assert_type(vt_refs.paginate(get_file_related_references, client, id="x"), Iterator[Reference])
    assert_type(
        vt_refs.paginate(get_domain_related_references_descriptors, client, id="example.com"),
        Iterator[ObjectDescriptor],
    )
    assert_type(
        vt_refs.paginate(get_threat_actor_related_references, client, id="x", page_size=40),
        Iterator[Reference],
    )
    assert_type(vt_refs.related_references(client, "https://example.com/"), Iterator[Reference])
    assert_type(vt_refs.related_references(client, id="a" * 64), Iterator[Reference])


def pages(client: AuthenticatedClient) -> None:
    pages = vt_refs.iter_pages(get_url_related_references, client, id="x", page_size=40)
    assert_type(pages, Iterator[ReferenceCollection])
    for page in pages:
        assert_type(page.data, list[Reference])
        assert_type(page, ReferenceCollection)
    assert_type(
        vt_refs.iter_pages(get_url_related_references_descriptors, client, id="x", cursor="c"),
        Iterator[DescriptorCollection],
    )


async def twins(client: AuthenticatedClient) -> None:
    refs = vt_refs.apaginate(get_url_related_references, client, id="x")
    assert_type(refs, AsyncIterator[Reference])
    async for ref in refs:
        assert_type(ref, Reference)
    assert_type(
        vt_refs.apaginate(get_url_related_references_descriptors, client, id="x"),
        AsyncIterator[ObjectDescriptor],
    )
    async for page in vt_refs.aiter_pages(get_url_related_references, client, id="x"):
        assert_type(page, ReferenceCollection)
    assert_type(
        vt_refs.aiter_pages(get_url_related_references_descriptors, client, id="x"),
        AsyncIterator[DescriptorCollection],
    )
    assert_type(
        vt_refs.arelated_references(client, "https://example.com/"), AsyncIterator[Reference]
    )


def first(
    operation: vt_refs.PagingOperation[vt_refs.Page[T]], client: AuthenticatedClient, **params: Any
) -> T | None:
    """A user's own helper, generic over operations as the library's are."""
    return next(vt_refs.paginate(operation, client, max_items=1, **params), None)


def a_users_generic_helper(client: AuthenticatedClient) -> None:
    assert_type(first(get_url_related_references, client, id="x"), Reference | None)
    assert_type(
        first(get_url_related_references_descriptors, client, id="x"), ObjectDescriptor | None
    )


def modules_typed_as_modules(client: AuthenticatedClient, kind: str) -> None:
    # A module chosen at run time has no static type beyond ModuleType: it is accepted, and
    # what it yields is Any, as before the helpers were generic.
    operation = importlib.import_module(f"vt_refs_api.api.{kind}.get_{kind}_related_references")
    assert_type(operation, ModuleType)
    assert_type(vt_refs.paginate(operation, client, id="x"), Iterator[Any])
    assert_type(vt_refs.iter_pages(operation, client, id="x"), Iterator[Any])


def what_does_not_type_check(client: AuthenticatedClient) -> None:
    for descriptor in vt_refs.paginate(get_url_related_references_descriptors, client, id="x"):
        print(descriptor.attributes)  # type: ignore[attr-defined]  # a descriptor has none
    for page in vt_refs.iter_pages(get_url_related_references, client, id="x"):
        wrong: list[ObjectDescriptor] = page.data  # type: ignore[assignment]
        del wrong
    # A module that is no paging operation (it has no `sync`), when mypy can see it.
    vt_refs.paginate(vt_refs_api.models, client)  # type: ignore[arg-type]
