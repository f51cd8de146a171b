"""`vt_refs.enrich` / `aenrich` against FakeVirusTotal: statuses, fatal errors, the
concurrency bound, running inside an event loop, and the checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs import IOCResult, UsageError
from vt_refs._bulk import is_fatal
from vt_refs._paging import DEFAULT_RELATIONSHIP, get_catalog
from vt_refs.testing import FakeVirusTotal

from support.fixtures import connected as client
from support.keys import KEY, WRONG_KEY


def sha(i: int) -> str:
    return hashlib.sha256(f"file-{i}".encode()).hexdigest()


def by_index(results: list[IOCResult]) -> list[IOCResult]:
    return sorted(results, key=lambda r: r.index)


def test_every_status_in_one_run(fake: FakeVirusTotal) -> None:
    fake.set_count(sha(1), 23, collection="files")
    fake.remove_object(sha(2), collection="files")
    iocs = [sha(1), f"file:{sha(2)}", "not an indicator", "threat_actor:apt-x", sha(3)]
    with client(fake) as c:
        fake.malform_next(1)  # served to the first request: the walk of sha(1)
        results = by_index(list(vt_refs.enrich(c, iocs, concurrency=1, page_size=10)))
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert [r.status for r in results] == ["error", "not_found", "invalid", "ok", "ok"]
    assert isinstance(results[0].error, vt_refs.MalformedResponseError)
    assert isinstance(results[1].error, vt_refs.NotFoundError) and results[1].references == []
    assert isinstance(results[2].error, UsageError) and results[2].ioc == "not an indicator"
    assert results[3].ioc == vt_refs.IOC("threat_actors", "apt-x", "apt-x")
    assert len(results[3].references) == results[3].count == 25
    assert results[3].error is None and results[4].status == "ok"
    assert [r.text for r in results][:2] == [sha(1), f"file:{sha(2)}"]


def test_all_pages_or_max_items_per_ioc(fake: FakeVirusTotal) -> None:
    fake.set_count(sha(1), 95, collection="files")
    with client(fake) as c:
        (whole,) = vt_refs.enrich(c, [sha(1)], page_size=40)
        (cut,) = vt_refs.enrich(c, [sha(1)], page_size=40, max_items_per_ioc=45)
        (described,) = vt_refs.enrich(c, [sha(1)], descriptors=True, max_items_per_ioc=3)
    assert len(whole.references) == 95 and whole.count == 95
    assert [r.id for r in cut.references] == [r.id for r in whole.references][:45]
    assert [r.id for r in described.references] == [r.id for r in whole.references][:3]
    paths = [r.path for r in fake.requests]
    assert sum("/relationships/" in p for p in paths) == 1
    assert len(paths) == 3 + 2 + 1  # 95 in pages of 40; 45 is 40 + 5; 3 is one page


def test_api_400_for_the_id_is_invalid_and_5xx_after_retries_is_error(
    fake: FakeVirusTotal,
) -> None:
    with client(fake) as c:
        fake.fail_next(1, status=400, code="InvalidArgumentError")
        fake.fail_next(1, status=503, code="TransientError")
        results = list(vt_refs.enrich(c, [sha(1), sha(2), sha(3)], concurrency=1))
    assert [r.status for r in by_index(results)] == ["invalid", "error", "ok"]
    assert isinstance(by_index(results)[1].error, vt_refs.TransientError)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "WrongCredentialsError", vt_refs.WrongCredentialsError),
        (403, "ForbiddenError", vt_refs.ForbiddenError),
        (429, "QuotaExceededError", vt_refs.QuotaExceededError),
    ],
)
def test_fatal_errors_end_the_run_after_a_consistent_checkpoint(
    fake: FakeVirusTotal, tmp_path: Path, status: int, code: str, error: type[Exception]
) -> None:
    path = tmp_path / "run.sqlite"
    iocs = [sha(i) for i in range(10)]
    seen: list[IOCResult] = []
    # A 429 is waited out within max_quota_wait: with none allowed, it is the end.
    with client(fake, max_quota_wait=0) as c:
        results = vt_refs.enrich(c, iocs, concurrency=1, checkpoint=path)
        seen.append(next(results))
        seen.append(next(results))
        fake.fail_next(1, status=status, code=code)  # for the next request the worker sends
        with pytest.raises(error):
            for result in results:
                seen.append(result)
    # The worker runs a walk or two ahead of the consumer, so a walk after the fatal one
    # may have finished well and be handed over; the fatal one never is.
    handed = {r.index for r in seen}
    assert {0, 1} <= handed and len(handed) == len(seen) < 10
    with client(fake) as c:
        rest = [r.index for r in vt_refs.enrich(c, iocs, concurrency=1, checkpoint=path)]
    assert sorted(rest) == sorted(set(range(10)) - handed)  # the fatal one among them


def test_a_wrong_key_stops_at_once(fake: FakeVirusTotal) -> None:
    with (
        vt_refs.connect(WRONG_KEY, base_url=fake.base_url, max_retries=0) as c,
        pytest.raises(vt_refs.WrongCredentialsError),
    ):
        list(vt_refs.enrich(c, [sha(i) for i in range(100)], concurrency=4))
    assert len(fake.requests) <= 8  # the walks in flight, not the whole list


def test_offline_is_fatal_after_a_streak_of_connection_failures() -> None:
    with FakeVirusTotal(api_key=KEY) as gone:
        base_url = gone.base_url
    with vt_refs.connect(KEY, base_url=base_url, max_retries=0) as c:
        results = vt_refs.enrich(c, [sha(i) for i in range(1000)], concurrency=2)
        with pytest.raises(vt_refs.APIConnectionError):
            handed = list(results)
            assert not handed


class _Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The network transport, counting requests in flight at once."""

    def __init__(self) -> None:
        self._sync = httpx.HTTPTransport()
        self._async = httpx.AsyncHTTPTransport()
        self._lock = threading.Lock()
        self.now = self.peak = self.total = 0

    def _enter(self) -> None:
        with self._lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)

    def _leave(self) -> None:
        with self._lock:
            self.now -= 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:  # the fake's latency comes before its headers: in flight until they come
            return self._sync.handle_request(request)
        finally:
            self._leave()

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._enter()
        try:
            return await self._async.handle_async_request(request)
        finally:
            self._leave()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_at_most_concurrency_requests_in_flight(mode: str) -> None:
    counting = _Counting()
    iocs = [sha(i) for i in range(24)]
    with FakeVirusTotal(api_key=KEY, latency=0.05, default_count=25) as fake:
        settings: dict[str, Any] = {"base_url": fake.base_url, "transport": counting}
        if mode == "sync":
            with vt_refs.connect(KEY, **settings) as c:
                results = list(vt_refs.enrich(c, iocs, concurrency=4, page_size=10))
        else:

            async def gather() -> list[IOCResult]:
                async with vt_refs.connect(KEY, **settings) as c:
                    walks = vt_refs.aenrich(c, iocs, concurrency=4, page_size=10)
                    return [r async for r in walks]

            results = asyncio.run(gather())
    assert sorted(r.index for r in results) == list(range(24))
    assert all(r.status == "ok" and len(r.references) == 25 for r in results)
    assert counting.total == 24 * 3
    assert 2 <= counting.peak <= 4  # bounded, and yet concurrent


