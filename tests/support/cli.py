"""Running `vt-refs` as a process, as a user or a script would, with the key checked never
to show on stdout or stderr and no traceback to escape."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vt_refs.testing import FakeVirusTotal

from support.keys import KEY

TIMEOUT = 20.0
SCRIPT = Path(sys.executable).parent / "vt-refs"
# Signals to a child, select() on pipes and pseudo-terminals are POSIX things.
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals, pipes and ptys")


def cli_env(key: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    env["PYTHONIOENCODING"] = "utf-8"
    if key is not None:
        env["VT_API_KEY"] = key
    env.update(extra or {})
    return env


def cli_argv(args: tuple[str, ...], fake: FakeVirusTotal | None, script: bool) -> list[str]:
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "vt_refs.cli"]
    base = ["--base-url", fake.base_url] if fake is not None else []
    return [*command, *base, *args]


def check_clean(out: str, err: str, key: str | None) -> None:
    assert "Traceback" not in err
    for secret in {KEY, key or KEY}:
        assert secret not in out
        assert secret not in err


def one_line(stderr: str) -> str:
    """The one line a failing `vt-refs` writes to stderr (anything more fails the test)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("vt-refs: ")
    return lines[0]


def cli(
    *args: str,
    fake: FakeVirusTotal | None = None,
    key: str | None = KEY,
    script: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run vt-refs to the end; the key (from VT_API_KEY) must never show."""
    done = subprocess.run(
        cli_argv(args, fake, script),
        env=cli_env(key, env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )
    check_clean(done.stdout, done.stderr, key)
    return done


def in_process(
    *args: str, fake: FakeVirusTotal, key: str | None = KEY, stdin: bytes = b""
) -> tuple[int, bytes, str]:
    """Run `vt-refs ARGS` (or `vt-refs bulk ARGS`) in this process against `fake`: (exit
    status, stdout, stderr), the key checked never to show. Quicker than `cli` for tests
    that need no process of their own (no signals, no terminal). `key=None` passes none
    (the command reads $VT_API_KEY then)."""
    import io

    from vt_refs._cli.args import build_parser, parse_options
    from vt_refs._cli.bulk import run_bulk
    from vt_refs._cli.bulk_args import build_bulk_parser, parse_bulk_options
    from vt_refs._cli.run import run

    stdout, stderr = io.BytesIO(), io.StringIO()
    try:
        if args[:1] == ("bulk",):
            bulk = parse_bulk_options(build_bulk_parser(), [*args[1:], "--base-url", fake.base_url])
            bulk = bulk._replace(api_key=key or bulk.api_key)
            status = run_bulk(bulk, stdin=io.BytesIO(stdin), stdout=stdout, stderr=stderr)
        else:
            options = parse_options(build_parser(), ["--base-url", fake.base_url, *args])
            options = options._replace(api_key=key or options.api_key)
            status = run(options, stdout=stdout, stderr=stderr, encoding="utf-8")
    except SystemExit as stop:  # argparse's usage errors
        status = stop.code if isinstance(stop.code, int) else 2
    out, err = stdout.getvalue(), stderr.getvalue()
    check_clean(out.decode("utf-8", "replace"), err, key)
    return status, out, err


def stdout_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines, read on a thread so that waiting for them can time out
    (`python -m vt_refs.testing` prints where it listens, then serves)."""
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def pump() -> None:
        for line in stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines
