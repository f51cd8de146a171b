"""One run of `vt-refs watch`: fetch, compare with the state, write what is new, record.

The order is what makes a rerun safe: the whole run is fetched first (nothing written,
nothing recorded: a run killed then leaves no trace); then the new references are
written, and only then is the run's every answer recorded. For `--out FILE` the output
goes to a temporary file, which is recorded in the state together with the answers and
renamed after, and the next run finishes a rename a kill interrupted: each new reference
is written exactly once. On stdout, a kill between the write and the record (a moment)
may write a run's references once more next time.
"""

from __future__ import annotations

import io
import os
import stat
import time
from typing import BinaryIO, TextIO

from .._bulk import IOCResult, Run
from .._client import connect
from .._env import API_KEY_ENV
from .._errors import VTError
from .._watch import Seen, WatchState, answers, fetch
from ..export import to_csv, to_jsonl, write_misp, write_stix
from .args import key_from
from .bulk import FAILED
from .bulk_input import Source
from .drift import drift_warnings
from .errors import INTERRUPTED, OK, OUTPUT_CLOSED, USAGE, Reporter, describe
from .notices import warnings_to
from .output import OutputError
from .stdio import discard_stdout, line_writer
from .watch_args import NEW_FOUND, WatchFormat, WatchOptions

_LISTED = 20


def document(format: WatchFormat, results: list[IOCResult]) -> bytes:
    """The run's output: `results` (their new references) in `format`."""
    if format in ("jsonl", "csv"):
        lines = to_jsonl(results) if format == "jsonl" else to_csv(results)
        return "".join(lines).encode("utf-8")
    buffer = io.BytesIO()
    (write_stix if format == "stix" else write_misp)(results, buffer)
    return buffer.getvalue()


def _regular_or_absent(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True


def _finish_pending(state: WatchState) -> None:
    """Rename the output of a run killed between recording it and renaming it."""
    pending = state.pending
    if pending is None:
        return
    temporary, out = pending
    if os.path.exists(temporary):
        os.replace(temporary, out)
    state.clear_pending()


def _emit(data: bytes, options: WatchOptions, state: WatchState, seen: list[Seen],
          stdout: BinaryIO) -> None:  # fmt: skip
    """Write `data`, then record the run (see the module for the order)."""
    now, watched = time.time(), [item.key for item in seen if item.key is not None]

    def record(pending: tuple[str, str] | None = None) -> None:
        state.record(answers(seen), now=now, forget_after=options.forget_after,
                     watched=watched, pending=pending)  # fmt: skip

    out = options.out
    if out is None or not _regular_or_absent(out):
        if out is None:
            stdout.write(data)
            stdout.flush()
        else:  # a device or a FIFO: written as a stream
            with open(out, "wb") as stream:
                stream.write(data)
        record()
        return
    folder, name = os.path.split(os.path.abspath(out))
    temporary = os.path.join(folder, f".{name}.part")
    with open(temporary, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    record(pending=(temporary, out))
    os.replace(temporary, out)
    state.clear_pending()


def run_watch(options: WatchOptions, *, stdin: BinaryIO, stdout: BinaryIO,
              stderr: TextIO) -> int:  # fmt: skip
    """Watch what `options` names; returns the exit status."""
    report = Reporter(line_writer(stderr))
    key = key_from(options.api_key)
    if key is None:
        report.line(f"no VirusTotal API key: set the {API_KEY_ENV} environment variable "
                    "(or pass --api-key, which other users can see in `ps`)")  # fmt: skip
        return USAGE
    state: WatchState | None = None
    try:
        source = Source(options.source, stdin)
        state = WatchState(options.state)
        _finish_pending(state)
        return _run(options, key, source, state, report, stdout)
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        return status
    except OSError as error:
        status, message = describe(OutputError(f"cannot write output: {error.strerror or error}"))
        report.line(message)
        return status
    finally:
        if state is not None:
            state.close()


def _run(options: WatchOptions, key: str, source: Source, state: WatchState,
         report: Reporter, stdout: BinaryIO) -> int:  # fmt: skip
    fresh, started = state.fresh, time.monotonic()
    runs: list[Run] = []
    seen: list[Seen] = []
    try:
        with (
            warnings_to(report),
            drift_warnings(report, lambda: None),
            connect(key, **options.connection) as client,
        ):
            seen.extend(fetch(client, source.items(), state, baseline=options.baseline,
                              concurrency=options.concurrency, page_size=options.page_size,
                              on_run=runs.append))  # fmt: skip
    except KeyboardInterrupt:
        report.line("interrupted: nothing written, nothing recorded (run it again)")
        return INTERRUPTED
    except VTError as error:
        status, message = describe(error)
        report.line(f"{message}; nothing written, nothing recorded")
        return status
    new = [item.handed() for item in seen if item.new]
    try:
        _emit(document(options.format, new), options, state, seen, stdout)
    except BrokenPipeError:
        discard_stdout()
        return OUTPUT_CLOSED
    failed = [item.result for item in seen if not item.result.ok]
    _summary(report, options, seen, failed, fresh, runs, time.monotonic() - started)
    if options.fail_on_new and new:
        return NEW_FOUND
    return FAILED if failed else OK


def _summary(report: Reporter, options: WatchOptions, seen: list[Seen], failed: list[IOCResult],
             fresh: bool, runs: list[Run], seconds: float) -> None:  # fmt: skip
    total = sum(len(item.new) for item in seen)
    requests = runs[0].snapshot().requests if runs else 0
    note = ""
    if options.baseline:
        note = f" (baseline: {sum(len(i.result.references) for i in seen)} recorded)"
    elif fresh:
        note = " (a new state: every reference is new)"
    report.line(f"watch: {len(seen)} indicators, {total} new references{note}; "
                f"{requests} requests in {seconds:.1f} s")  # fmt: skip
    for item in sorted(seen, key=lambda found: found.result.index):
        if item.new:
            report.line(f"{len(item.new)} new for {item.result.text}")
    for result in failed[:_LISTED]:
        report.line(f"{result.status}: {result.text}: {result.error or 'no reason given'}")
    if len(failed) > _LISTED:
        report.line(f"... and {len(failed) - _LISTED} more")
