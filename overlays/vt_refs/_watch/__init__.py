"""Watch: which references of a case's indicators are new since the last look.

Above bulk, beside the exports: `run` fetches (bulk's engine, the cache passed by) and
compares with `state`, the SQLite file of what each indicator had. `vt_refs.watch` is
the library's entry; the CLI's `vt-refs watch` uses the same pieces, recording a run's
answers only once its output is written.
"""

from __future__ import annotations

from .run import DEFAULT_FORGET_AFTER, Seen, answers, check_forget_after, fetch, watch
from .state import WatchState

__all__ = [
    "DEFAULT_FORGET_AFTER",
    "Seen",
    "WatchState",
    "answers",
    "check_forget_after",
    "fetch",
    "watch",
]
