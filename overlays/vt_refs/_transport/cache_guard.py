"""Calls into the cache's store, each bounded in time and with every failure seen.

A cache is an optimisation: when its store fails or hangs, the answer must still come,
and quickly. hishel's storages catch their own errors and report them with
`logger.exception()` on their loggers (which, with no handler set up, Python prints as a
traceback per call), so the cache layer would never see them. Here each store call runs
on a worker thread that collects the records those loggers emit during the call: a
record of WARNING or above is the call's failure, and it is kept from being printed.
Records emitted outside our calls (another user of hishel in the process) pass on as
they are.

A call that takes longer than its bound is given up on: the caller goes on at once and
the worker thread is left to finish (or not) on its own. Workers are daemon threads, so
a store that never answers cannot hold up the process at exit.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Final, TypeVar

T = TypeVar("T")

# The loggers of hishel's storages (each module logs under its own name; a filter on a
# logger does not see its children's records, so each gets the filter).
_STORE_LOGGERS: Final = (
    "hishel._core._storages._sync_sqlite",
    "hishel._core._storages._sync_redis",
    "hishel._core._storages._async_sqlite",
    "hishel._core._storages._async_redis",
)
_MAX_WORKERS: Final = 32  # calls beyond this many at once wait for a worker (bounded too)
_REASON_CHARS: Final = 240


class StoreFailed(Exception):
    """A store call failed, logged a failure, or took longer than its bound."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_local = threading.local()


class _Capture(logging.Filter):
    """Takes the records of the store's loggers during our calls, and only then."""

    def filter(self, record: logging.LogRecord) -> bool:
        taken: list[logging.LogRecord] | None = getattr(_local, "records", None)
        if taken is None:
            return True
        taken.append(record)
        return False


_CAPTURE: Final = _Capture()
_INSTALLED = False
_INSTALL_LOCK: Final = threading.Lock()


def _install() -> None:
    global _INSTALLED
    with _INSTALL_LOCK:
        if not _INSTALLED:
            for name in _STORE_LOGGERS:
                logging.getLogger(name).addFilter(_CAPTURE)
            _INSTALLED = True


def describe(error: BaseException) -> str:
    """One line saying what failed: the exception's type and text, cut short."""
    text = f"{type(error).__name__}: {error}".replace("\n", " ").strip()
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def _failure(records: list[logging.LogRecord]) -> str | None:
    for record in records:
        if record.levelno < logging.WARNING:
            continue
        if record.exc_info and record.exc_info[1] is not None:
            return describe(record.exc_info[1])
        try:
            return record.getMessage()[:_REASON_CHARS]
        except Exception:  # a broken record still says the call failed
            return "the store reported a failure"
    return None


Task = tuple["Future[object]", Callable[[], object]]


class _Workers:
    """Daemon threads that run store calls; a thread a call hangs in is never waited for."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[Task] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._queued = 0

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._queued += 1
            start = self._queued > self._idle and self._threads < _MAX_WORKERS
            if start:
                self._threads += 1
        if start:
            threading.Thread(target=self._work, name="vt-refs-cache", daemon=True).start()
        self._tasks.put((future, call))  # type: ignore[arg-type]
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            future, call = self._tasks.get()
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            if not future.set_running_or_notify_cancel():
                continue
            records: list[logging.LogRecord] = []
            _local.records = records
            try:
                result = call()
            except BaseException as error:  # any failure is the call's: the cache goes off
                future.set_exception(StoreFailed(describe(error)))
            else:
                reason = _failure(records)
                if reason is None:
                    future.set_result(result)
                else:
                    future.set_exception(StoreFailed(reason))
            finally:
                _local.records = None


_WORKERS: Final = _Workers()


def bounded(call: Callable[[], T], seconds: float) -> T:
    """`call()` on a worker, within `seconds`; StoreFailed if it fails, logs a failure or
    takes longer."""
    _install()
    future = _WORKERS.submit(call)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise StoreFailed(f"no answer within {seconds:g} s") from None


async def abounded(call: Callable[[], T], seconds: float) -> T:
    """The async twin of `bounded`: the event loop is never blocked by the store."""
    _install()
    future = _WORKERS.submit(call)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), seconds)
    except TimeoutError:
        raise StoreFailed(f"no answer within {seconds:g} s") from None
