"""The logic of a bulk run that the sync and async runners share.

A runner reads the input, asks `Run.prepare` what each item needs (nothing: it is
finished or invalid; or a walk), runs at most `concurrency` walks at once, and hands
each result to `Run.outcome`, which says whether the run goes on. Only the running
differs between threads and tasks: sending a request and waiting for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, Final

import attrs

from .._checks import check_count
from .._client import ConnectedClient
from .._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitError,
    UsageError,
    VTError,
)
from .._paging import DEFAULT_RELATIONSHIP, AnyClient, Walk, get_catalog
from .._transport import TransportStats
from .checkpoint import Checkpoint, Skipper
from .distinct import Distinct
from .ioc import IOC, Kind, Unreadable, classify
from .results import IOCResult, Status
from .stats import RunStats, Stats, snapshot

END: Final = object()  # what a runner feeds when the input is over

# Indicators in a row failing to reach the API after their retries, at which the run
# stops (APIConnectionError) instead of marking a whole list as failed while offline.
_OFFLINE_STREAK: Final = 10


def operation(
    kind: Kind, descriptors: bool, relationship: str = DEFAULT_RELATIONSHIP
) -> ModuleType:
    """The catalog's operation listing `relationship` of a `kind` object (the API's
    collection), or its descriptors; `UsageError` naming what exists when there is none."""
    return get_catalog().find(kind, relationship, descriptors=descriptors).module


def check_relationship(relationship: object) -> str:
    """`relationship`, when some collection of the catalog has it; else a `UsageError`."""
    known = get_catalog().relationships()
    if not isinstance(relationship, str) or relationship not in known:
        raise UsageError(f"relationship must be one of {', '.join(known)}, not {relationship!r}")
    return relationship


def _transport(client: AnyClient) -> TransportStats:
    """The transport counts of a client `connect()` made; zeros for any other client."""
    return client.stats if isinstance(client, ConnectedClient) else TransportStats()


def is_fatal(error: VTError) -> bool:
    """Whether `error` dooms every indicator of the run, not just this one: the key is
    refused (401, 403), or a limit is hit beyond what the client waits for: the server's
    (429, after the retries) or the client's own quota (nothing sent)."""
    if isinstance(
        error, AuthenticationError | ForbiddenError | RateLimitError | QuotaExhaustedError
    ):
        return True
    # A 403 whose body named no code (a proxy's page) refuses the key all the same.
    return isinstance(error, APIError) and error.status_code in (401, 403)


@attrs.define
class Job:
    """One indicator to walk, and what its walk has gathered so far."""

    index: int
    ioc: IOC
    text: str
    walk: Walk
    references: list[Any] = attrs.field(factory=list)
    count: int | None = None
    pages: int = 0

    def take(self, page: Any) -> None:
        if self.pages == 0:
            meta_count = getattr(getattr(page, "meta", None), "count", None)
            self.count = meta_count if isinstance(meta_count, int) else None
        self.pages += 1
        self.references.extend(page.data)


