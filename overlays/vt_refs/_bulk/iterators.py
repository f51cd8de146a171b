"""What `enrich` and `aenrich` return: the results as before, and the run's figures.

Iterating gives exactly what the runner's generator gives (results as walks finish,
each recorded once the consumer comes back for the next); `.stats` reads the run's
`RunStats` at any moment, during the run or after it, so a library user sees what the
CLI's summary says: requests sent, answers from the cache, retries, 429s and waiting,
duplicates skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, Self

from typing_extensions import TypeVar

from .results import IOCResult
from .stats import RunStats

R = TypeVar("R", bound=IOCResult, default=IOCResult, covariant=True)


class Enrichment(Iterator[R], Generic[R]):
    """The results of `vt_refs.enrich` (an iterator of `IOCResult`s) and the run's
    `stats`. `close()` ends the run early, as leaving a `for` loop does."""

    def __init__(self, results: Iterator[IOCResult], stats: Callable[[], RunStats]) -> None:
        self._results: Any = results
        self._stats = stats

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> R:
        result: R = next(self._results)
        return result

    def close(self) -> None:
        """Stop the run: the walks in flight end, what was handed over is recorded."""
        self._results.close()

    @property
    def stats(self) -> RunStats:
        """The run's figures so far (`RunStats`)."""
        return self._stats()


class AsyncEnrichment(AsyncIterator[R], Generic[R]):
    """The results of `vt_refs.aenrich` (an async iterator of `IOCResult`s) and the run's
    `stats`. `aclose()` ends the run early, as leaving an `async for` loop does."""

    def __init__(self, results: AsyncIterator[IOCResult], stats: Callable[[], RunStats]) -> None:
        self._results: Any = results
        self._stats = stats

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> R:
        result: R = await anext(self._results)
        return result

    async def aclose(self) -> None:
        """Stop the run: the walks in flight end, what was handed over is recorded."""
        await self._results.aclose()

    @property
    def stats(self) -> RunStats:
        """The run's figures so far (`RunStats`)."""
        return self._stats()
