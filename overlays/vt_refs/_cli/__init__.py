"""The pieces of the `vt-refs` command; `vt_refs.cli` is its entry point.

Each module does one job (arguments, operations, the page walk, output, progress, errors,
interrupts). Only the command modules (`run`, `bulk`) import httpx and the generated
client, and only once the arguments are parsed, so `vt-refs --help` does not pay for them.
"""

from __future__ import annotations

from .entry import main

__all__ = ["main"]
