"""One run of `vt-refs`: connect, walk the pages, write them, report how it ended.

This is the only CLI module that pulls in httpx and the generated client; `vt_refs.cli`
imports it after the arguments are parsed, so `--help` and usage errors stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, TextIO

from .._client import connect
from .._env import API_KEY_ENV
from .._errors import UsageError, VTError
from .._ids import url_id
from .._paging import Entry, get_catalog
from .args import Options, api_key
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
    resume_hint,
)
from .interrupt import deferred_interrupt
from .notices import warnings_to
from .output import OutputError, Writer, writer
from .progress import Progress
from .stdio import discard_stdout, isatty, line_writer
from .walk import pages


@dataclass
class _State:
    """What has been written so far, and where the next unwritten item starts."""

    resume: str | None
    written: int = 0
    more: bool = True
    repeats: int = 0
    pages: int = 0
    cached: int = 0  # pages the cache answered


def run(options: Options, *, stdout: BinaryIO, stderr: TextIO, encoding: str | None) -> int:
    """List what `options` asks for on `stdout`; returns the exit status.

    `encoding` is the terminal's, for the table (JSON is always UTF-8).
    """
    key = api_key(options)
    report = Reporter(line_writer(stderr))
    try:
        entry = get_catalog().find(
            options.object, options.relationship, descriptors=options.descriptors
        )
    except UsageError as error:  # as argparse words its own: the catalog lists what exists
        report.line(f"{error} (see vt-refs --help)")
        return USAGE
    if key is None:
        report.line(
            f"no VirusTotal API key: set the {API_KEY_ENV} environment variable "
            "(or pass --api-key, which other users can see in `ps`)"
        )
        return USAGE
    progress = Progress(stderr, enabled=isatty(stderr))
    out = writer(
        options.format,
        stdout,
        encoding=encoding or _text_encoding(),
        descriptors=options.descriptors,
    )
    state = _State(resume=options.cursor)
    status, message = OK, ""
    try:
        try:
            with warnings_to(report), drift_warnings(report, progress.clear):
                _list(entry, options, key, out, progress, state)
        except KeyboardInterrupt:
            status = INTERRUPTED
        except (VTError, OutputError) as error:
            status, message = describe(error)
        except BrokenPipeError:
            raise  # the reader left: handled below, quietly
        except Exception as error:  # a bug: still one line, and where to resume
            status, message = describe_unexpected(error, key)
        progress.clear()
        if status != OUTPUT_FAILED:
            try:
                out.close()  # a JSON list ends with `]` whatever stopped it
            except OutputError as error:
                status, message = describe(error)
    except BrokenPipeError:
        # The reader left (`| head`): as quiet as `cat` would be, and no flush error at exit.
        progress.clear()
        discard_stdout()
        return OUTPUT_CLOSED
    _report_end(report, status, message, state)
    if "cache" in options.connection:
        report.line(f"the cache answered {state.cached} of {state.pages} requests")
    return status


def _list(
    entry: Entry, options: Options, key: str, out: Writer, progress: Progress, state: _State
) -> None:
    object_id = options.id if options.url is None else url_id(options.url)
    assert object_id is not None
    with connect(key, **options.connection) as client:
        walk = pages(
            entry.module,
            client,
            object_id=object_id,
            page_size=options.page_size,
            cursor=options.cursor,
            max_items=options.max_items,
        )
        for page in walk:
            with deferred_interrupt():
                progress.clear()
                out.page(page.items)
                state.written += len(page.items)
                state.more, state.resume, state.repeats = page.more, page.resume, page.repeats
                state.pages += 1
                state.cached += page.from_cache
            progress.show(state.written, page.count)


def _report_end(report: Reporter, status: int, message: str, state: _State) -> None:
    hint = resume_hint(state.more, state.resume, state.repeats)
    items = f"{state.written} item{'' if state.written == 1 else 's'}"
    if status == OK:
        if hint:
            report.line(f"stopped after {items}; {hint}")
        return
    if status == INTERRUPTED:
        # Nothing written and no cursor given: rerunning the same command is the resume.
        started = state.written or state.resume is not None
        report.line(f"interrupted after {items}; {hint}" if hint and started else "interrupted")
        return
    if hint and state.written:  # still one line: the error, then how to go on
        message = f"{message}; {items} written before the error; {hint}"
    report.line(message)


def _text_encoding() -> str:
    import locale

    return locale.getpreferredencoding(False) or "utf-8"
