"""The client's own quota (`connect(quota=...)`): wait for a permit in every window.

The quota layer (`transport`) asks it before every attempt, retries included, so each
spends a permit and nothing is sent without one. Sync requests sleep and
async requests await the same figure; when the wait would end later than `max_quota_wait`
the request fails at once with QuotaExhaustedError instead of sleeping for hours.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from sqlite3 import OperationalError
from typing import Final

from ..._errors import APIConnectionError, QuotaExhaustedError
from ..digest import key_digest
from ..settings import Settings
from ..stopping import POLL_SECONDS, stop_event, stopped
from ..stores import open_error
from .notice import notify, window_words
from .permits import Denial, Permits, permits

_SLACK: Final = 0.01


class QuotaGate:
    """Turns the store's answers into waits, within `max_wait` seconds (None: no limit)."""

    def __init__(self, store: Permits, max_wait: float | None) -> None:
        self._permits = store
        self._max_wait = max_wait

    def _deadline(self) -> float | None:
        return None if self._max_wait is None else time.monotonic() + self._max_wait

    def _next_wait(self, deadline: float | None) -> float | None:
        """None once a permit is spent, else seconds to wait before asking again."""
        try:
            denial = self._permits.take()
        except Exception as error:  # redis, sqlite3, filelock: a quota we cannot read
            raise store_error(error) from None
        if denial is None:
            return None
        # The margin is ours: the slot is free by the API's count that much sooner, so a
        # minute's wait does not trip max_quota_wait=60 (nor does the limiter's extra 1 ms).
        due = time.monotonic() + denial.wait - denial.margin - _SLACK
        if deadline is not None and due > deadline:
            raise _exhausted(denial)
        notify(denial.wait, window_words(denial.window.name), "quota")
        return denial.wait

    def observe(self, seconds: float) -> None:
        """How long a request took from its permit to its answer (see the arrival margin)."""
        self._permits.observe(seconds)

    def wait(self) -> None:
        deadline = self._deadline()
        while (delay := self._next_wait(deadline)) is not None:
            event = stop_event()
            if event is None:
                time.sleep(delay)
            elif event.wait(delay):
                raise _stopped()

    async def await_permit(self) -> None:
        deadline = self._deadline()
        while True:
            if self._permits.blocking:
                delay = await asyncio.to_thread(self._next_wait, deadline)
            else:
                delay = self._next_wait(deadline)
            if delay is None:
                return
            if stop_event() is None:
                await asyncio.sleep(delay)
                continue
            until = time.monotonic() + delay
            while (left := until - time.monotonic()) > 0:
                if stopped():
                    raise _stopped()
                await asyncio.sleep(min(left, POLL_SECONDS))


def _stopped() -> APIConnectionError:
    """A run told to stop does not wait for a permit: the request is not sent."""
    return APIConnectionError("the run is stopping: not sent (no quota permit waited for)")


def _unopenable(error: Exception) -> bool:
    """An error of making or opening a file (not of what a file holds)."""
    return isinstance(error, OSError) or (
        isinstance(error, OperationalError) and "unable to open" in str(error)
    )


def store_error(error: Exception) -> APIConnectionError:
    """A quota store that fails stops the request: sending without a permit could overrun
    the quota of every other client of the key."""
    return APIConnectionError(f"the quota store failed: {type(error).__name__}: {error}")


def _exhausted(denial: Denial) -> QuotaExhaustedError:
    delay = datetime.timedelta(seconds=denial.wait)
    retry_at = datetime.datetime.now(datetime.UTC) + delay
    return QuotaExhaustedError(
        retry_at=retry_at, window=denial.window.name, limit=denial.window.limit
    )


def own_gate(settings: Settings) -> QuotaGate:
    """The gate of the key's shared quota, in `settings.quota_store` (None: this process)."""
    assert settings.quota is not None
    store = settings.quota_store
    try:
        shared = permits(settings.quota.windows(), store, key_digest(settings.key, "quota"))
    except Exception as error:
        if store is not None and store.kind == "sqlite" and _unopenable(error):
            # A file that cannot be made or written where it was asked: the caller's to fix
            # (the same error as the cache's for the same place).
            raise open_error("quota_store", store, f"{type(error).__name__}: {error}") from None
        raise store_error(error) from None
    return QuotaGate(shared, settings.max_quota_wait)
