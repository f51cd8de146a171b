"""What mypy infers for `vt_refs.export` and `vt_refs.watch` (checked, never run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_type

import pandas
import pymisp

import vt_refs
from vt_refs.export import to_csv, to_dataframe, to_jsonl, to_misp, write_misp, write_stix
from vt_refs_api import AuthenticatedClient
from vt_refs_api.models import Reference


def exports(client: AuthenticatedClient) -> None:
    results = list(vt_refs.enrich(client, ["evil.example"]))
    assert_type(to_jsonl(results), Iterator[str])
    assert_type(to_csv(results, header=False), Iterator[str])
    assert_type(to_misp(results), pymisp.MISPEvent)
    assert_type(to_dataframe(results), pandas.DataFrame)
    assert_type(write_stix(results, "case.stix.json"), int)
    assert_type(write_misp(results, "case.misp.json"), int)
    to_csv(results, header="yes")  # type: ignore[arg-type]


def watching(client: AuthenticatedClient) -> None:
    found = vt_refs.watch(client, ["evil.example"], state="case.sqlite", baseline=True)
    assert_type(found, Iterator[vt_refs.IOCResult[Reference]])
    for result in found:
        for reference in result.references:
            assert_type(reference, Reference)
    vt_refs.watch(client, ["evil.example"])  # type: ignore[call-arg]
