"""The optional libraries of the exports, loaded when a format needs them.

stix2, pymisp and pandas are extras of the package (`vt-refs[stix]`, `[misp]`,
`[pandas]`): `import vt_refs.export` costs none of them, and a format whose library is
missing says which extra brings it, as a `UsageError`, rather than an ImportError from
deep inside.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

from .._errors import UsageError

EXTRAS: Final = {"stix2": "stix", "pymisp": "misp", "pandas": "pandas"}


def require(module: str, format: str) -> ModuleType:
    """`module`, imported; a `UsageError` naming its extra when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        extra = EXTRAS[module.partition(".")[0]]
        raise UsageError(
            f"{format} needs {module.partition('.')[0]}, which is not installed "
            f"({error}): pip install 'vt-refs[{extra}]'"
        ) from None
