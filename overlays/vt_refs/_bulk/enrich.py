"""`enrich` and `aenrich`: many indicators, at most `concurrency` requests in flight.

The sync runner uses a thread pool and the async one tasks; both drive the same `Run`
(what each item needs, how a walk ends, what is fatal, what is recorded). Neither
wraps an event loop, so `enrich` works from plain code, from threads and inside a
running loop (a notebook), and `aenrich` in any loop.

Results come in the order walks finish, not the input's: a slow indicator holds up no
other (`IOCResult.index` gives the input position). A result is recorded in the
checkpoint only when the consumer comes back for the next one, so a crash or a `break`
never marks as finished what was not handed over.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import Final, Literal, overload

from vt_refs_api.models import ObjectDescriptor, Reference

from .._errors import UsageError, VTError
from .._paging import AnyClient, async_pages, sync_pages
from .._transport import RUN_STOPPING
from .checkpoint import Checkpoint
from .engine import END, Job, Run
from .ioc import IOC
from .iterators import AsyncEnrichment, Enrichment
from .results import IOCResult


def _ended(run: Run, job: Job, error: VTError) -> IOCResult | None:
    """The result of a walk that failed; None when the run was stopping: its retries were
    cut short, so the failure says nothing of the indicator, which a rerun runs again."""
    result = run.result(job, error)
    return None if result.status == "error" and run.stopping.is_set() else result


def _walk_sync(run: Run, job: Job) -> IOCResult | None:
    """Walk `job`'s pages with the helpers' own page loop (each `next` sends one
    request, and holds nothing but the walk); None when the run stopped first."""
    RUN_STOPPING.set(run.stopping)  # this thread's requests wait on no retry once it is set
    pages = sync_pages(job.walk, run.client)
    try:
        while not job.walk.done:
            if run.stopping.is_set():
                return None
            run.count_request()
            run.sending(1)
            try:
                job.take(next(pages))
            finally:
                run.sending(-1)
    except VTError as error:
        return _ended(run, job, error)
    return run.result(job, None)


async def _walk_async(run: Run, job: Job) -> IOCResult | None:
    """The async twin of `_walk_sync`."""
    RUN_STOPPING.set(run.stopping)  # this task's requests wait on no retry once it is set
    pages = async_pages(job.walk, run.client)
    try:
        while not job.walk.done:
            if run.stopping.is_set():
                return None
            run.count_request()
            run.sending(1)
            try:
                job.take(await anext(pages))
            finally:
                run.sending(-1)
    except VTError as error:
        return _ended(run, job, error)
    return run.result(job, None)


_WAKE: Final = object()  # put in the results queue by `Run.request_stop`


class _Crash:
    """A worker's unexpected exception, carried to the consumer to be raised there."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _worker(run: Run, jobs: queue.SimpleQueue[Job | None],
            results: queue.SimpleQueue[object]) -> None:  # fmt: skip
    """Walk jobs until told to stop: a worker takes its next job itself the moment a
    walk ends, rather than waiting for the consumer to hand one over."""
    while (job := jobs.get()) is not None:
        try:
            results.put(_walk_sync(run, job))
        except BaseException as error:  # a bug: the consumer raises it
            results.put(_Crash(error))


def sync_results(run: Run, iocs: Iterator[object]) -> Generator[IOCResult, None, None]:
    """Run `run` over `iocs` with `concurrency` worker threads.

    At most `concurrency` walks (so requests) run at once.
    """
    jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
    results: queue.SimpleQueue[object] = queue.SimpleQueue()
    workers = [
        threading.Thread(
            target=_worker, args=(run, jobs, results), daemon=True, name=f"vt-refs-enrich-{n}"
        )
        for n in range(run.concurrency)
    ]
    run.wake = lambda: results.put(_WAKE)
    try:
        run.open()
        for worker in workers:
            worker.start()
        while True:
            # Jobs queued ahead of the workers, so none waits for this loop between walks.
            while run.wants_input(ahead=2 * run.concurrency):
                prepared = run.feed(next(iocs, END))
                if isinstance(prepared, IOCResult):
                    yield from run.deliver(prepared)
                elif prepared is not None:
                    jobs.put(prepared)
            if not run.outstanding:
                break
            outcome = results.get()
            if outcome is _WAKE:  # a stop from outside: the walks in flight go on
                run.stop_noticed()
                continue
            if isinstance(outcome, _Crash):
                raise outcome.error
            assert outcome is None or isinstance(outcome, IOCResult)
            if (result := run.finished(outcome)) is not None:
                yield from run.deliver(result)
        run.end()
    finally:
        run.wake = None
        run.stopping.set()  # queued jobs end at once; walks end after their request
        for _ in workers:
            jobs.put(None)
        for worker in workers:
            if worker.is_alive() and not run.abandoned:
                worker.join()
        run.close()


