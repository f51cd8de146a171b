"""The permits of a quota kept in Redis (or Valkey): one sorted set of stamps per key.

pyrate-limiter's `RedisBucket` takes each stamp from the client, before its script
runs: a host's clock (which disagrees with the others') or, as vt_refs did, a `TIME`
call of its own, one round trip earlier. Either way a request is stamped before it is
admitted, by as long as the client took to get to the script (a round trip, a busy
process waiting for the GIL: tens of milliseconds on a loaded host), so its entry
leaves the window that much early and the server can see one request too many in a
window: measured, 4 processes sharing a 20/s quota had 0.4-1.6% of their requests
refused this way, none with a SQLite store (which stamps under its lock).

So the script stamps each request itself, with the server's `TIME`, in the same atomic
step that counts the windows and adds the entry; the client sends the windows' lengths
and limits, and reads the stamp back (the wait for a slot is counted from it). One
round trip per permit instead of two. It counts every entry stamped after the window's
start, those stamped after `now` too, so no clock can let a request miss another's.

The arrival margin is shared the same way. Each process knows only its own round trips,
and a process whose requests have not come back yet counts the first window with the
least margin: measured, when 4 processes started at once, their first requests arrived
40-260 ms late (cold connections, a busy server), and a process counting the window 5%
longer let 1-3 requests through at its edge, refused (429). So each permit also sends
this process's slowest round trip per window, the script keeps the largest one reported
(a key per window, expiring a window after it was reported), and counts each window
longer by it, up to half the window, whichever process saw it.

A Redis that restarted, failed over to a replica or ran SCRIPT FLUSH answers NOSCRIPT
to the script loaded when the client started; the bucket loads it again and tries once
more, else every request of a long-lived client (a task-queue worker) would fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pyrate_limiter import Rate, RateItem
from pyrate_limiter.abstracts.algorithm import ADMITTED, Decision
from pyrate_limiter.buckets.redis_bucket import RedisBucket
from pyrate_limiter.utils import id_generator

if TYPE_CHECKING:
    from redis import Redis

# KEYS[1]: the sorted set; KEYS[1 + i]: the slowest round trip reported for window i.
# ARGV: the entry's name, the number of windows, then for each window the length we count
# it (ms), its limit, its own length, this process's slowest round trip within it and the
# most margin a round trip may add (ms). Returns {failing window's index or -1, the stamp
# of the entry that must leave that window before one more fits (or -1), now, the length
# that window was counted}. Weight 1: a request is one entry, so the blocking entry is the
# limit-th newest.
_PUT_SCRIPT: Final = """
if redis.replicate_commands then redis.replicate_commands() end
local bucket = KEYS[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, tonumber(ARGV[2]) do
    local at = 2 + 5 * (i - 1)
    local length = tonumber(ARGV[at + 1])
    local limit = tonumber(ARGV[at + 2])
    local interval = tonumber(ARGV[at + 3])
    local own = tonumber(ARGV[at + 4])
    local slowest = tonumber(redis.call('GET', KEYS[1 + i]) or '0')
    if own > slowest then
        redis.call('SET', KEYS[1 + i], own, 'PX', interval)
        slowest = own
    end
    length = math.max(length, interval + math.min(slowest, tonumber(ARGV[at + 5])))
    if redis.call('ZCOUNT', bucket, now - length, '+inf') >= limit then
        local blocking = redis.call('ZRANGE', bucket, -limit, -limit, 'WITHSCORES')
        return {i - 1, tonumber(blocking[2] or -1), now, length}
    end
end
redis.call('ZADD', bucket, now, ARGV[1])
return {-1, -1, now, 0}
"""


def load_script(client: Redis) -> str:
    """The script's hash on `client`'s server, loaded there."""
    return str(client.script_load(_PUT_SCRIPT))


class ServerStampedBucket(RedisBucket):
    """A sliding-window log in Redis whose entries the server stamps as it admits them,
    each window counted longer by the slowest round trip any process reported."""

    def __init__(
        self,
        rates: list[Rate],
        client: Redis,
        key: str,
        windows: tuple[tuple[int, int], ...],
        *,
        slow_key: str,
    ) -> None:
        """`windows`: each window's own length and the most margin a round trip may add
        to it (ms), in the order of `rates`; `slow_key`: the prefix of the keys holding
        each window's slowest round trip."""
        super().__init__(rates, client, key, load_script(client))
        self._client = client  # `redis` is typed sync or async: this one is sync
        self._windows = windows
        self._slow_keys = [f"{slow_key}:{i}" for i in range(len(windows))]
        self._own_slow: tuple[int, ...] = (0,) * len(windows)

    def report_slow(self, slow_ms: tuple[int, ...]) -> tuple[int, ...]:
        """This process's slowest round trip within each window, sent with each permit;
        returned as it is, since the script itself counts with every process's."""
        self._own_slow = slow_ms
        return slow_ms

    def _evaluate(self, args: list[str | int]) -> Any:
        from redis.exceptions import NoScriptError

        keys = [self.bucket_key, *self._slow_keys]
        try:
            return self._client.evalsha(self.script_hash, len(keys), *keys, *args)
        except NoScriptError:
            self.script_hash = load_script(self._client)
            return self._client.evalsha(self.script_hash, len(keys), *keys, *args)

    def _check_and_insert(self, item: RateItem) -> Decision:
        """Admit `item` or say which window is full; `item.timestamp` becomes its stamp."""
        if item.weight != 1:  # pragma: no cover - vt_refs spends one permit a request
            raise ValueError("a request is one permit")
        args: list[str | int] = [f"{item.name}:{id_generator()}:", len(self.rates)]
        for rate, (interval, most), slow in zip(
            self.rates, self._windows, self._own_slow, strict=True
        ):
            args += [rate.interval, rate.limit, interval, slow, most]
        index, blocking, now, length = (int(value) for value in self._evaluate(args))
        item.timestamp = now
        if index < 0:
            return ADMITTED
        rate = self.rates[index]
        counted = Rate(rate.limit, length)  # as long as the script counted it
        wait = self._algorithm.retry_after(counted, now, blocking if blocking >= 0 else None)
        return Decision(failing_rate=rate, retry_after_ms=wait)
