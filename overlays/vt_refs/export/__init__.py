"""Exports: references into the tools analysts use, from the library and the CLI alike.

Each function takes an iterable of `vt_refs.IOCResult`s (what `vt_refs.enrich` yields),
or of Report views (a reference or a Google Threat Intelligence report on its own, with
no indicator: STIX then names the malware families it relates through):

- `to_jsonl` and `to_csv`: the formats of `vt-refs bulk`, as strings, lazily (streaming);
- `to_stix`: a STIX 2.1 bundle (`stix2.Bundle`), and `write_stix` to write one of any
  size with bounded memory;
- `to_misp`: a MISP event (`pymisp.MISPEvent`), and `write_misp` to write it as MISP
  imports it;
- `to_dataframe`: a pandas DataFrame, one row per (indicator, reference).

The same input always gives the same output, byte for byte: ids are derived from the
content, objects are sorted, and nothing reads the clock. stix2, pymisp and pandas are
optional (`pip install 'vt-refs[stix]'`, `[misp]`, `[pandas]`): each loads only when its
function is called, and a missing one is a `vt_refs.UsageError` naming the extra.
"""

from __future__ import annotations

from ._frame import to_dataframe
from ._lines import CSV_COLUMNS, to_csv, to_jsonl
from ._misp import to_misp, write_misp
from ._stix import to_stix, write_stix

__all__ = [
    "CSV_COLUMNS",
    "to_csv",
    "to_dataframe",
    "to_jsonl",
    "to_misp",
    "to_stix",
    "write_misp",
    "write_stix",
]
