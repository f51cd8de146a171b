"""A server 429 is a wait, not the end: with no quota given, the client learns the
server's window from its 429s (the fake enforcing a public quota scaled to 4 per s),
finishes every indicator with at most 10% of its requests rejected, says that it waits,
and fails with the fatal QuotaExceededError (daily quota, 00:00 UTC) only when probes
after a full max_quota_wait are refused too. The learner's bounds, on their own."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import time
from typing import Any

import pytest

import vt_refs
from vt_refs._transport import quota_wait_of
from vt_refs._transport.quota.learned import POLL, Learner, window_label
from vt_refs.testing import FakeVirusTotal

from support.keys import own_key

SCALE = 1 / 60  # a minute in 1 s: the public 4 a minute is 4 per second


def _fake(**kwargs: Any) -> FakeVirusTotal:
    kwargs.setdefault("quota", vt_refs.Quota.public())
    kwargs.setdefault("quota_scale", SCALE)
    return FakeVirusTotal(api_key=own_key("learned"), **kwargs)


def _hashes(n: int) -> list[str]:
    return [f"{i:064x}" for i in range(1, n + 1)]


def test_a_bulk_run_with_no_quota_learns_the_server_s_and_finishes_everything() -> None:
    iocs = _hashes(80)
    with _fake(default_count=3) as fake, vt_refs.connect(fake.api_key, base_url=fake.base_url) as c:
        started = time.monotonic()
        results = list(vt_refs.enrich(c, iocs, concurrency=8))
        took = time.monotonic() - started
        stats = c.stats
    assert sorted(r.status for r in results) == ["ok"] * 80
    assert len(fake.requests) == stats.requests
    rejected = fake.quota_rejected
    assert rejected == stats.rate_limited
    assert rejected <= 0.10 * stats.requests, (rejected, stats.requests)
    # 80 requests at 4 a second need 19 s at the least (the first 4 at once).
    assert took < 19 * 1.4, took


def test_async_clients_learn_the_same() -> None:
    async def run(fake: FakeVirusTotal) -> list[Any]:
        async with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            return [r async for r in vt_refs.aenrich(client, _hashes(24), concurrency=6)]

    with _fake(default_count=3) as fake:
        results = asyncio.run(run(fake))
        requests = len(fake.requests)
    assert [r.status for r in results].count("ok") == 24
    # A short run: the first 429s (those in flight, a probe or two) weigh most of it.
    assert fake.quota_rejected <= 0.25 * requests


def test_the_waits_are_said_with_their_window(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="vt_refs.quota")
    with _fake(default_count=3) as fake, vt_refs.connect(fake.api_key, base_url=fake.base_url) as c:
        assert sum(r.status == "ok" for r in vt_refs.enrich(c, _hashes(10))) == 10
    waits = [quota_wait_of(r) for r in caplog.records]
    assert waits and all(w is not None for w in waits)
    server = [w for w in waits if w is not None and w.cause == "server"]
    assert server, "the first 429 holds the key's requests, and says so"
    assert all(w.until.tzinfo is not None and w.seconds > 0 for w in waits if w is not None)
    message = caplog.records[0].getMessage()
    assert message.startswith("waiting for quota until ") and " UTC (" in message


def test_a_spent_daily_quota_is_the_fatal_error_after_max_quota_wait() -> None:
    # 2 a day: two admitted, then refused for longer than any wait.
    with FakeVirusTotal(api_key=own_key("spent"), quota=vt_refs.Quota(per_day=2)) as fake:
        client = vt_refs.connect(fake.api_key, base_url=fake.base_url, max_quota_wait=0.6)
        with client:
            for object_id in _hashes(2):
                list(vt_refs.related_references(client, id=object_id, page_size=40))
            started = time.monotonic()
            with pytest.raises(vt_refs.QuotaExceededError) as caught:
                list(vt_refs.related_references(client, id="f" * 64, page_size=40))
            assert time.monotonic() - started < 5
            message = str(caught.value)
            assert "daily quota" in message and "00:00 UTC" in message
            assert 0 < (caught.value.retry_after or 0) <= 86400
            # Spent: the next request probes once, and fails at once.
            started = time.monotonic()
            with pytest.raises(vt_refs.QuotaExceededError):
                list(vt_refs.related_references(client, id="e" * 64, page_size=40))
            assert time.monotonic() - started < 1
        assert fake.quota_rejected <= 6


def test_a_retry_after_within_max_quota_wait_is_waited_for() -> None:
    with FakeVirusTotal(default_count=5) as fake:
        fake.fail_next(status=429, code="QuotaExceededError", retry_after="1")
        with vt_refs.connect(fake.api_key, base_url=fake.base_url) as client:
            started = time.monotonic()
            refs = list(vt_refs.related_references(client, id="a" * 64))
            assert 1.0 <= time.monotonic() - started < 3
        assert len(refs) == 5 and len(fake.requests) == 2


def test_a_retry_after_past_max_quota_wait_is_raised_at_once() -> None:
    with FakeVirusTotal() as fake:
        fake.fail_next(status=429, code="QuotaExceededError", retry_after="90")
        client = vt_refs.connect(fake.api_key, base_url=fake.base_url)
        with client, pytest.raises(vt_refs.QuotaExceededError) as caught:
            list(vt_refs.related_references(client, id="b" * 64))
        assert caught.value.retry_after == 90 and len(fake.requests) == 1


def test_max_quota_wait_zero_waits_for_nothing() -> None:
    with FakeVirusTotal(api_key=own_key("zero")) as fake:
        fake.fail_next(status=429, code="TooManyRequestsError")
        client = vt_refs.connect(fake.api_key, base_url=fake.base_url, max_quota_wait=0)
        with client, pytest.raises(vt_refs.TooManyRequestsError):
            list(vt_refs.related_references(client, id="c" * 64))
        assert len(fake.requests) == 1


# The learner on its own: a sliding window of 4 in 2 s, a clock of our own.


def _serve(arrivals: list[float], now: float, limit: int, window: float) -> bool:
    """Whether a server with a sliding window (counting rejections too) admits at `now`."""
    admitted = sum(1 for t in arrivals if t > now - window) < limit
    arrivals.append(now)
    return admitted


def test_the_learner_finds_the_window_within_ten_percent() -> None:
    learner, now, rejected = _learned(200)
    assert learner.limit == 4
    assert learner.hi is not None and 2.0 <= learner.hi <= 2.2
    assert rejected <= 12
    assert now < 200 / 4 * 2.0 * 1.15  # the time at the quota's pace, 15% over at most


def _crowd(seed: int, requests: int, workers: int = 8) -> tuple[int, int, float]:
    """`requests` sent by `workers` at once through one learner to a server admitting 4 in
    any 1 s, each way taking 2-22 ms and one in ten 0.1 s more (a loaded machine):
    (rejected, sent, the time taken). An event loop of our own clock, bounded in events."""
    rnd, learner, arrivals = random.Random(seed), Learner(), []
    events: list[tuple[float, int, str, Any]] = []
    order = itertools.count()

    def later(at: float, what: str, grant: Any = None) -> None:
        heapq.heappush(events, (at, next(order), what, grant))

    def delay() -> float:
        return 0.002 + rnd.random() * 0.02 + (rnd.random() * 0.1 if rnd.random() < 0.1 else 0)

    for _ in range(workers):
        later(0.0, "ask")
    left, rejected, sent, now = requests - workers, 0, 0, 0.0
    for _ in range(100_000):
        if not events:
            break
        now, _, what, grant = heapq.heappop(events)
        if what == "ask":
            grant = learner.reserve(now)
            later(now + POLL, "ask") if grant is None else later(grant.at, "send", grant)
        elif what == "send":
            if not learner.current(grant):
                later(now, "ask")
                continue
            learner.sending(grant, now)
            sent += 1
            arrival = now + delay()
            later(arrival + delay(), "ok" if _serve(arrivals, arrival, 4, 1.0) else "429", grant)
        elif what == "ok":
            learner.admitted(grant, now)
            if left > 0:
                left -= 1
                later(now, "ask")
        else:
            rejected += 1
            hold = learner.rejected(grant, now, None, 60.0)
            assert hold is not None
            later(hold.until, "ask")
    assert not events and left <= 0, "every request was answered"
    return rejected, sent, now


@pytest.mark.parametrize("seed", range(6))
def test_eight_in_flight_with_late_arrivals_are_rarely_refused(seed: int) -> None:
    rejected, sent, took = _crowd(seed, 120)
    assert sent - rejected == 120
    assert rejected <= 3, (rejected, sent)  # one past the first window's four, a try, a late one
    assert took < 116 / 4 * 1.0 * 1.35  # the quota's pace, the first window learned


def _learned(requests: int) -> tuple[Learner, float, int]:
    """A learner that sent `requests` one at a time to 4 in any 2 s: it, the time after,
    how many were rejected."""
    learner, arrivals, now, rejected = Learner(), [], 0.0, 0
    for _ in range(requests):
        grant = learner.reserve(now)
        assert grant is not None
        now = max(now, grant.at)
        if _serve(arrivals, now, 4, 2.0):
            learner.admitted(grant, now + 0.001)
        else:
            rejected += 1
            assert learner.rejected(grant, now + 0.001, None, 60.0) is not None
        now += 0.001
    return learner, now, rejected


def test_a_refusal_while_paced_keeps_the_pace() -> None:
    # The window known closely, a request sent at its pace is refused all the same (it
    # arrived late, or another tool spends the key): the next ones still go 4 per window
    # (longer now), never all at once.
    learner, now, _ = _learned(100)
    assert learner.hi is not None and learner.hi <= learner.lo * 1.1, "known closely"
    paced = learner.reserve(now)
    assert paced is not None and not paced.explore
    hold = learner.rejected(paced, paced.at + 0.001, None, 60.0)
    assert hold is not None
    now, sent = hold.until, []
    for _ in range(12):
        grant = None
        for _ in range(1000):
            grant = learner.reserve(now)
            if grant is not None:
                break
            now += POLL
        assert grant is not None
        now = max(now, grant.at)
        sent.append(now)
        learner.admitted(grant, now + 0.001)
    spans = [b - a for a, b in zip(sent, sent[4:], strict=False)]
    assert min(spans) >= 2.0, (spans, sent)


@pytest.mark.parametrize("learns", [True, False])
def test_max_quota_wait_none_waits_as_long_as_it_takes(learns: bool) -> None:
    learner, now = Learner(learns=learns), 0.0
    gaps = []
    for refused in range(14):
        grant = learner.reserve(now)
        assert grant is not None
        now = max(now, grant.at)
        hold = learner.rejected(grant, now, None, None, refused)
        assert hold is not None, "never the fatal error"
        gaps.append(hold.until - now)
        now = hold.until
    assert max(gaps) <= 600 and gaps[-1] >= 300  # probing at least every 10 minutes


def test_a_slow_start_asks_again_within_a_round_trip() -> None:
    """A request the slow start turns away gets its turn with the next answer, so it asks
    again eight times a round trip; after a 429 it waits for the probe at `POLL`."""
    learner = Learner()
    first = [learner.reserve(0.0) for _ in range(4)]
    assert all(grant is not None for grant in first)
    assert learner.reserve(0.0) is None
    assert learner.retry_in() == pytest.approx(POLL / 8)  # no round trip known yet
    grant = first[0]
    assert grant is not None
    learner.admitted(grant, 0.08)
    assert learner.reserve(0.08) is None  # one admitted, three in flight: the most for now
    assert learner.retry_in() == pytest.approx(0.01)
    refused = first[1]
    assert refused is not None
    assert learner.rejected(refused, 0.09, None, 60.0) is not None
    assert learner.retry_in() == POLL


def test_window_labels() -> None:
    assert window_label(61.0) == "per-minute window"
    assert window_label(86000.0) == "per-day window"
    assert window_label(2.06) == "2.06-s window"
    assert window_label(None) == "the server's window"


def test_vt_refs_bulk_with_no_quota_says_it_waits_and_finishes() -> None:
    from support.cli import in_process
    from support.keys import KEY

    fake = FakeVirusTotal(
        api_key=KEY, quota=vt_refs.Quota.public(), quota_scale=SCALE, default_count=2
    )
    lines = "".join(f"{h}\n" for h in _hashes(12)).encode()
    with fake:
        status, out, err = in_process("bulk", "-", fake=fake, stdin=lines)
    assert status == 0, err
    assert len(out.splitlines()) == 12 * 2  # a line per reference, every indicator's
    assert "vt-refs: waiting for quota until " in err and "the API answered 429" in err
