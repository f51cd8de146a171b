"""One run of `vt-refs iocs` or `vt-refs pivot`: connect, walk, write, report how it ended.

`iocs` writes a line per indicator as it comes, so `| head` stops the walk; `pivot`
writes its edges once the bounded walk is done.
A fallback from the deprecated `related_references` is one `vt-refs:` line on stderr.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import BinaryIO, TextIO

from .._bulk import IOC
from .._client import connect
from .._env import API_KEY_ENV
from .._errors import VTError
from .._formats import json_text
from .._reports import PivotEdge, Report, ReportsFallbackWarning, pivot, report_iocs
from .args import key_from
from .drift import drift_warnings
from .errors import INTERRUPTED, OK, OUTPUT_CLOSED, USAGE, Reporter, describe, describe_unexpected
from .reports_args import IocsOptions, PivotOptions
from .stdio import discard_stdout, line_writer
from .warning_lines import warning_lines

CSV_COLUMNS = ("kind", "id", "value")


def _run(
    api_key: str | None,
    stderr: TextIO,
    stdout: BinaryIO,
    body: Callable[[str, Callable[[str], None]], None],
) -> int:
    """Connect-and-walk with the main command's rules: one line per failure, its status."""
    key = key_from(api_key)
    report = Reporter(line_writer(stderr))
    if key is None:
        report.line(
            f"no VirusTotal API key: set the {API_KEY_ENV} environment variable "
            "(or pass --api-key, which other users can see in `ps`)"
        )
        return USAGE

    def write(text: str) -> None:
        stdout.write(text.encode("utf-8") + b"\n")
        stdout.flush()

    try:
        with (
            warning_lines(report, ReportsFallbackWarning, str),
            drift_warnings(report, lambda: None),
        ):
            body(key, write)
    except KeyboardInterrupt:
        report.line("interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        discard_stdout()
        return OUTPUT_CLOSED
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        return status
    except Exception as error:  # a bug: still one line
        status, message = describe_unexpected(error, key)
        report.line(message)
        return status
    return OK


def _csv_row(values: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def run_iocs(options: IocsOptions, *, stdout: BinaryIO, stderr: TextIO) -> int:
    """`vt-refs iocs`: the indicators a report names, on `stdout`."""

    def body(key: str, write: Callable[[str], None]) -> None:
        with connect(key, **options.connection) as client:
            found = report_iocs(
                client, options.target, kinds=options.kinds, max_items=options.max_items
            )
            if options.format == "csv":
                write(_csv_row(CSV_COLUMNS))
            for ioc in found:
                row = (ioc.kind, ioc.id, ioc.value)
                write(
                    _csv_row(row)
                    if options.format == "csv"
                    else json_text(dict(zip(CSV_COLUMNS, row, strict=True)))
                )

    return _run(options.api_key, stderr, stdout, body)


def edge_document(edge: PivotEdge) -> dict[str, object]:
    """An edge as one JSON object: its ends as documents, the relationship, the depth."""

    def end(node: object) -> dict[str, object]:
        if isinstance(node, Report):
            return {"report": node.to_dict()}
        assert isinstance(node, IOC)
        return {"ioc": {"kind": node.kind, "id": node.id, "value": node.value}}

    return {
        "source": end(edge.source),
        "relationship": edge.relationship,
        "target": end(edge.target),
        "depth": edge.depth,
    }


def run_pivot(options: PivotOptions, *, stdout: BinaryIO, stderr: TextIO) -> int:
    """`vt-refs pivot`: the edges around an indicator, on `stdout`."""

    def body(key: str, write: Callable[[str], None]) -> None:
        with connect(key, **options.connection) as client:
            edges = pivot(
                client,
                options.ioc,
                depth=options.depth,
                relationships=options.relationships,
                max_reports=options.max_reports,
                max_iocs_per_report=options.max_iocs_per_report,
                kinds=options.kinds,
            )
        for edge in edges:
            write(str(edge) if options.format == "text" else json_text(edge_document(edge)))

    return _run(options.api_key, stderr, stdout, body)
