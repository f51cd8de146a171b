"""The runners of a bulk run: worker threads (`sync_results`) or tasks (`async_results`).

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
import queue
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Final

from .._errors import VTError
from .._paging import async_pages, sync_pages
from .._transport import RUN_STOPPING
from .engine import END, Job, Run
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


__all__ = ["async_results", "sync_results"]
