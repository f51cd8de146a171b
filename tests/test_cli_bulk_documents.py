"""`vt-refs bulk --format stix|misp` as a process against the fake: one valid document
per run, the library's very bytes, deterministic, and exactly once after `kill -9` at
seeded moments (the middle of the run, the writing of the document) and reruns."""

from __future__ import annotations

import io
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vt_refs.export import write_misp, write_stix
from vt_refs.testing import FakeVirusTotal

from support.cli import cli_env, posix_only
from support.exports import (
    TIMEOUT,
    assert_loads_in_pymisp,
    assert_valid_stix,
    cli_argv,
    many_files,
    prepared,
    results,
    run_cli,
    sha,
    write_input,
)
from support.keys import KEY


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield prepared(running)


def _library(format: str, fake: FakeVirusTotal) -> bytes:
    buffer = io.BytesIO()
    (write_stix if format == "stix" else write_misp)(results(fake), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("format", ["stix", "misp"])
def test_one_valid_document_the_librarys_bytes(fake: FakeVirusTotal, tmp_path: Path,
                                                format: str) -> None:  # fmt: skip
    source = str(write_input(tmp_path))
    piped = run_cli("bulk", source, "--format", format, fake=fake)
    assert piped.returncode == 6  # the invalid line; the rest is in the document
    text = piped.stdout.decode("utf-8")
    if format == "stix":
        bundle = assert_valid_stix(text)
        assert len([o for o in bundle.objects if o.type == "report"]) == 15
    else:
        event = assert_loads_in_pymisp(text)
        assert len(event.attributes) == 5 and len(event.objects) == 15
    assert piped.stdout == _library(format, fake)
    out = tmp_path / f"out.{format}.json"
    again = run_cli("bulk", source, "--format", format, "--out", str(out), fake=fake)
    assert again.returncode == 6 and again.stdout == b""
    assert out.read_bytes() == piped.stdout  # and the same bytes run after run
    refused = run_cli("bulk", source, "--format", format, "--out", str(out), fake=fake)
    assert refused.returncode == 2 and b"--force" in refused.stderr
    assert out.read_bytes() == piped.stdout
    forced = run_cli("bulk", source, "--format", format, "--out", str(out), "--force", fake=fake)
    assert forced.returncode == 6 and out.read_bytes() == piped.stdout
    appended = run_cli("bulk", source, "--format", format, "--out", str(out), "--append",
                       fake=fake)  # fmt: skip
    assert appended.returncode == 2 and b"one document" in appended.stderr


def test_a_resumed_run_writes_every_runs_results(fake: FakeVirusTotal, tmp_path: Path) -> None:
    lines = [sha(i) for i in range(10, 16)]
    for line in lines:
        fake.set_count(line, 2, collection="files")
    source = write_input(tmp_path, lines[:3])
    out, checkpoint = tmp_path / "bundle.json", tmp_path / "run.sqlite"
    args = ("bulk", str(source), "--format", "stix", "--out", str(out),
            "--checkpoint", str(checkpoint))  # fmt: skip
    assert run_cli(*args, fake=fake).returncode == 0
    write_input(tmp_path, lines)  # three more lines: the rerun goes on with them
    fake.clear_requests()
    assert run_cli(*args, fake=fake).returncode == 0
    assert len(fake.requests) == 3  # the first three were not fetched again
    bundle = assert_valid_stix(out.read_text("utf-8"))
    assert len([o for o in bundle.objects if o.type == "file"]) == 6
    assert out.read_bytes() == _library_of(fake, lines)


def _library_of(fake: FakeVirusTotal, lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    write_stix(results(fake, lines), buffer)
    return buffer.getvalue()


def _writing(folder: Path) -> bool:
    return any(path.name.endswith(".part") for path in folder.iterdir())


@posix_only
def test_kill_9_at_any_moment_then_reruns_give_the_clean_document(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.03) as fake:
        source = many_files(fake, tmp_path, first=100, n=40, refs=3)
        clean = tmp_path / "clean.json"
        started = time.monotonic()
        args = ("--format", "stix", "--concurrency", "2")
        assert run_cli("bulk", str(source), *args, "--out", str(clean), fake=fake).returncode == 0
        duration = time.monotonic() - started
        folder = tmp_path / "killed"
        folder.mkdir()
        out, checkpoint = folder / "bundle.json", tmp_path / "run.sqlite"
        argv = cli_argv("bulk", str(source), *args, "--out", str(out),
                        "--checkpoint", str(checkpoint), fake=fake)  # fmt: skip
        rng = random.Random(20)
        kills = 0
        for attempt in range(10):
            process = subprocess.Popen(argv, env=cli_env(KEY), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)  # fmt: skip
            begun = time.monotonic()
            # Killed: in the middle of the fetching, as the document is being written,
            # at start-up; then the runs go on until one ends by itself.
            at: float | None = 1e9
            if attempt == 0:
                at = rng.uniform(0.4, 0.7) * duration
            elif attempt == 1:
                at = None
            elif attempt == 2:
                at = rng.uniform(0.02, 0.3) * duration
            while process.poll() is None and time.monotonic() - begun < TIMEOUT:
                if (at is None and _writing(folder)) or (
                    at is not None and time.monotonic() - begun >= at
                ):
                    process.kill()
                    kills += 1
                    break
                time.sleep(0.002)
            if process.wait(TIMEOUT) == 0:
                break
            assert process.returncode == -signal.SIGKILL
            if out.exists():  # whatever a killed run left is one whole document
                assert_valid_stix(out.read_text("utf-8"))
        else:
            raise AssertionError("no run finished")
    assert kills >= 2  # it really was cut short, in the middle and while writing
    assert out.read_bytes() == clean.read_bytes()  # every object once, none missing
    assert_valid_stix(out.read_text("utf-8"))
    assert sorted(p.name for p in folder.iterdir()) == ["bundle.json"]
