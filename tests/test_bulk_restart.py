"""`enrich(restart=True)`: the argument the checkpoint's messages name exists, and an
input that grew since the checkpoint is resumed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import vt_refs
from vt_refs.testing import FakeVirusTotal


def sha(i: int) -> str:
    return hashlib.sha256(f"bulk-restart-{i}".encode()).hexdigest()


def test_restart_empties_a_checkpoint_of_another_run(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.sqlite"
    with (
        FakeVirusTotal(default_count=1) as fake,
        vt_refs.connect(fake.api_key, base_url=fake.base_url) as client,
    ):
        assert len(list(vt_refs.enrich(client, [sha(1)], checkpoint=checkpoint))) == 1
        with pytest.raises(vt_refs.UsageError, match=r"restart=True") as caught:
            list(vt_refs.enrich(client, [sha(1)], checkpoint=checkpoint, descriptors=True))
        assert "--restart" in str(caught.value)
        again = list(vt_refs.enrich(client, [sha(1)], checkpoint=checkpoint,
                                    descriptors=True, restart=True))  # fmt: skip
        assert [r.status for r in again] == ["ok"]
        with pytest.raises(vt_refs.UsageError, match=r"restart=True"):
            list(vt_refs.enrich(client, [sha(2)], checkpoint=checkpoint, descriptors=True))


async def _aenrich(client: object, checkpoint: Path) -> list[vt_refs.IOCResult]:
    return [r async for r in vt_refs.aenrich(client, [sha(3)], checkpoint=checkpoint,  # type: ignore[arg-type]
                                             restart=True)]  # fmt: skip


def test_aenrich_takes_restart_too(tmp_path: Path) -> None:
    import asyncio

    checkpoint = tmp_path / "run.sqlite"
    with FakeVirusTotal(default_count=1) as fake:
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            list(vt_refs.enrich(client, [sha(1)], checkpoint=checkpoint, max_items_per_ioc=1))

        async def run() -> list[vt_refs.IOCResult]:
            async with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
                return await _aenrich(client, checkpoint)

        assert [r.status for r in asyncio.run(run())] == ["ok"]


def test_an_input_that_grew_is_resumed(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.sqlite"
    with (
        FakeVirusTotal(default_count=1) as fake,
        vt_refs.connect(fake.api_key, base_url=fake.base_url) as client,
    ):
        first = list(vt_refs.enrich(client, [sha(i) for i in range(3)], checkpoint=checkpoint))
        fake.clear_requests()
        grown = list(vt_refs.enrich(client, [sha(i) for i in range(5)], checkpoint=checkpoint))
    assert len(first) == 3 and sorted(r.index for r in grown) == [3, 4]
    assert len(fake.requests) == 2
