"""Dramatiq actors that enrich one indicator each, sharing one VirusTotal quota (and one
cache) across every worker process and host through Redis.

Start workers (any number of hosts, same Redis):

    VT_API_KEY=... VT_REFS_REDIS_URL=redis://redis-host:6379/0 VT_REFS_QUOTA=1000/min \\
        dramatiq tasks --path examples/task_queue --processes 3 --threads 2

and send work with `python examples/task_queue/enqueue.py iocs.txt`.

The quota is `vt_refs`'s own, kept in Redis (`quota_store=`): every request of every
worker, retries included, takes a slot of the same sliding windows first, waiting for
one when the quota is spent, so the workers together never exceed it. Dramatiq's own
rate limiters are not used: they count fixed windows (up to twice the limit passes at a
window's edge) and never wait, they fail the task.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Final

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

import vt_refs

REDIS_URL: Final = os.environ.get("VT_REFS_REDIS_URL", "redis://127.0.0.1:6379/0")
BASE_URL: Final = os.environ.get("VT_REFS_BASE_URL", vt_refs.DEFAULT_BASE_URL)
# The key's quota, in the CLI's spelling: "4/min,500/day" is a public key's.
QUOTA: Final = os.environ.get("VT_REFS_QUOTA", "4/min,500/day")
QUEUE: Final = "vt-refs"

dramatiq.set_broker(RedisBroker(url=REDIS_URL))

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _client() -> Any:
    """One vt_refs client per worker process, made on first use: after the fork, so no
    process inherits another's connections."""
    with _lock:
        if "client" not in _state:
            _state["client"] = vt_refs.connect(
                base_url=BASE_URL,
                quota=vt_refs.Quota.parse(QUOTA),
                quota_store=REDIS_URL,  # one quota for every process on every host
                max_quota_wait=None,  # wait for a slot, however far: that is the pacing
                cache=REDIS_URL,  # an indicator another worker just did costs nothing
            )
            _state["redis"] = redis.Redis.from_url(REDIS_URL)
        return _state["client"]


def results_key(run: str) -> str:
    """The Redis hash of a run's results: indicator -> JSON."""
    return f"vt-refs:{run}:results"


def runs_key(run: str) -> str:
    """The Redis hash counting how many times each indicator of a run was done."""
    return f"vt-refs:{run}:runs"


@dramatiq.actor(queue_name=QUEUE, max_retries=5, min_backoff=1_000, max_backoff=60_000)
def enrich_ioc(run: str, ioc: str) -> None:
    """Enrich one indicator and store its result under `run`.

    A failure of the indicator itself (not found, invalid, an error after the client's
    retries) is a result like any other. What ends a whole bulk run (a refused key, a
    quota spent beyond waiting) raises here, and Dramatiq retries the task later.
    """
    client = _client()
    (result,) = vt_refs.enrich(client, [ioc], concurrency=1)
    document = {
        "ioc": ioc,
        "kind": result.ioc.kind if isinstance(result.ioc, vt_refs.IOC) else None,
        "status": result.status,
        "count": result.count,
        "references": [reference.to_dict() for reference in result.references],
        "error": None if result.error is None else str(result.error),
        "worker": os.getpid(),
    }
    store: redis.Redis = _state["redis"]
    with store.pipeline() as pipe:  # MULTI/EXEC: the result and its count together
        pipe.hset(results_key(run), ioc, json.dumps(document))
        pipe.hincrby(runs_key(run), ioc, 1)
        pipe.execute()
