"""`vt-refs bulk` and the files it meets: the printed retry command, run as printed, keeps
every line of the first run; a non-empty --out is never truncated silently; /dev/null,
/dev/stdout and FIFOs work; printed commands hold no credentials; the input is read as
real files hold it (a huge line, UTF-16 from PowerShell, a list that grew)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vt_refs.testing import FakeVirusTotal

from support.cli import cli, posix_only

KEY = "bulk-files-key-9a04bd"


def sha(i: int) -> str:
    return hashlib.sha256(f"bulk-files-{i}".encode()).hexdigest()


def _bulk(fake: FakeVirusTotal, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("bulk", *args, "--base-url", fake.base_url, "--max-retries", "1", key=KEY)


def _lines(tmp_path: Path, lines: list[str], name: str = "iocs.txt") -> str:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(path)


def _printed(stderr: str, prefix: str) -> str:
    (line,) = [line for line in stderr.splitlines() if prefix in line]
    return line.split(prefix, 1)[1]


# -- the output ------------------------------------------------------------------------------


def test_the_printed_retry_command_run_as_printed_keeps_every_line(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=3) as fake:
        source = _lines(tmp_path, [sha(i) for i in range(30)])
        out = tmp_path / "run1.jsonl"
        fake.fail_next(4, status=503, code="TransientError")  # two indicators, each retried
        first = _bulk(fake, source, "--out", str(out), "--concurrency", "1")
        assert first.returncode == 6, first.stderr
        before = out.read_bytes()
        assert len(before.splitlines()) == 28 * 3 + 2
        retry = _printed(first.stderr, "retry the failed ones with: ")
        assert "--append" in retry
        path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
        env = {**os.environ, "VT_API_KEY": KEY, "PATH": path}
        done = subprocess.run(["bash", "-c", retry], capture_output=True, text=True, timeout=60,
                              env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        after = out.read_bytes()
    assert after.startswith(before)  # every line of the first run, as it was
    added = [json.loads(line) for line in after[len(before) :].splitlines()]
    assert len(added) == 2 * 3 and all(d["reference"] for d in added)


def test_out_onto_a_non_empty_file_asks_for_append_or_force(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=2) as fake:
        source = _lines(tmp_path, [sha(1)])
        out = tmp_path / "out.csv"
        out.write_bytes(b"precious,lines\r\n")
        refused = _bulk(fake, source, "--format", "csv", "--out", str(out))
        assert refused.returncode == 2
        assert "--append" in refused.stderr and "--force" in refused.stderr
        assert out.read_bytes() == b"precious,lines\r\n" and len(fake.requests) == 0
        appended = _bulk(fake, source, "--format", "csv", "--out", str(out), "--append")
        assert appended.returncode == 0, appended.stderr
        text = out.read_bytes().decode()
        assert text.startswith("precious,lines\r\n") and "ioc,kind" not in text  # no 2nd header
        assert len(text.splitlines()) == 1 + 2
        forced = _bulk(fake, source, "--format", "csv", "--out", str(out), "--force")
        assert forced.returncode == 0, forced.stderr
        assert out.read_bytes().decode().startswith("ioc,kind,status")
        # With a fresh checkpoint too: what the file held is never dropped unasked.
        out.write_bytes(b"precious\r\n")
        checkpoint = str(tmp_path / "run.sqlite")
        again = _bulk(fake, source, "--out", str(out), "--checkpoint", checkpoint)
        assert again.returncode == 2 and out.read_bytes() == b"precious\r\n"
        kept = _bulk(fake, source, "--out", str(out), "--checkpoint", checkpoint, "--append")
        assert kept.returncode == 0 and out.read_bytes().startswith(b"precious\r\n")
    both = cli("bulk", source, "--out", str(out), "--append", "--force", key=KEY)
    assert both.returncode == 2


@posix_only
@pytest.mark.parametrize("checkpoint", [False, True])
def test_devices_and_fifos_are_written_as_streams(tmp_path: Path, checkpoint: bool) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=2) as fake:
        source = _lines(tmp_path, [sha(i) for i in range(5)])
        extra = ("--checkpoint", str(tmp_path / "run.sqlite"), "--restart") if checkpoint else ()
        null = _bulk(fake, source, "--out", "/dev/null", *extra)
        assert null.returncode == 0, null.stderr
        to_stdout = _bulk(fake, source, "--out", "/dev/stdout", *extra)  # stdout is a pipe
        assert to_stdout.returncode == 0, to_stdout.stderr
        assert len(to_stdout.stdout.splitlines()) == 10
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        read: list[bytes] = []
        reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
        reader.start()
        piped = _bulk(fake, source, "--out", str(fifo), *extra)
        reader.join(30)
        assert piped.returncode == 0, piped.stderr
        assert len(read[0].splitlines()) == 10


# -- the printed commands ----------------------------------------------------------------------


def test_printed_commands_hold_no_credentials(tmp_path: Path) -> None:
    secret = "hunter2-" + "x" * 8
    with FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        source = _lines(tmp_path, [sha(i) for i in range(3)])
        stores = ("--quota", "100/min", "--quota-store", f"sqlite:///{tmp_path}/q.db",
                  "--cache", f"redis://:{secret}@127.0.0.1:1/0")  # fmt: skip
        fake.fail_next(2, status=503, code="TransientError")
        done = _bulk(fake, source, "--concurrency", "1", *stores,
                     f"--proxy=http://user:{secret}@127.0.0.1:1")  # fmt: skip
        # The proxy is refused at once; what matters here is the lines printed.
        checkpointed = _bulk(fake, source, "--checkpoint", str(tmp_path / "c.sqlite"),
                             "--concurrency", "1", *stores)  # fmt: skip
        fake.fail_next(1, status=401, code="WrongCredentialsError")
        stopped = _bulk(fake, _lines(tmp_path, [sha(9)], "more.txt"), "--checkpoint",
                        str(tmp_path / "d.sqlite"), *stores)  # fmt: skip
    for run in (done, checkpointed, stopped):
        assert secret not in run.stderr + run.stdout
    resume = _printed(stopped.stderr, "resume with: ")
    assert "redis://:***@127.0.0.1:1/0" in resume
    assert "VT_CACHE" in resume and "***" in resume


def test_the_mask_covers_every_url_form() -> None:
    from vt_refs._cli.bulk_command import command

    argv = ["in.txt", "--cache", "redis://:pw1@h:6379/0", "--quota-store=rediss://u:pw2@h/1",
            "--proxy", "http://tok3n@proxy:3128", "--base-url", "https://h/?password=pw4",
            "--api-key", "k-secret", "--out", "o.jsonl"]  # fmt: skip
    line = command(argv, "in.txt")
    for secret in ("pw1", "pw2", "tok3n", "pw4", "k-secret"):
        assert secret not in line
    assert "redis://:***@h:6379/0" in line and "rediss://u:***@h/1" in line
    assert "http://***@proxy:3128" in line and "password=***" in line
    assert "VT_CACHE" in line and "VT_QUOTA_STORE" in line
    assert shlex.split(line.split("  (")[0])[-2:] == ["--out", "o.jsonl"]


# -- the input ---------------------------------------------------------------------------------


def _max_rss_mb(argv: list[str], env: dict[str, str]) -> tuple[int, str, float]:
    """Run `argv` under a fresh Python whose only child it is: its peak memory."""
    probe = (
        "import resource, subprocess, sys, json\n"
        "done = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([done.returncode, done.stderr, peak]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, json.dumps(argv)], capture_output=True,
                          text=True, env=env, timeout=300, check=True)  # fmt: skip
    status, stderr, peak = json.loads(done.stdout)
    return status, stderr, peak


@posix_only
def test_a_huge_line_is_one_invalid_result_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.write(f"{sha(1)}\n".encode())
        chunk = b"A" * (1 << 20)
        for _ in range(300):  # 300 MiB on one line, no newline until the next indicator
            file.write(chunk)
        file.write(f"\n{sha(2)}\n".encode())
    with FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        argv = [sys.executable, "-m", "vt_refs.cli", "bulk", str(path), "--out",
                str(tmp_path / "out.jsonl"), "--base-url", fake.base_url]  # fmt: skip
        status, stderr, peak = _max_rss_mb(argv, {**os.environ, "VT_API_KEY": KEY})
    assert status == 6, stderr
    assert "invalid: line 2: " in stderr and "longer than 65536 bytes" in stderr
    assert peak < 200, peak  # megabytes, for a 300 MiB line
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert sorted(r["status"] or "" for r in rows if r["reference"] is None) == ["invalid"]
    assert len(rows) == 3 and max(len(r["ioc"]) for r in rows) < 100


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_marks_select_the_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "from-powershell.txt"
    text = f"{sha(1)}\r\nevil[.]example\r\n\r\n192.0.2.1\r\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    with FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        done = _bulk(fake, str(path))
    assert done.returncode == 0, done.stderr
    iocs = {json.loads(line)["ioc"] for line in done.stdout.splitlines()}
    assert iocs == {sha(1), "evil[.]example", "192.0.2.1"}


def test_utf16_without_a_mark_stops_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "no-bom.txt"
    path.write_bytes(f"{sha(1)}\n{sha(2)}\n".encode("utf-16-le"))
    with FakeVirusTotal(api_key=KEY) as fake:
        done = _bulk(fake, str(path))
        piped = cli("bulk", "-", "--base-url", fake.base_url, key=KEY,
                    env={"PYTHONIOENCODING": "utf-8"})  # fmt: skip
        assert len(fake.requests) == 0
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "UTF-16" in line and "byte-order mark" in line
    assert piped.returncode == 0  # empty stdin: nothing to do


def test_failures_name_their_line_without_doubling_the_text(tmp_path: Path) -> None:
    lines = ["# header", "URLs:", "", sha(1), "not an indicator"]
    with FakeVirusTotal(api_key=KEY, default_count=1) as fake:
        done = _bulk(fake, _lines(tmp_path, lines))
    listed = [line for line in done.stderr.splitlines() if "invalid:" in line]
    assert listed == [
        "vt-refs: invalid: line 2: not an indicator (a URL, domain, IP address or file hash): "
        "'URLs:'",
        "vt-refs: invalid: line 5: not an indicator (it holds spaces: one indicator a line): "
        "'not an indicator'",
    ]


def test_an_input_that_grew_is_resumed(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, default_count=2) as fake:
        path = tmp_path / "feed.txt"
        path.write_text("".join(f"{sha(i)}\n" for i in range(3)), encoding="utf-8")
        out = tmp_path / "out.jsonl"
        args = (str(path), "--out", str(out), "--checkpoint", str(tmp_path / "run.sqlite"))
        assert _bulk(fake, *args).returncode == 0
        with path.open("a", encoding="utf-8") as feed:
            feed.write(f"{sha(3)}\n{sha(4)}\n")
        fake.clear_requests()
        grown = _bulk(fake, *args)
        assert grown.returncode == 0, grown.stderr
        assert len(fake.requests) == 2  # only the new lines
        path.write_text(f"{sha(9)}\n{sha(1)}\n", encoding="utf-8")  # changed, not grown
        changed = _bulk(fake, *args)
    assert changed.returncode == 2 and "input changed" in changed.stderr
    rows = [json.loads(line)["ioc"] for line in out.read_text().splitlines()]
    assert sorted(rows) == sorted(sha(i) for i in range(5) for _ in range(2))
