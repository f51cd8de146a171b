"""`vt-refs bulk` stopped by a signal, as real processes: SIGTERM (timeout, systemd, docker
stop, Kubernetes) like Ctrl-C: a consistent checkpoint, the resume line, exit 143; the
first Ctrl-C stops new work at once and says so, without waiting for pending retries; a
second abandons the requests in flight, still leaving a checkpoint a rerun resumes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from vt_refs.testing import FakeVirusTotal

from support.cli import cli, cli_argv, cli_env, posix_only

KEY = "bulk-signals-key-3c77a2"
pytestmark = posix_only


def sha(i: int) -> str:
    return hashlib.sha256(f"bulk-signals-{i}".encode()).hexdigest()


def _rows(path: Path) -> Counter[tuple[str, str | None]]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), "torn last line"
    rows: Counter[tuple[str, str | None]] = Counter()
    for line in text.splitlines():
        document = json.loads(line)
        reference = document["reference"]
        rows[document["ioc"], None if reference is None else reference["id"]] += 1
    return rows


def _finished(checkpoint: Path) -> int:
    with contextlib.closing(sqlite3.connect(checkpoint)) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM done").fetchone()
    return int(count)


def _start(fake: FakeVirusTotal, *args: str) -> subprocess.Popen[str]:
    argv = cli_argv(("bulk", *args), None, script=False)
    return subprocess.Popen(argv, env=cli_env(KEY), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for(predicate: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def _workload(fake: FakeVirusTotal, tmp_path: Path, n: int) -> Path:
    for i in range(n):
        fake.set_count(sha(i), 3 + i % 5, collection="files")
    source = tmp_path / "iocs.txt"
    source.write_text("".join(f"{sha(i)}\n" for i in range(n)), encoding="utf-8")
    return source


def _resume_line(err: str) -> str:
    line = err.strip().splitlines()[-1]
    assert "resume with: vt-refs bulk" in line, err
    return line.split("resume with: ", 1)[1]


def _run_printed(command: str, fake: FakeVirusTotal) -> subprocess.CompletedProcess[str]:
    """The printed command, run as printed (vt-refs from the venv on PATH)."""
    words = shlex.split(command)
    assert words[:2] == ["vt-refs", "bulk"]
    return cli(*words[1:], key=KEY, script=True)


def test_sigterm_stops_like_ctrl_c_with_143_and_the_resume_line(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.05) as fake:
        source = _workload(fake, tmp_path, 40)
        out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
        args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint),
                "--concurrency", "2", "--page-size", "2", "--base-url", fake.base_url)  # fmt: skip
        process = _start(fake, *args)
        _wait_for(lambda: out.exists() and out.stat().st_size > 0)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 143, err
        assert "Traceback" not in err
        assert "vt-refs: stopping: finishing" in err and "requests in flight" in err
        resume = _resume_line(err)
        assert "stopped by SIGTERM" in err
        finished = _finished(checkpoint)
        assert 0 < finished < 40
        assert len({ioc for ioc, _ in _rows(out)}) == finished  # output and checkpoint agree
        again = _run_printed(resume, fake)
        assert again.returncode == 0, again.stderr
        clean = cli("bulk", str(source), "--page-size", "2", "--base-url", fake.base_url, key=KEY)
        expected = Counter()
        for line in clean.stdout.splitlines():
            document = json.loads(line)
            expected[document["ioc"], document["reference"]["id"]] += 1
    assert _rows(out) == expected  # every line once: none missing, none twice


def test_the_first_ctrl_c_does_not_wait_for_pending_retries(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY) as fake:
        source = _workload(fake, tmp_path, 6)
        out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
        # Every request fails with a Retry-After of 8 s: each indicator waits to retry.
        fake.fail_next(100, status=503, code="TransientError", retry_after="8")
        args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint),
                "--concurrency", "3", "--max-retries", "5",
                "--base-url", fake.base_url)  # fmt: skip
        process = _start(fake, *args)
        _wait_for(lambda: len(fake.requests) >= 3)
        time.sleep(0.3)  # the three are now waiting for their retry
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    assert process.returncode == 130, err
    assert took < 4.0, (took, err)  # not the 8 s of the retries
    # The three waiting for their retry are the ones in flight: they stop at once.
    assert "vt-refs: stopping: finishing 3 requests in flight (Ctrl-C again to abandon them)" in err
    assert "interrupted; resume with:" in err
    assert _finished(checkpoint) == 0  # a cut retry is no result: a rerun runs them again


def test_a_second_ctrl_c_abandons_the_requests_in_flight(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY) as fake:
        source = _workload(fake, tmp_path, 8)
        out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
        args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint),
                "--concurrency", "2", "--base-url", fake.base_url)  # fmt: skip
        fake.delay_next(2, seconds=20)  # the first two requests hang
        process = _start(fake, *args)
        _wait_for(lambda: len(fake.requests) >= 2)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert process.poll() is None  # still finishing the requests in flight
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
        assert process.returncode == 130, err
        assert took < 5.0, (took, err)
        assert "stopping: finishing 2 requests in flight" in err, err
        resume = _resume_line(err)
        finished = _finished(checkpoint)
        assert len({ioc for ioc, _ in _rows(out)}) == finished
        fake.clear_faults()
        again = _run_printed(resume, fake)
        assert again.returncode == 0, again.stderr
    assert len({ioc for ioc, _ in _rows(out)}) == 8
    assert all(n == 1 for n in _rows(out).values())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_before_any_result_still_leaves_a_resumable_checkpoint(
    tmp_path: Path, signum: int
) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.3) as fake:
        source = _workload(fake, tmp_path, 4)
        out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
        args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint),
                "--concurrency", "1", "--base-url", fake.base_url)  # fmt: skip
        process = _start(fake, *args)
        _wait_for(lambda: len(fake.requests) >= 1)
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 128 + signum, err
        assert "Traceback" not in err
        again = _run_printed(_resume_line(err), fake)
        assert again.returncode == 0, again.stderr
    assert len({ioc for ioc, _ in _rows(out)}) == 4