class Run:
    """The settings and the state of one bulk run, shared by its workers."""

    def __init__(
        self,
        client: AnyClient,
        *,
        concurrency: int,
        max_items_per_ioc: int | None,
        descriptors: bool,
        page_size: int | None,
        checkpoint: Checkpoint | str | os.PathLike[str] | None,
        retry_errors: bool,
        record: bool = True,
        restart: bool = False,
        relationship: str = DEFAULT_RELATIONSHIP,
    ) -> None:
        if not isinstance(client, AnyClient):
            raise UsageError(f"client must come from vt_refs.connect(), not {client!r}")
        check_count("concurrency", concurrency, 1)
        check_count("max_items_per_ioc", max_items_per_ioc, 0, optional=True)
        check_count("page_size", page_size, 1, optional=True)
        if not isinstance(descriptors, bool):
            raise UsageError(f"descriptors must be a bool, not {descriptors!r}")
        self.client = client
        self.concurrency = concurrency
        self.max_items = max_items_per_ioc
        self.descriptors = descriptors
        self.relationship = check_relationship(relationship)
        for entry in get_catalog().entries:  # over the API's maximum: refused before any read
            if (entry.relationship, entry.descriptors) == (relationship, descriptors):
                entry.check_page_size(page_size)
        self.page_size = page_size
        self.record_results = record
        if not (checkpoint is None or isinstance(checkpoint, Checkpoint | str | os.PathLike)):
            raise UsageError(f"checkpoint must be a path, not {checkpoint!r}")
        self._checkpoint_given = checkpoint
        self.checkpoint: Checkpoint | None = None
        self._retry_errors = retry_errors
        self._restart = restart
        self._skipper: Skipper | None = None
        self.stats = Stats()
        self._transport_before = TransportStats()
        self._final: RunStats | None = None  # the figures, frozen when the run ends
        self.stopping = threading.Event()
        # A stop asked for from outside (Ctrl-C): the runner is woken to notice it, calls
        # `on_stop` with the walks still in flight, and hands over what they finish.
        self.on_stop: Callable[[int], None] | None = None
        self.wake: Callable[[], None] | None = None
        self.abandoned = False  # do not wait for the walks in flight at all
        self.in_flight = 0  # walks waiting on a request now
        self._in_flight_at_stop = 0
        self._lock = threading.Lock()
        self._offline = 0
        self.fatal_error: VTError | None = None
        self._index = 0  # the input position of the next item read
        self._exhausted = False
        self.outstanding = 0  # walks handed to the runner and not yet finished
        self.distinct = Distinct()  # each (kind, id) walked once

    def open(self) -> None:
        """Open the checkpoint: done when the run starts, not when it is set up, so an
        enrich() never iterated holds no lock on the file."""
        self.stats = Stats()
        self._transport_before = _transport(self.client)
        self._final = None
        given = self._checkpoint_given
        if given is None:
            return
        self.checkpoint = (
            given
            if isinstance(given, Checkpoint)
            else Checkpoint(given, self.settings(), restart=self._restart)
        )
        self._skipper = Skipper(self.checkpoint, retry_errors=self._retry_errors)

    def settings(self) -> dict[str, Any]:
        """What makes two runs' results comparable, kept in the checkpoint."""
        return {
            "descriptors": self.descriptors,
            "max_items_per_ioc": self.max_items,
            "relationship": self.relationship,
        }

    def prepare(self, index: int, item: object) -> Job | IOCResult | None:
        """What input item `index` needs: None (finished before, or a duplicate held for
        its first), a result (it did not classify, or it is a duplicate), or a walk."""
        if isinstance(item, Unreadable):
            if self._skipper is not None and self._skipper.finished(index, item.text):
                return None
            return IOCResult(index, item.text, "invalid", error=UsageError(item.reason),
                             text=item.text)  # fmt: skip
        text = item.value if isinstance(item, IOC) else item
        if not isinstance(text, str):
            raise UsageError(f"iocs[{index}] must be a str or an IOC, not {type(item).__name__}")
        text = text.strip()
        finished = self._skipper is not None and self._skipper.finished(index, text)
        try:
            ioc = classify(item)  # type: ignore[arg-type]  # an IOC passes through
        except UsageError as error:
            return None if finished else IOCResult(index, text, "invalid", error=error, text=text)
        # A finished item is keyed too: a later spelling of it, unfinished, is its duplicate.
        first = self.distinct.first(ioc, index)
        if finished:
            return None
        if first is not None:
            duplicate = IOCResult(index, ioc, "duplicate", text=text, duplicate_of=first)
            return self.distinct.duplicate(duplicate)
        try:
            walk = Walk(
                operation(ioc.kind, self.descriptors, self.relationship),
                self.client,
                max_items=self.max_items,
                page_size=self.page_size,
                cursor=None,
                params={"id": ioc.id},
            )
        except UsageError as error:
            return IOCResult(index, text, "invalid", error=error, text=text)
        self.distinct.walking(index)
        return Job(index, ioc, text, walk)

    def wants_input(self, ahead: int) -> bool:
        """Whether to read another item: the run goes on, the input is not over, and
        fewer than `ahead` walks are waiting or running."""
        return (
            self.fatal_error is None
            and not self.stopping.is_set()
            and not self._exhausted
            and self.outstanding < ahead
            and not self.distinct.full
        )

    def feed(self, item: object) -> Job | IOCResult | None:
        """`item`, the next of the input (`END` when it is over), prepared: a walk for the
        runner to start, a result to hand over at once, or None (nothing to do)."""
        if item is END:
            self._exhausted = True
            return None
        prepared = self.prepare(self._index, item)
        self._index += 1
        if isinstance(prepared, Job):
            self.outstanding += 1
        return prepared

    def finished(self, result: IOCResult | None) -> IOCResult | None:
        """A walk ended with `result` (None: stopped); the result to hand over, if any."""
        self.outstanding -= 1
        return result if self.settle(result) else None

    def deliver(self, result: IOCResult) -> Iterator[IOCResult]:
        """Yield `result`, then the duplicates held for it; record each once the consumer
        comes back for the next one (the runners `yield from`, or loop over, this)."""
        yield self.counted(result)
        self.handed_over(result)
        for duplicate in self.distinct.release(result.index):
            yield self.counted(duplicate)
            self.handed_over(duplicate)

    def snapshot(self) -> RunStats:
        """What the run did and spent so far (`RunStats`); once it ended, what it did."""
        if self._final is not None:
            return self._final
        return snapshot(self.stats, _transport(self.client) - self._transport_before)

    def end(self) -> None:
        """Raise what ended the run early, if anything did."""
        if self.fatal_error is not None:
            raise self.fatal_error

    def count_request(self) -> None:
        with self._lock:
            self.stats.pages += 1

    def sending(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta

    def request_stop(self) -> None:
        """Start no new walk or request; let the requests in flight finish, and hand over
        the walks they complete. Thread-safe (but not for a signal handler: it takes locks)."""
        with self._lock:
            self._in_flight_at_stop = self.in_flight
        self.stopping.set()
        wake = self.wake
        if wake is not None:
            wake()

    def stop_noticed(self) -> None:
        """The runner saw the stop: tell `on_stop` (once) how many requests were in flight
        when it was asked for."""
        on_stop, self.on_stop = self.on_stop, None
        if on_stop is not None:
            on_stop(self._in_flight_at_stop)

    def result(self, job: Job, error: VTError | None) -> IOCResult:
        """The result of a walk that ended, well or with `error`."""
        status: Status = "ok"
        if isinstance(error, NotFoundError) and job.pages == 0:
            status = "not_found"
        elif isinstance(error, APIError) and error.status_code == 400 and job.pages == 0:
            status = "invalid"  # the API refused the id itself
        elif error is not None:
            status = "error"
        return IOCResult(job.index, job.ioc, status, job.references, job.count, error, job.text)

    def settle(self, result: IOCResult | None) -> bool:
        """Whether `result` goes to the consumer. A fatal one ends the run (it is kept in
        `fatal_error`); once the run is ending only final results go, since an error
        then may share the fatal cause and must be retried by a rerun."""
        if result is None:  # a walk the run stopped
            return False
        error = self.fatal(result)
        if error is not None:
            if self.fatal_error is None:
                self.fatal_error = error
                self.stopping.set()
            return False
        return self.fatal_error is None or result.status != "error"

    def fatal(self, result: IOCResult) -> VTError | None:
        """The error that ends the whole run after `result`, or None."""
        error = result.error
        if error is not None and is_fatal(error):
            return error
        with self._lock:
            offline = isinstance(error, APIConnectionError)
            self._offline = self._offline + 1 if offline else 0
            if self._offline >= max(_OFFLINE_STREAK, self.concurrency) and error is not None:
                return error
        return None

    def counted(self, result: IOCResult) -> IOCResult:
        """`result`, added to the totals as it is about to be handed over."""
        self.stats.statuses[result.status] += 1
        self.stats.references += len(result.references)
        return result

    def handed_over(self, result: IOCResult) -> None:
        """Record `result` as finished, when this run records its own results: called
        only once the consumer came back for the next one."""
        if self.record_results and self.checkpoint is not None:
            self.checkpoint.record(result)

    def close(self) -> None:
        self.stopping.set()
        self._final = self.snapshot()  # later use of the client is no longer this run's
        self.distinct.close()
        owned = not isinstance(self._checkpoint_given, Checkpoint)
        if owned and self.checkpoint is not None:
            self.checkpoint.close()
