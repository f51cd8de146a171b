"""`vt-refs bulk`, driven as a process against FakeVirusTotal: formats, stdin, exit
statuses, CSV injection, progress, Ctrl-C, and `kill -9` at seeded random moments
followed by reruns whose output must equal a clean run's, line for line."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import pty
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from vt_refs.testing import FakeVirusTotal

from support.cli import cli_env
from support.exports import csv_records
from support.keys import KEY, WRONG_KEY
from support.listener import closed_base_url
from support.pages import drifting_references

TIMEOUT = 60.0
INVALID = "not-an-indicator"


def sha(i: int) -> str:
    return hashlib.sha256(f"cli-file-{i}".encode()).hexdigest()


def _argv(args: tuple[str, ...], fake: FakeVirusTotal | None) -> list[str]:
    base = ["--base-url", fake.base_url] if fake is not None else []
    return [sys.executable, "-m", "vt_refs.cli", "bulk", *args, *base, "--max-retries", "1"]


def bulk(
    *args: str, fake: FakeVirusTotal | None, stdin: str | None = None, key: str | None = KEY
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _argv(args, fake),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env(key),
        timeout=TIMEOUT,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert KEY not in done.stdout + done.stderr
    return done


def test_an_unknown_relationship_is_a_usage_error_before_any_file_is_opened(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    done = bulk("-", "--relationship", "nope", "--out", str(out), fake=fake, stdin="example.com\n")
    assert (done.returncode, done.stdout) == (2, "")
    assert "relationship must be auto or one of " in done.stderr
    assert "related_references" in done.stderr
    assert not out.exists() and fake.requests == []


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield running


def _input(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "iocs.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _jsonl_rows(text: str) -> Counter[tuple[str, str | None, str | None]]:
    """(ioc, reference id, status) of every line; each line must be whole JSON."""
    rows: Counter[tuple[str, str | None, str | None]] = Counter()
    assert text == "" or text.endswith("\n"), "torn last line"
    for line in text.splitlines():
        document = json.loads(line)
        reference = document["reference"]
        rows[document["ioc"], None if reference is None else reference["id"],
             document.get("status")] += 1  # fmt: skip
    return rows


def _csv_rows(text: str) -> Counter[tuple[str, str, str]]:
    assert text == "" or text.endswith("\r\n"), "torn last line"
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == [
        "ioc", "kind", "status", "reference_id", "title", "author", "creation_date", "url", "via",
        "error", "duplicate_of", "relationship", "kind", "origin",
    ]  # fmt: skip
    return Counter((row["ioc"], row["status"], row["reference_id"]) for row in reader)


def test_jsonl_has_a_line_per_reference_and_one_per_empty_indicator(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    fake.set_count(sha(1), 12, collection="files")
    fake.set_count(sha(2), 0, collection="files")
    fake.remove_object(sha(3), collection="files")
    lines = ["# a comment", f"  {sha(1)}  ", "", sha(2), f"file:{sha(3)}", INVALID]
    done = bulk(str(_input(tmp_path, lines)), "--page-size", "5", fake=fake)
    assert done.returncode == 6
    documents = [json.loads(line) for line in done.stdout.splitlines()]
    refs = [d for d in documents if d["ioc"] == sha(1)]
    assert len(refs) == 12 and all(d["kind"] == "files" for d in refs)
    assert set(refs[0]) == {"ioc", "kind", "reference", "relationship", "report"}
    assert refs[0]["reference"]["type"] and refs[0]["relationship"] == "related_references"
    empty = {d["ioc"]: d for d in documents if d["reference"] is None}
    assert empty[sha(2)]["status"] == "ok"
    assert empty[f"file:{sha(3)}"]["status"] == "not_found"
    assert empty[INVALID]["status"] == "invalid" and empty[INVALID]["kind"] is None
    assert INVALID in empty[INVALID]["error"]
    assert len(documents) == 12 + 3
    assert "1 invalid" in done.stderr
    (listed,) = [line for line in done.stderr.splitlines() if "invalid:" in line]
    assert listed.startswith("vt-refs: invalid: line 6: ") and listed.count(INVALID) == 1
    assert "requests" in done.stderr.splitlines()[0]


def test_exit_0_when_all_ok_or_not_found_and_stdin_input(fake: FakeVirusTotal) -> None:
    fake.remove_object(sha(3), collection="files")
    text = f"{sha(1)}\n\n# skipped\nthreat_actor:apt-1\n{sha(3)}\n"
    done = bulk("-", "--descriptors", "--max-items-per-ioc", "3", fake=fake, stdin=text)
    assert done.returncode == 0, done.stderr
    rows = _jsonl_rows(done.stdout)
    assert sum(n for (ioc, ref, _), n in rows.items() if ref is not None) == 6
    assert rows[sha(3), None, "not_found"] == 1
    assert all("/relationships/" in r.path for r in fake.requests)
    assert len(done.stderr.splitlines()) == 1  # the summary; no progress off a terminal


def test_csv_columns_and_injection_safe_cells(fake: FakeVirusTotal, tmp_path: Path) -> None:
    hostile = {
        "type": "reference",
        "id": "=1+1",
        "attributes": {
            "title": '=HYPERLINK("http://evil.example","x")',
            "author": "@SUM(A1)",
            "url": "+cmd|' /C calc'!A0",
            "creation_date": 1700000000,
        },
        "context_attributes": {
            "related_from": [
                {"type": "threat_actor", "id": "ta-1", "attributes": {"name": "-APT"}},
                {"type": "threat_actor", "id": "ta-2", "attributes": {"name": "FIN7"}},
            ]
        },
    }
    fake.set_count(sha(1), 0, collection="files")
    fake.add_references(sha(1), [hostile], collection="files")
    out = tmp_path / "out.csv"
    done = bulk(str(_input(tmp_path, [sha(1), INVALID])), "--format", "csv", "--out", str(out),
                fake=fake)  # fmt: skip
    assert done.returncode == 6 and done.stdout == ""
    rows = csv_records(out.read_bytes().decode("utf-8"))
    rows.sort(key=lambda row: row["ioc"] == INVALID)  # results come as they finish
    assert rows[0] == {
        "ioc": sha(1),
        "kind": "files",
        "status": "ok",
        "reference_id": "'=1+1",
        "title": '\'=HYPERLINK("http://evil.example","x")',
        "author": "'@SUM(A1)",
        "creation_date": "2023-11-14T22:13:20Z",
        "url": "'+cmd|' /C calc'!A0",
        "via": "'-APT;FIN7",
        "error": "",
        "duplicate_of": "",
        "relationship": "related_references",
        "report_kind": "reference",
        "origin": "",
    }
    assert rows[1]["ioc"] == INVALID and rows[1]["status"] == "invalid"
    assert rows[1]["reference_id"] == ""


def test_exit_statuses_for_usage_api_and_network(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = str(_input(tmp_path, [sha(i) for i in range(12)]))
    no_key = bulk(source, fake=fake, key=None)
    assert no_key.returncode == 2 and "VT_API_KEY" in no_key.stderr
    assert bulk(source, "--concurrency", "0", fake=fake).returncode == 2
    missing = bulk(str(tmp_path / "missing.txt"), fake=fake)
    assert missing.returncode == 2 and "missing.txt" in missing.stderr
    assert bulk(source, "--restart", fake=fake).returncode == 2  # needs --checkpoint
    wrong = bulk(source, fake=fake, key=WRONG_KEY)
    assert wrong.returncode == 3 and "WrongCredentialsError" in wrong.stderr
    offline = subprocess.run(
        [*_argv((source, "--max-retries", "0"), None),
         "--base-url", closed_base_url()],
        capture_output=True, text=True, env=cli_env(KEY), timeout=TIMEOUT,
    )  # fmt: skip
    assert offline.returncode == 4, offline.stderr


def test_errors_exit_6_listing_them_with_the_retry_command(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    source = str(_input(tmp_path, [sha(1), sha(2), INVALID]))
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
    args = (source, "--out", str(out), "--checkpoint", str(checkpoint), "--concurrency", "1")
    fake.fail_next(2, status=503, code="TransientError")  # sha(1), and its one retry
    first = bulk(*args, fake=fake)
    assert first.returncode == 6
    assert f"error: line 1: {sha(1)}: " in first.stderr
    assert (
        f"invalid: line 3: not an indicator (a URL, domain, IP address or file hash): "
        f"{INVALID!r}\n" in first.stderr
    )
    retry = next(line for line in first.stderr.splitlines() if "retry the failed" in line)
    assert "--retry-errors" in retry and str(checkpoint) in retry
    assert bulk(*args, fake=fake).returncode == 6  # nothing left to do; still failed ones
    again = bulk(*args, "--retry-errors", fake=fake)
    assert "1 ok" in again.stderr
    rows = _jsonl_rows(out.read_bytes().decode("utf-8"))
    assert rows[sha(1), None, "error"] == 1  # the failed attempt stays, then its references
    assert sum(n for (ioc, ref, _), n in rows.items() if ioc == sha(1) and ref) == 25


def test_changed_input_against_a_checkpoint_needs_restart(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    source = _input(tmp_path, [sha(1), sha(2)])
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
    args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint))
    assert bulk(*args, fake=fake).returncode == 0
    source.write_text(f"{sha(1)}\n{sha(3)}\n", encoding="utf-8")
    refused = bulk(*args, fake=fake)
    assert refused.returncode == 2 and "--restart" in refused.stderr
    assert bulk(*args, "--format", "csv", fake=fake).returncode == 2
    restarted = bulk(*args, "--restart", fake=fake)
    assert restarted.returncode == 0
    rows = _jsonl_rows(out.read_bytes().decode("utf-8"))
    assert {ioc for ioc, _, _ in rows} == {sha(1), sha(3)} and rows.total() == 50


def _kill_workload(fake: FakeVirusTotal) -> list[str]:
    lines = []
    for i in range(48):
        fake.set_count(sha(i), 1 + (i * 7) % 30, collection="files")  # 1 to 3 pages of 10
        lines.append(sha(i))
    fake.remove_object(sha(100), collection="files")
    lines += [f"file:{sha(100)}", INVALID, "threat_actor:apt-9", "hxxps://evil[.]example/x"]
    return lines


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _run_until_done(argv: list[str], rng: random.Random, out: Path, full: int) -> int:
    """Run `argv` and kill -9 it at seeded random moments, rerunning it each time, until
    a run ends by itself; returns how many were killed. A moment is either a random
    time after the start (the start-up, the checkpoint's opening) or the output passing
    a random size short of `full`, the clean run's size (the middle of the writing)."""
    kills = 0
    for _ in range(12):
        process = subprocess.Popen(argv, env=cli_env(KEY), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        started = time.monotonic()
        early = rng.random() < 0.25
        at_time = rng.uniform(0.05, 0.5)
        at_size = _size(out) + rng.uniform(0.1, 0.5) * full
        while process.poll() is None and time.monotonic() - started < TIMEOUT:
            if (early and time.monotonic() - started >= at_time) or (
                not early and _size(out) >= at_size
            ):
                process.kill()  # SIGKILL: no handler, no flush, no cleanup
                kills += 1
                break
            time.sleep(0.003)
        if process.wait(TIMEOUT) == 6:
            return kills
        assert process.returncode == -signal.SIGKILL
    raise AssertionError("no run finished")


@pytest.mark.parametrize(("fmt", "seed"), [("jsonl", 1), ("csv", 2)])
def test_kill_9_at_random_moments_then_reruns_equal_a_clean_run(
    tmp_path: Path, fmt: str, seed: int
) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.04) as fake:
        source = _input(tmp_path, _kill_workload(fake))
        clean_out = tmp_path / f"clean.{fmt}"
        args = ("--format", fmt, "--page-size", "10", "--concurrency", "4")
        clean = bulk(str(source), *args, "--out", str(clean_out), fake=fake)
        assert clean.returncode == 6
        out, checkpoint = tmp_path / f"killed.{fmt}", tmp_path / "run.sqlite"
        argv = _argv((str(source), *args, "--out", str(out), "--checkpoint", str(checkpoint)),
                     fake)  # fmt: skip
        full = clean_out.stat().st_size
        kills = _run_until_done(argv, random.Random(seed), out, full)
    assert kills >= 2  # it really was cut short, more than once
    parse = _jsonl_rows if fmt == "jsonl" else _csv_rows
    expected = parse(clean_out.read_bytes().decode("utf-8"))
    got = parse(out.read_bytes().decode("utf-8"))
    assert got == expected  # every line once: none missing, none twice
    assert sum(expected.values()) > 48
    with contextlib.closing(sqlite3.connect(checkpoint)) as db:
        assert db.execute("SELECT COUNT(*) FROM done").fetchone() == (52,)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_ctrl_c_exits_130_with_the_resume_command(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.05) as fake:
        source = _input(tmp_path, _kill_workload(fake))
        out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
        args = (str(source), "--out", str(out), "--checkpoint", str(checkpoint),
                "--concurrency", "2", "--page-size", "10")  # fmt: skip
        process = subprocess.Popen(_argv(args, fake), env=cli_env(KEY), stderr=subprocess.PIPE,
                                   text=True)  # fmt: skip
        deadline = time.monotonic() + TIMEOUT
        while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 130, err
        assert "Traceback" not in err
        resume = err.strip().splitlines()[-1]
        assert "interrupted; resume with: vt-refs bulk" in resume and str(checkpoint) in resume
        partial = _jsonl_rows(out.read_bytes().decode("utf-8"))  # whole lines, even now
        with contextlib.closing(sqlite3.connect(checkpoint)) as db:
            (finished,) = db.execute("SELECT COUNT(*) FROM done").fetchone()
        assert len({ioc for ioc, _, _ in partial}) == finished < 52
        assert bulk(*args, fake=fake).returncode == 6
        clean = bulk(str(source), "--page-size", "10", fake=fake)
    assert _jsonl_rows(out.read_bytes().decode("utf-8")) == _jsonl_rows(clean.stdout)


def _read_terminal(primary: int, process: subprocess.Popen[bytes]) -> bytes:
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(primary)
    return seen


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")
def test_progress_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    source = str(_input(tmp_path, [sha(i) for i in range(6)]))
    primary, secondary = pty.openpty()
    with FakeVirusTotal(api_key=KEY, latency=0.1) as fake:
        argv = _argv((source, "--concurrency", "1", "--page-size", "40"), fake)
        process = subprocess.Popen(argv, env=cli_env(KEY), stdout=subprocess.DEVNULL,
                                   stderr=secondary)  # fmt: skip
        os.close(secondary)
        seen = _read_terminal(primary, process)
        assert process.wait(TIMEOUT) == 0
    text = seen.decode("utf-8", "replace")
    assert "ioc" in text and "refs" in text and "req/min" in text  # tqdm's bar
    assert "6 indicators" in text  # and the summary after it


def test_help_and_the_single_command_are_unchanged(fake: FakeVirusTotal) -> None:
    helped = subprocess.run([sys.executable, "-m", "vt_refs.cli", "bulk", "--help"],
                            capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert helped.returncode == 0
    for option in (
        "--out",
        "--format",
        "--checkpoint",
        "--concurrency",
        "--max-items-per-ioc",
        "--page-size",
        "--descriptors",
        "--base-url",
        "--max-retries",
        "--restart",
    ):
        assert option in helped.stdout  # fmt: skip
    single = subprocess.run(
        [sys.executable, "-m", "vt_refs.cli", "--base-url", fake.base_url, "--object", "files",
         "--id", sha(1), "--max-items", "3"],
        capture_output=True, text=True, env=cli_env(KEY), timeout=TIMEOUT,
    )  # fmt: skip
    assert single.returncode == 0 and len(single.stdout.splitlines()) == 3


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_the_printed_commands_never_carry_the_key(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = str(_input(tmp_path, [sha(1), sha(2)]))
    checkpoint = tmp_path / "run.sqlite"
    fake.fail_next(2, status=503, code="TransientError")
    done = subprocess.run(
        [*_argv((source, "--checkpoint", str(checkpoint), "--concurrency", "1"), fake),
         "--api-key", KEY],
        capture_output=True, text=True, env=cli_env(None), timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 6
    retry = next(line for line in done.stderr.splitlines() if "retry the failed" in line)
    assert KEY not in done.stderr and "--api-key" not in retry and "--retry-errors" in retry


def test_stdout_appended_to_a_file_resumes_like_out(fake: FakeVirusTotal, tmp_path: Path) -> None:
    """`>> refs.jsonl` with a checkpoint: lines of an unrecorded indicator are cut back
    on the rerun, and what the file held before the first run stays."""
    source = str(_input(tmp_path, [sha(i) for i in range(4)]))
    checkpoint, out = tmp_path / "run.sqlite", tmp_path / "refs.jsonl"
    out.write_bytes(b'{"earlier": "run"}\n')
    argv = _argv((source, "--checkpoint", str(checkpoint), "--max-items-per-ioc", "2"), fake)
    with out.open("ab") as appended:
        first = subprocess.run(argv, stdout=appended, stderr=subprocess.PIPE, env=cli_env(KEY),
                               timeout=TIMEOUT)  # fmt: skip
    assert first.returncode == 0
    with out.open("ab") as appended:
        appended.write(b'{"ioc": "torn')  # as a kill mid-write would leave it
    with out.open("ab") as appended:
        second = subprocess.run(argv, stdout=appended, stderr=subprocess.PIPE, env=cli_env(KEY),
                                timeout=TIMEOUT)  # fmt: skip
    assert second.returncode == 0
    lines = out.read_bytes().decode().splitlines()
    assert lines[0] == '{"earlier": "run"}' and len(lines) == 1 + 4 * 2
    assert _jsonl_rows("\n".join(lines[1:]) + "\n").total() == 8
    with out.open("wb") as overwritten:  # `>` emptied what the checkpoint counts on
        third = subprocess.run(argv, stdout=overwritten, stderr=subprocess.PIPE,
                               env=cli_env(KEY), timeout=TIMEOUT)  # fmt: skip
    assert third.returncode == 2 and b">>" in third.stderr


def test_a_quota_shared_with_the_server_is_kept(tmp_path: Path) -> None:
    import vt_refs

    source = str(_input(tmp_path, [sha(i) for i in range(40)]))
    quota = vt_refs.Quota(per_second=20)
    with FakeVirusTotal(api_key=KEY, quota=quota, default_count=5) as fake:
        done = bulk(source, "--quota", "20/s", "--concurrency", "8", fake=fake)
        assert done.returncode == 0, done.stderr
        assert fake.quota_rejected <= 1  # the server's window is not ours to the millisecond
    assert _jsonl_rows(done.stdout).total() == 40 * 5


def test_a_spent_quota_stops_the_run_with_the_resume_command(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    source = str(_input(tmp_path, [sha(i) for i in range(6)]))
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "run.sqlite"
    args = (source, "--out", str(out), "--checkpoint", str(checkpoint), "--concurrency", "1",
            "--page-size", "40")  # fmt: skip
    spent = bulk(*args, "--quota", "2/day", fake=fake)  # one request per indicator
    assert spent.returncode == 3, spent.stderr
    assert "QuotaExhaustedError" in spent.stderr or "quota" in spent.stderr.lower()
    resume = spent.stderr.strip().splitlines()[-1]
    assert "resume with: vt-refs bulk" in resume and "--quota 2/day" in resume
    before = {ioc for ioc, _, _ in _jsonl_rows(out.read_bytes().decode())}
    assert len(before) == 2 and before <= {sha(i) for i in range(6)}
    finished = bulk(*args, fake=fake)  # the next day, or another key: the rest
    assert finished.returncode == 0, finished.stderr
    rows = _jsonl_rows(out.read_bytes().decode())
    assert {ioc for ioc, _, _ in rows} == {sha(i) for i in range(6)} and rows.total() == 150


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE")
def test_stdout_closed_early_exits_141_quietly(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = str(_input(tmp_path, [sha(i) for i in range(40)]))
    process = subprocess.Popen(_argv((source, "--concurrency", "2"), fake), env=cli_env(KEY),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline())["ioc"]
    process.stdout.close()  # `| head -1`
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(TIMEOUT) == 141
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("environment", [{}, {"PYTHONWARNINGS": "error"}])
def test_drift_is_one_warning_line_per_field_and_the_references_are_kept(
    fake: FakeVirusTotal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
) -> None:  # fmt: skip
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for i in (1, 2):
        fake.set_count(sha(i), 0, collection="files")
        fake.add_references(sha(i), drifting_references(3, dates=False), collection="files")
    done = bulk(str(_input(tmp_path, [sha(1), sha(2)])), "--concurrency", "2", fake=fake)
    assert done.returncode == 0, done.stderr
    assert sum(_jsonl_rows(done.stdout).values()) == 6
    warnings = [line for line in done.stderr.splitlines() if "warning:" in line]
    assert warnings == [
        "vt-refs: warning: ReferenceAttributes.title at $.data[0].attributes.title: "
        "expected string, got null; going on (--strict makes this an error)"
    ]


def test_strict_makes_a_drifting_indicator_fail(fake: FakeVirusTotal, tmp_path: Path) -> None:
    fake.set_count(sha(1), 0, collection="files")
    fake.add_references(sha(1), drifting_references(2, dates=False), collection="files")
    fake.set_count(sha(2), 4, collection="files")
    done = bulk(str(_input(tmp_path, [sha(1), sha(2)])), "--strict", fake=fake)
    assert done.returncode == 6, done.stderr
    assert _jsonl_rows(done.stdout)[sha(1), None, "error"] == 1
    assert "malformed response (HTTP 200) at $.data[0].attributes.title" in done.stderr
    assert "warning:" not in done.stderr