def test_enrich_inside_a_running_event_loop(fake: FakeVirusTotal) -> None:
    """A notebook runs cells inside a loop: the sync call must not try to start one."""

    async def cell() -> list[IOCResult]:
        asyncio.get_running_loop()
        with client(fake) as c:
            return list(vt_refs.enrich(c, [sha(1), "evil[.]example", "192.0.2.1", "2001:db8::1"]))

    results = asyncio.run(cell())
    assert sorted(r.status for r in results) == ["ok"] * 4
    kinds = {r.ioc.kind for r in results if isinstance(r.ioc, vt_refs.IOC)}
    assert kinds == {"files", "domains", "ip_addresses"}


def test_enrich_from_threads_sharing_a_client(fake: FakeVirusTotal) -> None:
    out: dict[int, list[str]] = {}
    with client(fake) as c:

        def work(n: int) -> None:
            out[n] = sorted(r.status for r in vt_refs.enrich(c, [sha(n), sha(n + 10)]))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert out == {n: ["ok", "ok"] for n in range(3)}


def test_aenrich_reads_an_async_iterable_lazily(fake: FakeVirusTotal) -> None:
    read: list[int] = []

    async def source() -> AsyncIterator[str]:
        for i in range(1000):
            read.append(i)
            yield sha(i)

    async def main() -> list[IOCResult]:
        async with client(fake) as c:
            got = []
            async for result in vt_refs.aenrich(c, source(), concurrency=2):
                got.append(result)
                if len(got) == 3:
                    break
            return got

    got = asyncio.run(main())
    assert len(got) == 3
    assert len(read) <= 3 + 2 + 1  # a few ahead of the walks, never the whole input


