"""The pieces of the `vt-refs` command; `vt_refs.cli` is its entry point.

Each module does one job (arguments, operations, the page walk, output, progress, errors,
interrupts). Only `_run` imports httpx and the generated client, and only once the
arguments are parsed, so `vt-refs --help` does not pay for them.
"""
