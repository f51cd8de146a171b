"""Every generated endpoint module, found by walking the generated package: an operation
added to openapi.yaml joins every test that loops over them, with no test edited."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

from vt_refs_api import api as generated_api


def operations() -> list[ModuleType]:
    """Every generated endpoint module: new ones in openapi.yaml join automatically."""
    found = []
    for tag in pkgutil.iter_modules(generated_api.__path__):
        package = importlib.import_module(f"{generated_api.__name__}.{tag.name}")
        for op in pkgutil.iter_modules(package.__path__):
            found.append(importlib.import_module(f"{package.__name__}.{op.name}"))
    return found


def paging_operations() -> list[ModuleType]:
    """The generated operations that page (take `cursor` and `limit`): what paginate walks.
    Other operations (one object, a user's quotas) are no pages, so not in these loops."""
    return [
        module
        for module in operations()
        if {"cursor", "limit"} <= set(inspect.signature(module.sync_detailed).parameters)
    ]
