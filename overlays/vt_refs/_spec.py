"""openapi.yaml itself, read at run time for the facts the generated code drops.

openapi-python-client keeps a parameter's type and default but not its `maximum`, so the
largest page an operation serves (`limit`'s `maximum`) is read from the spec, which ships
inside `vt_refs` as package data (`vt_refs/openapi.yaml`, the repository's openapi.yaml)
so an installed wheel reads the same document `make generate` read. Loaded once, on first
use (about 10 ms with libyaml), and only by what needs it: `vt_refs._paging.catalog`.
Importing this module costs nothing more than the standard library (yaml is imported on
first use), so the CLI's argument parser can read `DEFAULT_RELATIONSHIP` from here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

RESOURCE: Final = "openapi.yaml"
"""The spec's file name inside the `vt_refs` package."""

DEFAULT_RELATIONSHIP: Final = "related_references"
"""The relationship the spec was written for: what the shortcuts, the CLI and bulk walk
unless told another (`vt_refs._paging.catalog` lists every one the spec has)."""


@functools.cache
def spec() -> Mapping[str, Any]:
    """The packaged openapi.yaml, parsed (callers must not change it)."""
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there
    text = resources.files("vt_refs").joinpath(RESOURCE).read_text(encoding="utf-8")
    document = yaml.load(text, Loader=loader)  # a safe loader: plain data only
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise RuntimeError(f"vt_refs/{RESOURCE} is not an OpenAPI document with paths")
    return document


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node`, or what its local `$ref` (`#/components/...`) points at."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return node


def _maximum(document: Mapping[str, Any], parameter: Any) -> int | None:
    """The integer `maximum` of a parameter's schema, or None."""
    parameter = _resolve(document, parameter)
    if not isinstance(parameter, dict):
        return None
    schema = _resolve(document, parameter.get("schema"))
    maximum = schema.get("maximum") if isinstance(schema, dict) else None
    return maximum if isinstance(maximum, int) and not isinstance(maximum, bool) else None


def _named(document: Mapping[str, Any], parameter: Any, name: str) -> bool:
    parameter = _resolve(document, parameter)
    return (
        isinstance(parameter, dict)
        and parameter.get("name") == name
        and parameter.get("in") == "query"
    )


@functools.cache
def query_maximum(path: str, method: str, name: str) -> int | None:
    """The `maximum` the spec declares for query parameter `name` of `method` `path`.

    `path` is a path template as the spec spells it (`/urls/{id}/related_references`). An
    operation the packaged spec does not hold (a generated package newer than it) gets the
    maximum of the spec's shared parameter of that name in `components.parameters`, when
    those agree on one; None when nothing declares one.
    """
    document = spec()
    item = document["paths"].get(path)
    operation = item.get(method.lower()) if isinstance(item, dict) else None
    if isinstance(operation, dict):
        for parameter in operation.get("parameters", ()):
            if _named(document, parameter, name):
                return _maximum(document, parameter)
        return None
    shared = document.get("components", {}).get("parameters", {})
    maxima = {_maximum(document, p) for p in shared.values() if _named(document, p, name)}
    return maxima.pop() if len(maxima) == 1 else None
