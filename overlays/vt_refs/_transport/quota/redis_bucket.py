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

# KEYS[1]: the sorted set. ARGV: the entry's name, the number of windows, then each
# window's length (ms) and limit. Returns {failing window's index or -1, the stamp of the
# entry that must leave that window before one more fits (or -1), now}. Weight 1: a
# request is one entry, so the blocking entry is the limit-th newest.
_PUT_SCRIPT: Final = """
if redis.replicate_commands then redis.replicate_commands() end
local bucket = KEYS[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, tonumber(ARGV[2]) do
    local length = tonumber(ARGV[1 + 2 * i])
    local limit = tonumber(ARGV[2 + 2 * i])
    if redis.call('ZCOUNT', bucket, now - length, '+inf') >= limit then
        local blocking = redis.call('ZRANGE', bucket, -limit, -limit, 'WITHSCORES')
        return {i - 1, tonumber(blocking[2] or -1), now}
    end
end
redis.call('ZADD', bucket, now, ARGV[1])
return {-1, -1, now}
"""


def load_script(client: Redis) -> str:
    """The script's hash on `client`'s server, loaded there."""
    return str(client.script_load(_PUT_SCRIPT))


class ServerStampedBucket(RedisBucket):
    """A sliding-window log in Redis whose entries the server stamps as it admits them."""

    def __init__(self, rates: list[Rate], client: Redis, key: str) -> None:
        super().__init__(rates, client, key, load_script(client))
        self._client = client  # `redis` is typed sync or async: this one is sync

    def _evaluate(self, args: list[str | int]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return self._client.evalsha(self.script_hash, 1, self.bucket_key, *args)
        except NoScriptError:
            self.script_hash = load_script(self._client)
            return self._client.evalsha(self.script_hash, 1, self.bucket_key, *args)

    def _check_and_insert(self, item: RateItem) -> Decision:
        """Admit `item` or say which window is full; `item.timestamp` becomes its stamp."""
        if item.weight != 1:  # pragma: no cover - vt_refs spends one permit a request
            raise ValueError("a request is one permit")
        args: list[str | int] = [f"{item.name}:{id_generator()}:", len(self.rates)]
        for rate in self.rates:
            args += [rate.interval, rate.limit]
        index, blocking, now = (int(value) for value in self._evaluate(args))
        item.timestamp = now
        if index < 0:
            return ADMITTED
        rate = self.rates[index]
        wait = self._algorithm.retry_after(rate, now, blocking if blocking >= 0 else None)
        return Decision(failing_rate=rate, retry_after_ms=wait)
