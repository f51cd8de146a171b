"""Honest counts (issue 18): what `enrich` / `aenrich` return has `.stats`, a `RunStats`
that keeps apart requests sent, answers from the cache, retries, 429s met and the time
waiting, duplicates skipped; `vt-refs bulk`'s summary says the same figures."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.cli import in_process
from support.fixtures import connected

SHAS = [hashlib.sha256(f"stats-{i}".encode()).hexdigest() for i in range(4)]
# Four indicators (95, 25, 25, 25 references: 3 + 1 + 1 + 1 pages), two repeats.
IOCS = [*SHAS, SHAS[0].upper(), f"file:{SHAS[1]}"]


def test_stats_separate_requests_cache_hits_and_duplicates(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    fake.set_count(SHAS[0], 95, collection="files")
    cache = f"sqlite:///{tmp_path / 'cache.db'}"
    with connected(fake, cache=cache) as client:
        first = vt_refs.enrich(client, IOCS, concurrency=2)
        assert first.stats.indicators == 0  # readable before, during and after the run
        results = list(first)
        sent = len(fake.requests)
        again = vt_refs.enrich(client, IOCS, concurrency=2)
        assert len(list(again)) == len(results) == 6
    assert sent == 6
    one = first.stats
    assert (one.indicators, one.ok, one.duplicates, one.references) == (6, 4, 2, 95 + 75)
    assert (one.requests, one.cache_hits, one.retries, one.rate_limited) == (6, 0, 0, 0)
    two = again.stats
    assert len(fake.requests) == sent  # the second run sent nothing
    assert (two.requests, two.cache_hits, two.duplicates) == (0, 6, 2)
    assert two.seconds >= 0 and two.quota_wait_seconds == 0


def test_stats_count_retries_and_429s_apart(fake: FakeVirusTotal) -> None:
    with connected(fake, max_retries=3, backoff_factor=0.01) as client:
        fake.fail_next(1, status=503, code="TransientError")
        fake.fail_next(1, status=429, code="QuotaExceededError")
        run = vt_refs.enrich(client, SHAS[:2], concurrency=1)
        assert [r.status for r in run] == ["ok", "ok"]
    stats = run.stats
    assert stats.requests == 4 == len(fake.requests)  # both failures were sent, and count
    assert (stats.retries, stats.rate_limited) == (1, 1)


def test_the_async_twin_has_the_same_stats(fake: FakeVirusTotal) -> None:
    async def run() -> vt_refs.RunStats:
        async with connected(fake) as client:
            results = vt_refs.aenrich(client, IOCS, concurrency=2)
            assert len([r async for r in results]) == 6
            return results.stats

    stats = asyncio.run(run())
    assert (stats.indicators, stats.duplicates, stats.requests, stats.cache_hits) == (6, 2, 4, 0)


def test_closing_the_results_ends_the_run(fake: FakeVirusTotal) -> None:
    with connected(fake) as client:
        results = vt_refs.enrich(client, SHAS, concurrency=1)
        next(results)
        results.close()
        assert list(results) == []
    assert results.stats.indicators == 1


def test_the_bulk_summary_says_each_figure(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = tmp_path / "iocs.txt"
    source.write_text("\n".join(IOCS) + "\n")
    cache = f"sqlite:///{tmp_path / 'cache.db'}"
    status, _, err = in_process("bulk", str(source), "--cache", cache, fake=fake)
    assert status == 0, err
    (line,) = [line for line in err.splitlines() if " indicators" in line]
    assert line.startswith("vt-refs: 6 indicators: 4 ok, 0 not_found, 0 invalid, 0 error, "
                           "2 duplicate; 4 requests sent (")  # fmt: skip
    assert line.endswith(
        "; 0 answers from the cache; 0 retries; 0 429s met, 0.0 s waiting for quota; "
        "2 duplicates skipped"
    )
    fake.clear_requests()
    status, _, err = in_process("bulk", str(source), "--cache", cache, fake=fake)
    assert status == 0 and fake.requests == []
    assert "; 0 requests sent (0/min) in " in err and "; 4 answers from the cache;" in err
