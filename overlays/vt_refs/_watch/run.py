"""`watch`: the references of a case's indicators that are new since the last look.

A watch runs bulk's engine with every request passing the cache by (`Walk.skip_cache`),
within the client's retries and quota, and compares each indicator's whole answer with
its state (`WatchState`). What it hands over is each indicator's result with only the
new references; what it records is the whole answer, so that next time those are known.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from vt_refs_api.models import Reference

from .._bulk import IOC, IOCResult, Run, sync_results
from .._checks import check_number
from .._errors import UsageError
from .._paging import AnyClient, Walk
from .state import WatchState

DEFAULT_FORGET_AFTER = 90.0  # days


def indicator_key(result: IOCResult) -> str | None:
    """What the state keys an indicator by (`kind:value`, the normalised indicator, so
    two spellings of it are one); None for what did not classify."""
    ioc = result.ioc
    return f"{ioc.kind}:{ioc.value}" if isinstance(ioc, IOC) else None


class FreshRun(Run):
    """Bulk's run, with every request of every walk passing the cache by."""

    def prepare(self, index: int, item: object) -> Any:
        prepared = super().prepare(index, item)
        walk = getattr(prepared, "walk", None)
        if isinstance(walk, Walk):
            walk.skip_cache = True
        return prepared


def check_forget_after(value: object) -> float | None:
    """`forget_after` in days (> 0), or None for never."""
    if value is None:
        return None
    return float(check_number("forget_after", value, minimum=0, allow_equal=False))


@attrs.frozen
class Seen:
    """One indicator's outcome: its whole result, and the references new in it."""

    result: IOCResult
    new: list[Any]

    @property
    def key(self) -> str | None:
        return indicator_key(self.result)

    def handed(self) -> IOCResult:
        """The result as a watch hands it over: the new references only."""
        return attrs.evolve(self.result, references=list(self.new))


def fetch(client: AnyClient, iocs: Iterable[object], state: WatchState, *, baseline: bool,
          concurrency: int, page_size: int | None, on_run: Callable[[Run], None] | None = None,
          ) -> Iterator[Seen]:  # fmt: skip
    """Each indicator's `Seen`, as its walk finishes; nothing is recorded here."""
    run = FreshRun(client, concurrency=concurrency, max_items_per_ioc=None, descriptors=False,
                   page_size=page_size, checkpoint=None, retry_errors=False)  # fmt: skip
    if on_run is not None:
        on_run(run)
    try:
        items = iter(iocs)
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None
    with contextlib.closing(sync_results(run, items)) as results:
        for result in results:
            key = indicator_key(result)
            fetched = result.status == "ok" and key is not None and not baseline
            new = state.new_of(key, result.references) if fetched and key else []
            yield Seen(result, new)


def answers(seen: Iterable[Seen]) -> list[tuple[str, list[Any]]]:
    """What to record of `seen`: the whole answers of those that were fetched (an
    indicator the API does not know has an empty answer)."""
    return [(item.key, list(item.result.references)) for item in seen
            if item.key is not None and item.result.status in ("ok", "not_found")]  # fmt: skip


def watch(
    client: AnyClient,
    iocs: Iterable[str | IOC],
    *,
    state: str | os.PathLike[str],
    baseline: bool = False,
    forget_after: float | None = DEFAULT_FORGET_AFTER,
    concurrency: int = 8,
    page_size: int | None = None,
    clock: Callable[[], float] = time.time,
) -> Iterator[IOCResult[Reference]]:
    """The new references of `iocs`: an `IOCResult` for each indicator that has any, as
    its walk finishes, whose `references` are only the new ones: never seen for that
    indicator in `state` (a SQLite file), or seen with an earlier
    `last_modification_date`. An indicator that failed (`"invalid"`, `"error"`) comes
    too, so that nothing fails unseen; one with nothing new does not.

    Every request passes the client's cache by (the point is the API's answer now) and
    keeps to its quota. The first watch of a new state finds everything new;
    `baseline=True` finds nothing new and records what there is, to watch from now on.
    An indicator's whole answer is recorded once the consumer comes back for the next
    result, so a watch that dies part-way hands nothing over twice when run again. A
    reference out of its indicator's answer for `forget_after` days (None: never) is
    forgotten; the state holds ids and dates only, never a key. `clock` is the time
    recorded (seconds since the epoch), for tests.
    """
    if not isinstance(baseline, bool):
        raise UsageError(f"baseline must be a bool, not {baseline!r}")
    days = check_forget_after(forget_after)
    if isinstance(iocs, str | bytes | IOC):
        raise UsageError("iocs must be an iterable of indicators, not a single indicator")
    if not isinstance(state, str | os.PathLike):
        raise UsageError(f"state must be a path, not {state!r}")
    return _watch(client, iocs, state, baseline, days, concurrency, page_size, clock)


def _watch(client: AnyClient, iocs: Iterable[object], path: str | os.PathLike[str],
           baseline: bool, days: float | None, concurrency: int, page_size: int | None,
           clock: Callable[[], float]) -> Iterator[IOCResult[Reference]]:  # fmt: skip
    # Opened when the watch starts, not when it is set up: one never iterated holds no lock.
    state = WatchState(path)
    watched: list[str] = []
    try:
        for item in fetch(client, iocs, state, baseline=baseline, concurrency=concurrency,
                          page_size=page_size):  # fmt: skip
            if item.new or item.result.status in ("invalid", "error"):
                yield item.handed()
            if item.key is not None:
                watched.append(item.key)
            state.record(answers([item]), now=clock(), forget_after=days)
        state.record([], now=clock(), forget_after=days, watched=watched)
    finally:
        state.close()
