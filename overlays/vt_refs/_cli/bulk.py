"""One run of `vt-refs bulk`: a thin shell over the bulk engine.

It opens the input, the checkpoint and the output, runs `vt_refs.enrich`'s engine, and
for each result writes its lines and records it in the checkpoint with the output's
new length, both inside one block that Ctrl-C cannot split. Then it reports: a summary,
the failures (at most 20) with the command that retries them, the command that resumes.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from typing import BinaryIO, Final, TextIO

from .._bulk import Checkpoint, IOCResult, Run, sync_results
from .._client import connect
from .._env import API_KEY_ENV
from .._errors import VTError
from .args import key_from
from .bulk_args import BulkOptions
from .bulk_io import Output, Source
from .bulk_output import encoder
from .bulk_progress import BulkProgress
from .drift import drift_warnings
from .errors import (
    INTERRUPTED,
    OK,
    OUTPUT_CLOSED,
    OUTPUT_FAILED,
    USAGE,
    Reporter,
    describe,
    describe_unexpected,
)
from .interrupt import deferred_interrupt
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


def run_bulk(options: BulkOptions, *, stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO) -> int:
    """Enrich what `options` names; returns the exit status."""
    key = key_from(options.api_key)
    report = Reporter(line_writer(stderr))
    if key is None:
        report.line(
            f"no VirusTotal API key: set the {API_KEY_ENV} environment variable "
            "(or pass --api-key, which other users can see in `ps`)"
        )
        return USAGE
    checkpoint: Checkpoint | None = None
    output: Output | None = None
    try:
        source = Source(options.source, stdin)
        if options.checkpoint is not None:
            checkpoint = Checkpoint(options.checkpoint, _settings(options, source),
                                    restart=options.restart)  # fmt: skip
        header, encode = encoder(options.format)
        output = Output(options.out, stdout, checkpoint, header)
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        if checkpoint is not None:
            checkpoint.close()
        return status
    before = {} if checkpoint is None else checkpoint.counts()
    if options.retry_errors:
        before.pop("error", None)
    done_before = sum(before.values())
    progress = BulkProgress(stderr, enabled=isatty(stderr), total=source.total, done=done_before)
    tally = _Tally()
    status, message = OK, ""
    run: Run | None = None
    started = time.monotonic()
    try:
        with (
            warnings_to(report),
            drift_warnings(report, progress.clear),
            connect(key, **options.connection) as client,
        ):
            run = Run(
                client,
                concurrency=options.concurrency,
                max_items_per_ioc=options.max_items_per_ioc,
                descriptors=options.descriptors,
                page_size=options.page_size,
                checkpoint=checkpoint,
                retry_errors=options.retry_errors,
                record=False,  # recorded below, with the output's length
            )
            with contextlib.closing(sync_results(run, source.items())) as results:
                for result in results:
                    data = encode(result)
                    with deferred_interrupt():
                        output.write(data)
                        if checkpoint is not None:
                            checkpoint.record(result, output_size=output.size)
                    tally.add(result)
                    stats = run.stats
                    progress.update(references=stats.references, requests=stats.requests,
                                    errors=tally.failures)  # fmt: skip
    except KeyboardInterrupt:
        status = INTERRUPTED
    except BrokenPipeError:
        progress.close()
        discard_stdout()
        return OUTPUT_CLOSED
    except OSError as error:
        status, message = describe(OutputError(f"cannot write output: {error.strerror or error}"))
    except VTError as error:
        status, message = describe(error)
    except Exception as error:  # a bug: still one line, and where to resume
        status, message = describe_unexpected(error, key)
    finally:
        progress.close()
        output.close()
        if checkpoint is not None:
            checkpoint.close()
    earlier = before.get("invalid", 0) + before.get("error", 0)
    if status == OK and (tally.failures or earlier):
        status = FAILED
    _report_end(report, options, status, message, run, tally, time.monotonic() - started,
                done_before)  # fmt: skip
    if earlier:
        report.line(f"{earlier} indicators failed in earlier runs (status in the output)")
    return status


def _settings(options: BulkOptions, source: Source) -> dict[str, object]:
    """What a checkpoint must share with the run resuming it."""
    return {
        "input": source.fingerprint,
        "format": options.format,
        "out": "-" if options.out is None else os.path.abspath(options.out),
        "descriptors": options.descriptors,
        "max_items_per_ioc": options.max_items_per_ioc,
    }


def command(options: BulkOptions, *, add: tuple[str, ...] = (), source: str | None = None) -> str:
    """The `vt-refs bulk` command line of `options`, without the key and --restart."""
    words: list[str] = []
    skip = False
    for word in options.argv:
        if skip:
            skip = False
        elif word == "--api-key":
            skip = True
        elif word.startswith("--api-key=") or word in ("--restart", "--retry-errors"):
            pass
        elif source is not None and word == options.source:
            words.append(source)
        else:
            words.append(word)
    return shlex.join(["vt-refs", "bulk", *words, *add])


def _report_end(
    report: Reporter,
    options: BulkOptions,
    status: int,
    message: str,
    run: Run | None,
    tally: _Tally,
    seconds: float,
    done_before: int,
) -> None:
    if run is not None:
        stats = run.stats
        counts = ", ".join(f"{stats.statuses[name]} {name}" for name in stats.statuses)
        rate = stats.requests / max(seconds, 1e-9) * 60
        resumed = f" ({done_before} finished before)" if done_before else ""
        report.line(
            f"{stats.done} indicators{resumed}: {counts}; {stats.requests} requests "
            f"({rate:.0f}/min) in {seconds:.1f} s"
        )
    for result in tally.failed:
        report.line(f"{result.status}: {result.text}: {result.error}")
    if tally.failures > len(tally.failed):
        report.line(f"... and {tally.failures - len(tally.failed)} more")
    if tally.retriable:
        report.line(f"retry the failed ones with: {_retry_command(options, tally)}")
    if status in (OK, FAILED):
        return
    if status != INTERRUPTED:
        report.line(message)
    if run is None:  # it failed before any work (connect() refused its options)
        return
    if options.checkpoint is None:
        report.line("interrupted; without --checkpoint a rerun starts over"
                    if status == INTERRUPTED else "stopped")  # fmt: skip
        return
    stdin = " (with the same input on stdin)" if options.source == "-" else ""
    report.line(f"{'interrupted' if status == INTERRUPTED else 'stopped'}; "
                f"resume with: {command(options)}{stdin}")  # fmt: skip


def _retry_command(options: BulkOptions, tally: _Tally) -> str:
    if options.checkpoint is not None:
        return command(options, add=("--retry-errors",))
    failed = [r.text for r in tally.failed if r.status == "error"]
    more = "" if tally.retriable == len(failed) else (
        f"  (the first {len(failed)}; --checkpoint with --retry-errors retries all)"
    )  # fmt: skip
    piped = shlex.join(["printf", r"%s\n", *failed])
    return f"{piped} | {command(options, source='-')}{more}"


__all__ = ["FAILED", "OUTPUT_FAILED", "command", "run_bulk"]
