"""`main()`: the `vt-refs` command, from its arguments to its exit status.

The arguments are parsed first, with the standard library only; each command's module
(and with it httpx and the generated client) is imported once they are, so `--help` and
usage errors do not pay for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from .._env import API_KEY_ENV
from .args import build_parser, parse_options
from .stdio import discard_stdout

_INTERRUPTED = 130
_OUTPUT_CLOSED = 141


def main(argv: list[str] | None = None) -> int:
    """Run `vt-refs` with `argv` (default: sys.argv[1:]) and return its exit status."""
    try:
        arguments = sys.argv[1:] if argv is None else argv
        if arguments[:1] == ["bulk"]:
            return _bulk(arguments[1:])
        if arguments[:1] in (["iocs"], ["pivot"]):
            return _reports(arguments[0], arguments[1:])
        if arguments[:1] == ["watch"]:
            return _watch(arguments[1:])
        if arguments[:1] == ["quota"]:
            from .quota import main_quota

            return main_quota(arguments[1:])
        try:
            options = parse_options(build_parser(), argv)
        except SystemExit as stop:  # --help, --version and usage errors: argparse exits
            return _exit_status(stop.code)
        from .run import run

        return run(
            options,
            stdout=sys.stdout.buffer,
            stderr=sys.stderr,
            encoding=sys.stdout.encoding,
        )
    except KeyboardInterrupt:  # before the listing started (it handles its own)
        print("vt-refs: interrupted", file=sys.stderr)
        return _INTERRUPTED
    except BrokenPipeError:  # `vt-refs --help | head -1`
        discard_stdout()
        return _OUTPUT_CLOSED
    except Exception as error:  # a bug outside the listing (which reports its own): one line
        from .errors import Reporter, describe_unexpected
        from .stdio import line_writer

        status, message = describe_unexpected(error, os.environ.get(API_KEY_ENV))
        Reporter(line_writer(sys.stderr)).line(message)
        return status


def _bulk(argv: list[str]) -> int:
    """`vt-refs bulk ...`: many indicators in one run (see `vt-refs bulk --help`)."""
    from .bulk_args import build_bulk_parser, parse_bulk_options

    def run(options: Any) -> int:
        from .bulk import run_bulk

        return run_bulk(options, stdin=sys.stdin.buffer, stdout=sys.stdout.buffer,
                        stderr=sys.stderr)  # fmt: skip

    return _command(lambda: parse_bulk_options(build_bulk_parser(), argv), run)


def _watch(argv: list[str]) -> int:
    """`vt-refs watch ...`: what is new for a case's indicators (see `vt-refs watch --help`)."""
    from .watch_args import build_watch_parser, parse_watch_options

    def run(options: Any) -> int:
        from .watch import run_watch

        return run_watch(options, stdin=sys.stdin.buffer, stdout=sys.stdout.buffer,
                         stderr=sys.stderr)  # fmt: skip

    return _command(lambda: parse_watch_options(build_watch_parser(), argv), run)


def _command(parse: Callable[[], Any], run: Callable[[Any], int]) -> int:
    """Parse a command's options (argparse exits on --help and usage errors), then run
    it: its module, and everything heavy with it, is imported only then."""
    try:
        options = parse()
    except SystemExit as stop:
        return _exit_status(stop.code)
    return run(options)


def _reports(command: str, argv: list[str]) -> int:
    """`vt-refs iocs ...` and `vt-refs pivot ...` (see their --help)."""
    from . import reports_args as parsing

    try:
        if command == "iocs":
            iocs = parsing.parse_iocs_options(parsing.build_iocs_parser(), argv)
        else:
            pivot = parsing.parse_pivot_options(parsing.build_pivot_parser(), argv)
    except SystemExit as stop:
        return _exit_status(stop.code)
    from .reports_run import run_iocs, run_pivot

    if command == "iocs":
        return run_iocs(iocs, stdout=sys.stdout.buffer, stderr=sys.stderr)
    return run_pivot(pivot, stdout=sys.stdout.buffer, stderr=sys.stderr)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1