async def async_results(
    run: Run, iocs: AsyncIterator[object] | Iterator[object]
) -> AsyncIterator[IOCResult]:
    """Run `run` over `iocs` with a task per walk in flight."""
    pending: set[asyncio.Task[IOCResult | None]] = set()
    try:
        run.open()
        while True:
            while run.wants_input(ahead=run.concurrency):
                if isinstance(iocs, AsyncIterator):
                    prepared = run.feed(await anext(iocs, END))
                else:
                    prepared = run.feed(next(iocs, END))
                if isinstance(prepared, IOCResult):
                    for handed in run.deliver(prepared):
                        yield handed
                elif prepared is not None:
                    pending.add(asyncio.ensure_future(_walk_async(run, prepared)))
            if not run.outstanding:
                break
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if (result := run.finished(task.result())) is not None:
                    for handed in run.deliver(result):
                        yield handed
        run.end()
    finally:
        run.stopping.set()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        run.close()


def _iocs(iocs: object) -> object:
    if isinstance(iocs, str | bytes | IOC):
        raise UsageError("iocs must be an iterable of indicators, not a single indicator")
    return iocs


# descriptors=True walks the `_descriptors` operations, whose items are ObjectDescriptor.
@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[False] = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> Enrichment[IOCResult[Reference]]: ...


@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[True],
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> Enrichment[IOCResult[ObjectDescriptor]]: ...


@overload
def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> Enrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]: ...


def enrich(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    concurrency: int = 8,
    max_items_per_ioc: int | None = None,
    descriptors: bool = False,
    checkpoint: str | os.PathLike[str] | None = None,
    page_size: int | None = None,
    retry_errors: bool = False,
    restart: bool = False,
) -> Enrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]:
    """One `IOCResult` per indicator of `iocs`, as their walks finish.

    `iocs` (strings, classified with `classify`, or `IOC`s) is read lazily, a few items
    ahead of the walks. At most `concurrency` requests are in flight. `checkpoint` is
    a SQLite file: finished indicators are recorded there, and a rerun with the same
    input skips them (`retry_errors=True` retries those that ended in `"error"`); a
    checkpoint of another run (another input, other options) is a `UsageError` unless
    `restart=True`, which empties it first. Items appended to the input since are
    simply new: the run resumes and goes on with them.
    A refused key (401, 403) or a spent quota ends the run: the results handed over are
    recorded, and the error is raised. Each distinct indicator is walked once: a later
    item with the same `(kind, id)` is a `"duplicate"` result, after its first, at no
    request. Pages are full (the API's maximum); `page_size` is sent as `limit` instead.

    The iterator returned has `.stats`, the run's `RunStats` so far: requests sent,
    answers from the cache, retries, 429s met and time waiting, duplicates skipped.

    Each result's `references` are `vt_refs_api.models.Reference` models
    (`IOCResult[Reference]`), or with `descriptors=True`, which walks the `_descriptors`
    operations, `vt_refs_api.models.ObjectDescriptor` ones (`IOCResult[ObjectDescriptor]`).
    """
    run = Run(
        client,
        concurrency=concurrency,
        max_items_per_ioc=max_items_per_ioc,
        descriptors=descriptors,
        page_size=page_size,
        checkpoint=checkpoint,
        retry_errors=retry_errors,
        restart=restart,
    )
    try:
        items = iter(_iocs(iocs))  # type: ignore[call-overload]
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None
    return Enrichment(sync_results(run, items), run.snapshot)


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[False] = ...,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> AsyncEnrichment[IOCResult[Reference]]: ...


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: Literal[True],
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> AsyncEnrichment[IOCResult[ObjectDescriptor]]: ...


@overload
def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = ...,
    max_items_per_ioc: int | None = ...,
    descriptors: bool,
    checkpoint: str | os.PathLike[str] | None = ...,
    page_size: int | None = ...,
    retry_errors: bool = ...,
    restart: bool = ...,
) -> AsyncEnrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]: ...


def aenrich(
    client: AnyClient,
    iocs: AsyncIterable[str | IOC] | Iterable[str | IOC],
    *,
    concurrency: int = 8,
    max_items_per_ioc: int | None = None,
    descriptors: bool = False,
    checkpoint: str | os.PathLike[str] | None = None,
    page_size: int | None = None,
    retry_errors: bool = False,
    restart: bool = False,
) -> AsyncEnrichment[IOCResult[Reference] | IOCResult[ObjectDescriptor]]:
    """The async twin of `enrich`: `iocs` may be an async iterable."""
    run = Run(
        client,
        concurrency=concurrency,
        max_items_per_ioc=max_items_per_ioc,
        descriptors=descriptors,
        page_size=page_size,
        checkpoint=checkpoint,
        retry_errors=retry_errors,
        restart=restart,
    )
    source = _iocs(iocs)
    if isinstance(source, AsyncIterable):
        return AsyncEnrichment(async_results(run, aiter(source)), run.snapshot)
    try:
        items = iter(source)  # type: ignore[call-overload]
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None
    return AsyncEnrichment(async_results(run, items), run.snapshot)


__all__ = ["Checkpoint", "aenrich", "async_results", "enrich", "sync_results"]
