"""One run of `vt-refs bulk`: a thin shell over the bulk engine.

It opens the input, the checkpoint and the output, runs `vt_refs.enrich`'s engine, and
for each result writes its lines and records it in the checkpoint with the output's
new length, both inside one block that no signal can split. Ctrl-C and SIGTERM stop it
cleanly (`bulk_stop`). Then it reports: a summary, the failures (at most 20, by line),
the command that retries them, the command that resumes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from typing import BinaryIO, Final, TextIO

from .._bulk import Checkpoint, IOCResult, Run, RunStats, check_relationship, sync_results
from .._client import connect
from .._env import API_KEY_ENV
from .._errors import VTError
from .._transport import quota_of
from .args import key_from
from .bulk_args import DOCUMENT_FORMATS, BulkOptions
from .bulk_command import command, retry_command
from .bulk_document import DocumentOutput
from .bulk_document import encode as keep
from .bulk_input import Source
from .bulk_io import Output
from .bulk_output import Encode, encoder
from .bulk_progress import BulkProgress, waits_shown
from .bulk_stop import Abandoned, Stopper
from .drift import drift_warnings
from .errors import (
    INTERRUPTED,
    OK,
    OUTPUT_CLOSED,
    OUTPUT_FAILED,
    TERMINATED,
    USAGE,
    Reporter,
    describe,
    describe_unexpected,
)
from .notices import warnings_to
from .output import OutputError
from .stdio import discard_stdout, isatty, line_writer

FAILED: Final = 6  # some indicators invalid or failed; the rest done
_LISTED: Final = 20


class _Tally:
    """What the report at the end needs: the failures, the first of them listed."""

    def __init__(self) -> None:
        self.failed: list[IOCResult] = []
        self.failures = 0
        self.retriable = 0

    def add(self, result: IOCResult) -> None:
        if result.ok:
            return
        self.failures += 1
        self.retriable += result.status == "error"
        if len(self.failed) < _LISTED:
            self.failed.append(result)


def _stopped_status(signum: int | None) -> int:
    return TERMINATED if signum == signal.SIGTERM else INTERRUPTED


def run_bulk(options: BulkOptions, *, stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO) -> int:
    """Enrich what `options` names; returns the exit status."""
    key = key_from(options.api_key)
    report = Reporter(line_writer(stderr))
    if options.plan:  # sends nothing, so it needs no key (only --cache's lookups use it)
        from .bulk_plan import run_plan

        return run_plan(options, key, report, stdin=stdin, stdout=stdout, stderr=stderr)
    if key is None:
        report.line(
            f"no VirusTotal API key: set the {API_KEY_ENV} environment variable "
            "(or pass --api-key, which other users can see in `ps`)"
        )
        return USAGE
    stopper = Stopper()
    with stopper.installed():
        return _run(options, key, stopper, report, stdin=stdin, stdout=stdout, stderr=stderr)


def _run(options: BulkOptions, key: str, stopper: Stopper, report: Reporter, *,
         stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO) -> int:  # fmt: skip
    checkpoint: Checkpoint | None = None
    output: Output | DocumentOutput | None = None
    try:
        check_relationship(options.relationship)  # before any file is opened
        source = Source(options.source, stdin)
        if options.checkpoint is not None:
            checkpoint = Checkpoint(options.checkpoint, _settings(options, source),
                                    restart=options.restart)  # fmt: skip
        force = options.force or options.restart
        encode: Encode = keep
        if options.format in DOCUMENT_FORMATS:
            output = DocumentOutput(options.format, options.out, stdout, checkpoint,
                                    force=force, descriptors=options.descriptors)  # fmt: skip
        else:
            header, encode = encoder(options.format)
            output = Output(options.out, stdout, checkpoint, header, append=options.append,
                            force=force)  # fmt: skip
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        if checkpoint is not None:
            checkpoint.close()
        return status
    except KeyboardInterrupt:
        if checkpoint is not None:
            checkpoint.close()
        report.line("interrupted before the run started")
        return _stopped_status(stopper.signum)
    before = {} if checkpoint is None else checkpoint.counts()
    if options.retry_errors:
        before.pop("error", None)
    done_before = sum(before.values())
    shown = isatty(stderr)
    quota = quota_of(options.connection.get("quota"), options.connection.get("requests_per_minute"))
    progress = BulkProgress(stderr, enabled=shown, total=source.count() if shown else None,
                            done=done_before, quota=quota)  # fmt: skip
    tally = _Tally()
    status, message = OK, ""
    run: Run | None = None
    started = time.monotonic()

    def say_stopping(in_flight: int) -> None:
        progress.clear()
        report.line(stopper.stopping_line(in_flight))

    try:
        with (
            warnings_to(report),
            waits_shown(progress),
            drift_warnings(report, progress.clear),
            connect(key, **options.connection) as client,
        ):
            run = Run(
                client,
                concurrency=options.concurrency,
                max_items_per_ioc=options.max_items_per_ioc,
                descriptors=options.descriptors,
                relationship=options.relationship,
                page_size=options.page_size,
                checkpoint=checkpoint,
                retry_errors=options.retry_errors,
                record=False,  # recorded below, with the output's length
            )
            run.on_stop = say_stopping
            stopper.attach(run)
            with contextlib.closing(sync_results(run, source.items())) as results:
                for result in results:
                    data = encode(result)
                    with stopper.critical():
                        output.write(data)
                        if checkpoint is not None:
                            checkpoint.record(result, output_size=output.size,
                                              payload=output.payload)  # fmt: skip
                    tally.add(result)
                    if shown:  # a snapshot per result costs ~30 us; with no bar, nobody reads it
                        progress.update(run.snapshot(), errors=tally.failures)
        if stopper.signum is not None:
            status = _stopped_status(stopper.signum)
    except Abandoned as stop:
        status = _stopped_status(stop.signum if stopper.signum is None else stopper.signum)
    except KeyboardInterrupt:
        status = _stopped_status(stopper.signum)
    except BrokenPipeError:
        progress.close()
        discard_stdout()
        return OUTPUT_CLOSED
    except OSError as error:
        status, message = describe(OutputError(f"cannot write output: {error.strerror or error}"))
    except VTError as error:
        status, message = describe(error)
        if stopper.signum is not None and run is not None and run.stopping.is_set():
            status = _stopped_status(stopper.signum)
    except Exception as error:  # a bug: still one line, and where to resume
        status, message = describe_unexpected(error, key)
    finally:
        progress.close()
        output.close()  # a document format writes its document here
        if checkpoint is not None:
            checkpoint.close()
    if isinstance(output, DocumentOutput) and output.failure is not None and status == OK:
        status, message = describe(output.failure)
    earlier = before.get("invalid", 0) + before.get("error", 0)
    if status == OK and (tally.failures or earlier):
        status = FAILED
    _report_end(report, options, source, status, message, run, tally,
                time.monotonic() - started, done_before)  # fmt: skip
    if earlier:
        report.line(f"{earlier} indicators failed in earlier runs (status in the output)")
    return status


def _settings(options: BulkOptions, source: Source) -> dict[str, object]:
    """What a checkpoint must share with the run resuming it. The input is kept by its
    kind only: its items are checked one by one as the run goes, so an input that grew
    by appended lines is resumed, one that changed is refused."""
    return {
        "input": source.kind,
        "format": options.format,
        "out": "-" if options.out is None else os.path.abspath(options.out),
        "descriptors": options.descriptors,
        "max_items_per_ioc": options.max_items_per_ioc,
        "relationship": options.relationship,
    }


def summary(stats: RunStats, statuses: dict[str, int], seconds: float, resumed: str) -> str:
    """The run's one summary line: what it did, then what it spent, each figure apart
    (requests sent, answers from the cache, retries, 429s and waiting, duplicates)."""
    counts = ", ".join(f"{statuses[name]} {name}" for name in statuses)
    rate = stats.requests / max(seconds, 1e-9) * 60
    return (
        f"{stats.indicators} indicators{resumed}: {counts}; {stats.requests} requests sent "
        f"({rate:.0f}/min) in {seconds:.1f} s; {stats.cache_hits} answers from the cache; "
        f"{stats.retries} retries; {stats.rate_limited} 429s met, "
        f"{stats.quota_wait_seconds:.1f} s waiting for quota; "
        f"{stats.duplicates} duplicates skipped"
    )


def _failure(result: IOCResult, source: Source) -> str:
    """`invalid: line 3: not an indicator ...: 'URLs:'`: the text once, in the reason."""
    reason = str(result.error) if result.error is not None else "no reason given"
    if result.text and repr(result.text)[:40] not in reason and result.text not in reason:
        reason = f"{result.text}: {reason}"
    return f"{result.status}: line {source.line_of(result.index)}: {reason}"


def _report_end(
    report: Reporter,
    options: BulkOptions,
    source: Source,
    status: int,
    message: str,
    run: Run | None,
    tally: _Tally,
    seconds: float,
    done_before: int,
) -> None:
    if run is not None:
        resumed = f" ({done_before} finished before)" if done_before else ""
        report.line(summary(run.snapshot(), run.stats.statuses, seconds, resumed))
    for result in tally.failed:
        report.line(_failure(result, source))
    if tally.failures > len(tally.failed):
        report.line(f"... and {tally.failures - len(tally.failed)} more")
    if tally.retriable:
        failed = [r.text for r in tally.failed if r.status == "error"]
        retry = retry_command(options.argv, options.source, out=options.out,
                              checkpoint=options.checkpoint is not None, failed=failed,
                              more=tally.retriable - len(failed))  # fmt: skip
        report.line(f"retry the failed ones with: {retry}")
    if status in (OK, FAILED):
        return
    stopped = status in (INTERRUPTED, TERMINATED)
    if not stopped:
        report.line(message)
    if run is None and not stopped:  # it failed before any work (connect() refused)
        return
    how = {INTERRUPTED: "interrupted", TERMINATED: "stopped by SIGTERM"}.get(status, "stopped")
    if options.checkpoint is None:
        report.line(f"{how}; without --checkpoint a rerun starts over")
        return
    stdin = " (with the same input on stdin)" if options.source == "-" else ""
    report.line(f"{how}; resume with: {command(options.argv, options.source)}{stdin}")


__all__ = ["FAILED", "OUTPUT_FAILED", "command", "run_bulk"]