def test_enrich_reads_lazily(fake: FakeVirusTotal) -> None:
    read: list[int] = []

    def source() -> Iterator[str]:
        for i in range(10**6):
            read.append(i)
            yield sha(i)

    with client(fake) as c:
        results = vt_refs.enrich(c, source(), concurrency=3)
        first = [next(results) for _ in range(5)]
        results.close()  # type: ignore[attr-defined]
    assert len(first) == 5 and len(read) <= 5 + 2 * 3 + 1  # in flight and queued


def test_checkpoint_records_only_what_was_handed_over(fake: FakeVirusTotal, tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    iocs = [sha(i) for i in range(10)] + ["junk"]
    with client(fake) as c:
        taken = []
        for result in vt_refs.enrich(c, iocs, concurrency=2, checkpoint=path):
            taken.append(result.index)
            if len(taken) == 3:
                break  # the third was handed over, but never acknowledged
        rest = [r.index for r in vt_refs.enrich(c, iocs, concurrency=2, checkpoint=path)]
        again = list(vt_refs.enrich(c, iocs, concurrency=2, checkpoint=path))
    assert set(taken) | set(rest) == set(range(11))
    assert set(taken) & set(rest) == {taken[2]}
    assert again == []
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_changed_input_or_other_options_are_refused(fake: FakeVirusTotal, tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    with client(fake) as c:
        list(vt_refs.enrich(c, [sha(1), sha(2)], checkpoint=path))
        with pytest.raises(UsageError, match="input changed"):
            list(vt_refs.enrich(c, [sha(1), sha(3)], checkpoint=path))
        with pytest.raises(UsageError, match="descriptors"):
            list(vt_refs.enrich(c, [sha(1), sha(2)], checkpoint=path, descriptors=True))
        # appending to the input is resuming it
        more = list(vt_refs.enrich(c, [sha(1), sha(2), sha(4)], checkpoint=path))
    assert [r.index for r in more] == [2]


def test_retry_errors_reruns_only_the_errors(fake: FakeVirusTotal, tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    iocs = [sha(1), "junk", sha(2)]
    with client(fake) as c:
        fake.fail_next(1, status=503, code="TransientError")
        first = by_index(list(vt_refs.enrich(c, iocs, concurrency=1, checkpoint=path)))
        assert [r.status for r in first] == ["error", "invalid", "ok"]
        assert list(vt_refs.enrich(c, iocs, checkpoint=path)) == []
        retried = list(vt_refs.enrich(c, iocs, checkpoint=path, retry_errors=True))
    assert [(r.index, r.status) for r in retried] == [(0, "ok")]


def test_a_checkpoint_is_held_by_one_run_at_a_time(fake: FakeVirusTotal, tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    with client(fake) as c:
        first = vt_refs.enrich(c, [sha(i) for i in range(5)], checkpoint=path)
        next(first)
        with pytest.raises(UsageError, match="in use"):
            list(vt_refs.enrich(c, [sha(i) for i in range(5)], checkpoint=path))
        first.close()  # type: ignore[attr-defined]
        assert len(list(vt_refs.enrich(c, [sha(i) for i in range(5)], checkpoint=path))) == 5


def test_the_relationship_is_the_catalogs(fake: FakeVirusTotal) -> None:
    """Any relationship of the catalog; one no collection has names those that exist."""
    known = ", ".join(get_catalog().relationships())
    with client(fake) as c:
        wanted = f"relationship must be auto or one of {known}, not 'x'"
        with pytest.raises(UsageError, match=wanted):
            vt_refs.enrich(c, [sha(1)], relationship="x")
        (result,) = vt_refs.enrich(c, [sha(1)], relationship=DEFAULT_RELATIONSHIP)
    assert result.status == "ok" and len(result.references) == 25  # the fake's default


def test_not_a_checkpoint_file_is_a_usage_error(fake: FakeVirusTotal, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not sqlite\n" * 100)
    with client(fake) as c, pytest.raises(UsageError):
        list(vt_refs.enrich(c, [sha(1)], checkpoint=path))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"concurrency": True},
        {"max_items_per_ioc": -1},
        {"page_size": 0},
        {"descriptors": "yes"},
        {"checkpoint": 3},
        {"relationship": "nope"},
        {"relationship": 3},
    ],
)
def test_bad_arguments_are_usage_errors_before_anything_is_sent(
    fake: FakeVirusTotal, kwargs: dict[str, Any]
) -> None:
    with client(fake) as c, pytest.raises(UsageError):
        vt_refs.enrich(c, [sha(1)], **kwargs)
    assert fake.requests == []


def test_bad_iocs_and_clients_are_usage_errors(fake: FakeVirusTotal) -> None:
    with client(fake) as c:
        with pytest.raises(UsageError):
            vt_refs.enrich(c, "https://example.com/")  # one string is not a list
        with pytest.raises(UsageError):
            vt_refs.enrich(c, 42)  # type: ignore[arg-type]
        with pytest.raises(UsageError):
            list(vt_refs.enrich(c, [b"bytes"]))  # type: ignore[list-item]
    with pytest.raises(UsageError):
        vt_refs.enrich(httpx.Client(), [sha(1)])  # type: ignore[arg-type]


def _api(cls: type[vt_refs.APIError], status: int, code: str | None) -> vt_refs.APIError:
    return cls(status, code, "m")


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        (_api(vt_refs.WrongCredentialsError, 401, "WrongCredentialsError"), True),
        (_api(vt_refs.UserNotActiveError, 401, "UserNotActiveError"), True),
        (_api(vt_refs.AuthenticationError, 401, None), True),
        (_api(vt_refs.ForbiddenError, 403, "ForbiddenError"), True),
        (_api(vt_refs.APIError, 403, None), True),  # a proxy's 403 page refuses us too
        (_api(vt_refs.QuotaExceededError, 429, "QuotaExceededError"), True),
        (_api(vt_refs.TooManyRequestsError, 429, "TooManyRequests"), True),
        (_api(vt_refs.RateLimitError, 429, None), True),
        (_api(vt_refs.NotFoundError, 404, "NotFoundError"), False),
        (_api(vt_refs.TransientError, 503, "TransientError"), False),
        (_api(vt_refs.InvalidArgumentError, 400, "InvalidArgumentError"), False),
        (vt_refs.MalformedResponseError("r", path="$", excerpt="", status_code=200), False),
        (vt_refs.APIConnectionError("down"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_is_fatal_by_class(error: vt_refs.VTError, fatal: bool) -> None:
    assert is_fatal(error) is fatal


def test_is_fatal_goes_by_the_class_never_its_name() -> None:
    """The client's own quota is fatal, a subclass of it too; a class that only shares its
    name (a user's own, a test double) is not: is_fatal asks isinstance, not __name__."""
    retry_at = datetime.datetime.now(datetime.UTC)

    class Spent(vt_refs.QuotaExhaustedError):
        pass

    assert is_fatal(vt_refs.QuotaExhaustedError(retry_at=retry_at, window="per_day", limit=1))
    assert is_fatal(Spent(retry_at=retry_at, window="per_day", limit=1))
    impostor = type("QuotaExhaustedError", (vt_refs.VTError,), {})
    assert not is_fatal(impostor("same name, another class"))
