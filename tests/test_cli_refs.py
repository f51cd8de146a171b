"""`vt-refs`, driven as a process against FakeVirusTotal on loopback.

Each test runs the real command (`python -m vt_refs.cli`, or the installed console
script) and checks what a user or a script sees: stdout, the one stderr line, the exit
status, and what reached the fake. Every run also checks that the API key never shows
and that no traceback escapes.
"""

from __future__ import annotations

import inspect
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs import DEFAULT_BASE_URL, connect, url_id
from vt_refs._cli.interrupt import deferred_interrupt
from vt_refs._cli.walk import pages
from vt_refs.cli import main
from vt_refs.testing import SEED_URL, SEED_URL_SHA256, FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.cli import SCRIPT, TIMEOUT, check_clean, cli, cli_argv, cli_env, posix_only
from support.keys import KEY, WRONG_KEY
from support.listener import closed_base_url
from support.mock_api import ScriptedAPI
from support.pages import drifting_references, page, reference

URL = "https://example.com/login"
MD5 = "44d88612fea8a8f36de82e1278abb02f"
ACTOR = "threat-actor--5e2f9a1b"


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        yield running


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def served(fake: FakeVirusTotal, path: str) -> list[dict[str, Any]]:
    """Every item the fake serves at `path`, fetched raw (not through the SDK's parser)."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "40"}
    with httpx.Client(base_url=fake.base_url, headers={"x-apikey": KEY}) as http:
        while True:
            page = http.get(path, params=params).raise_for_status().json()
            items += page["data"]
            if "cursor" not in page["meta"]:
                break
            params["cursor"] = page["meta"]["cursor"]
    fake.clear_requests()
    return items


def resume_cursor(stderr: str) -> str:
    """The cursor in the `... resume with --cursor C` line, unquoted as a shell would."""
    (line,) = [line for line in stderr.splitlines() if "--cursor" in line]
    words = shlex.split(line.partition("--cursor ")[2])
    return words[0]


# Output formats


def test_jsonl_is_each_items_to_dict(fake: FakeVirusTotal) -> None:
    expected = served(fake, f"/urls/{SEED_URL_SHA256}/related_references")
    done = cli(SEED_URL, fake=fake)
    assert (done.returncode, done.stderr) == (0, "")
    assert lines(done.stdout) == expected
    assert [r.path for r in fake.requests] == [
        f"/api/v3/urls/{url_id(SEED_URL)}/related_references"
    ]


def test_jsonl_across_pages_in_order(fake: FakeVirusTotal) -> None:
    expected = served(fake, f"/urls/{url_id(URL)}/related_references")
    done = cli(URL, "--page-size", "7", fake=fake)
    assert done.returncode == 0
    assert lines(done.stdout) == expected
    assert len(expected) == 25
    # Full pages of 7, then the 4 meta.count says are left.
    assert [r.query["limit"] for r in fake.requests] == ["7", "7", "7", "4"]


def test_json_is_one_valid_list(fake: FakeVirusTotal) -> None:
    expected = served(fake, f"/urls/{url_id(URL)}/related_references")
    done = cli(URL, "--format", "json", "--page-size", "10", fake=fake)
    assert done.returncode == 0
    assert json.loads(done.stdout) == expected


def test_json_of_nothing_is_an_empty_list(fake: FakeVirusTotal) -> None:
    fake.set_count(url_id(URL), 0)
    done = cli(URL, "--format", "json", fake=fake)
    assert (done.returncode, json.loads(done.stdout)) == (0, [])


def test_table_shows_title_author_utc_date_and_url(fake: FakeVirusTotal) -> None:
    done = cli(SEED_URL, "--format", "table", fake=fake)
    assert done.returncode == 0
    header, first, second = done.stdout.splitlines()
    assert header.split() == ["title", "author", "date", "url"]
    assert first.startswith("Holiday lull? Not so much ")
    assert "Proofpoint Staff" in first
    assert "2018-01-12" in first
    assert first.endswith(
        "https://www.proofpoint.com/us/threat-insight/post/holiday-lull-not-so-much"
    )
    assert "MS Office Files Involved Again in Recent Emotet Trojan Campaign β Part II" in second
    assert "Xiaopeng Zhang" in second
    assert "2022-03-23" in second
    # Aligned: every column starts at the same offset on every line.
    assert header.index("date") == first.index("2018-01-12") == second.index("2022-03-23")


def test_table_makes_hostile_text_safe(fake: FakeVirusTotal) -> None:
    hostile = {
        "type": "reference",
        "id": "f" * 64,
        "attributes": {"title": "evil\x1b[2J\nnext line\u202e", "creation_date": 10**19},
    }
    fake.set_count(url_id(URL), 0)
    fake.add_references(url_id(URL), [hostile])
    done = cli(URL, "--format", "table", fake=fake)
    assert done.returncode == 0
    _, row = done.stdout.splitlines()
    assert "\x1b" not in row
    assert "\u202e" not in row
    assert row.startswith("evil [2J next line")
    assert str(10**19) in row  # a date out of range is shown as it came


def test_table_of_descriptors(fake: FakeVirusTotal) -> None:
    done = cli(SEED_URL, "--descriptors", "--format", "table", fake=fake)
    assert done.returncode == 0
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["type", "id", "related_from"]
    assert [row.split() for row in rows] == [
        ["reference", "0082e68274dfccb553cd7e19047f0119d01661e7e96af6376743fc853c930a20", "Emotet"],
        ["reference", "00c52c0a22dc7e6da4aeb3690a573cf3a13521b93b5af0e06cefb51b1face030", "Emotet"],
    ]


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((SEED_URL, "--descriptors"), f"urls/{url_id(SEED_URL)}/relationships/related_references"),
        (("--object", "files", "--id", MD5), f"files/{MD5}/related_references"),
        (
            ("--object", "files", "--id", MD5, "--descriptors"),
            f"files/{MD5}/relationships/related_references",
        ),
        (("--object", "threat_actors", "--id", ACTOR), f"threat_actors/{ACTOR}/related_references"),
        (
            ("--object", "threat_actors", "--id", ACTOR, "--descriptors"),
            f"threat_actors/{ACTOR}/relationships/related_references",
        ),
        (("--object", "domains", "--id", "example.com"), "domains/example.com/related_references"),
        (
            ("--object", "domains", "--id", "Example.COM", "--descriptors"),
            "domains/Example.COM/relationships/related_references",
        ),
        (
            ("--object", "ip_addresses", "--id", "192.0.2.1"),
            "ip_addresses/192.0.2.1/related_references",
        ),
        (
            ("--object", "ip_addresses", "--id", "2001:db8::1", "--descriptors"),
            "ip_addresses/2001%3Adb8%3A%3A1/relationships/related_references",
        ),
        (("--id", url_id(URL)), f"urls/{url_id(URL)}/related_references"),
    ],
)
def test_objects_and_descriptors_use_their_operation(
    fake: FakeVirusTotal, args: tuple[str, ...], path: str
) -> None:
    expected = served(fake, "/" + path)
    done = cli(*args, "--page-size", "40", fake=fake)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == expected
    assert {r.path for r in fake.requests} == {f"/api/v3/{path}"}


# Paging and resuming


@pytest.mark.parametrize(("max_items", "page_size"), [(13, 10), (20, 10), (1, 10), (7, 3)])
def test_max_items_stops_and_the_cursor_resumes_exactly(
    fake: FakeVirusTotal, max_items: int, page_size: int
) -> None:
    full = served(fake, f"/urls/{url_id(URL)}/related_references")
    first = cli(URL, "--max-items", str(max_items), "--page-size", str(page_size), fake=fake)
    assert first.returncode == 0
    assert len(lines(first.stdout)) == max_items
    items = "item" if max_items == 1 else "items"
    assert first.stderr.startswith(f"vt-refs: stopped after {max_items} {items}; resume with")
    assert len(first.stderr.splitlines()) == 1
    # The last page asked for no more than was missing, so its cursor is exact.
    assert fake.requests[-1].query["limit"] == str(
        min(page_size, max_items % page_size or page_size)
    )
    assert len(fake.requests) == -(-max_items // page_size)
    rest = cli(
        URL, "--cursor", resume_cursor(first.stderr), "--page-size", str(page_size), fake=fake
    )
    assert (rest.returncode, rest.stderr) == (0, "")
    assert lines(first.stdout) + lines(rest.stdout) == full


def test_a_clamped_page_size_still_resumes_exactly() -> None:
    # A server serving fewer a page than openapi.yaml's maximum (over it, the client refuses).
    with FakeVirusTotal(api_key=KEY, max_limit=20) as fake:
        fake.set_count(url_id(URL), 60)
        full = served(fake, f"/urls/{url_id(URL)}/related_references")
        first = cli(URL, "--max-items", "45", "--page-size", "30", fake=fake)
        assert [r.query["limit"] for r in fake.requests] == ["30", "25", "5"]
        rest = cli(URL, "--cursor", resume_cursor(first.stderr), "--page-size", "30", fake=fake)
    assert lines(first.stdout) + lines(rest.stdout) == full


def test_a_page_larger_than_asked_resumes_from_that_page() -> None:
    """If the API ignored `limit`, a cut page cannot be resumed inside: nothing is lost,
    and the hint says how many items repeat."""
    api = ScriptedAPI(default=page([reference("a" * 64)] * 5, cursor="NEXT", count=9))
    with api.client() as client:
        walk = pages(
            get_url_related_references,
            client,
            object_id="x",
            page_size=10,
            cursor="HERE",
            max_items=3,
        )
        (cut,) = list(walk)
    assert (len(cut.items), cut.more, cut.resume, cut.repeats) == (3, True, "HERE", 3)


@posix_only
def test_ctrl_c_waits_until_the_page_and_its_cursor_are_recorded() -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the signal has arrived: it must not interrupt this block
            steps.append("page written")
        steps.append("not reached")
    assert steps == ["page written"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_resuming_twice_with_max_items_covers_everything(fake: FakeVirusTotal) -> None:
    full = served(fake, f"/urls/{url_id(URL)}/related_references")
    got: list[dict[str, Any]] = []
    cursor: list[str] = []
    for _ in range(3):
        done = cli(URL, "--max-items", "8", "--page-size", "3", *cursor, fake=fake)
        got += lines(done.stdout)
        cursor = ["--cursor", resume_cursor(done.stderr)]
    done = cli(URL, *cursor, fake=fake)
    assert (done.returncode, done.stderr) == (0, "")
    assert got + lines(done.stdout) == full


@pytest.mark.parametrize("max_items", ["25", "30"])
def test_max_items_reaching_the_end_prints_no_cursor(fake: FakeVirusTotal, max_items: str) -> None:
    done = cli(URL, "--max-items", max_items, fake=fake)
    assert (done.returncode, done.stderr, len(lines(done.stdout))) == (0, "", 25)


def test_an_error_mid_way_says_where_to_resume(fake: FakeVirusTotal) -> None:
    full = served(fake, f"/urls/{url_id(URL)}/related_references")
    fake.delay_next(1, seconds=0)  # the first page is served normally
    fake.fail_next(status=400, code="InvalidArgumentError", message="boom")
    done = cli(URL, "--format", "json", "--page-size", "10", fake=fake)
    assert done.returncode == 3
    first = json.loads(done.stdout)  # the list is closed even on failure
    assert first == full[:10]
    (line,) = done.stderr.splitlines()  # one line: the error, then where to resume
    assert line.startswith(
        "vt-refs: InvalidArgumentError (HTTP 400): boom; "
        "10 items written before the error; resume with --cursor "
    )
    rest = cli(URL, "--cursor", resume_cursor(done.stderr), fake=fake)
    assert first + lines(rest.stdout) == full


@posix_only
def test_ctrl_c_exits_130_with_an_exact_resume_cursor(fake: FakeVirusTotal) -> None:
    fake.set_count(url_id(URL), 5)
    full = served(fake, f"/urls/{url_id(URL)}/related_references")
    fake.delay_next(1, seconds=0)  # page 1 at once, then every page hangs
    fake.delay_next(10, seconds=30)
    proc = subprocess.Popen(
        cli_argv((URL, "--page-size", "1"), fake, script=False),
        env=cli_env(KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
        assert ready, "no first item"
        first = proc.stdout.readline()
        deadline = time.monotonic() + TIMEOUT
        while len(fake.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # the second request is now hanging in the fake
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
    check_clean(first + out, err, KEY)
    assert proc.returncode == 130
    assert out == ""
    assert err.startswith("vt-refs: interrupted after 1 item; resume with --cursor ")
    fake.clear_faults()
    rest = cli(URL, "--cursor", resume_cursor(err), fake=fake)
    assert lines(first) + lines(rest.stdout) == full


@posix_only
def test_a_closed_pipe_ends_quietly(fake: FakeVirusTotal) -> None:
    fake.delay_next(1, seconds=0)
    fake.delay_next(1, seconds=0.5)  # time to close our end before page 2 is written
    proc = subprocess.Popen(
        cli_argv((URL, "--page-size", "1"), fake, script=False),
        env=cli_env(KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=TIMEOUT)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert (proc.returncode, err) == (141, "")


# Progress


def test_no_progress_when_stderr_is_not_a_terminal(fake: FakeVirusTotal) -> None:
    done = cli(URL, "--page-size", "5", fake=fake)
    assert (done.returncode, done.stderr) == (0, "")


@posix_only
def test_progress_on_a_terminal(fake: FakeVirusTotal) -> None:
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        cli_argv((URL, "--page-size", "10"), fake, script=False),
        env=cli_env(KEY),
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait(timeout=TIMEOUT)
    finally:
        os.close(controller)
        proc.kill()
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == 0
    assert len(lines(out.decode())) == 25
    text = seen.decode()
    assert "\r\x1b[K10/25 references" in text
    assert "\r\x1b[K25/25 references" in text
    assert text.endswith("\r\x1b[K")  # erased at the end
    assert KEY not in text


# Usage errors: status 2, one line, no request sent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((URL, "--page-size", "0"), "--page-size: must be at least 1"),
        ((URL, "--page-size", "ten"), "--page-size: expected an integer"),
        ((URL, "--max-items", "-1"), "--max-items: must be at least 1"),
        ((URL, "--timeout", "0"), "--timeout: must be a finite number above 0"),
        ((URL, "--timeout", "nan"), "--timeout: must be a finite number above 0"),
        ((URL, "--object", "threat_actors"), "for threat_actors use --id"),
        ((), "give exactly one of URL and --id"),
        ((URL, "--id", url_id(URL)), "give exactly one of URL and --id"),
        ((URL, "--format", "xml"), "invalid choice: 'xml'"),
        ((URL, "--bogus"), "unrecognized arguments: --bogus"),
        # The catalog's: what the generated client has, named in the error.
        (("--object", "nope", "--id", "x"), "no collection 'nope'; there are domains, files"),
        ((URL, "--relationship", "nope"), "urls has no relationship 'nope'; it has related_"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    # In-process (main() returns the status): argparse's checks need no subprocess each.
    assert main(list(args)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("vt-refs: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_usage_errors_as_a_process(fake: FakeVirusTotal) -> None:
    cases = {
        (URL, "--object", "files"): "for files use --id",
        (URL, "--page-size", "0"): "--page-size: must be at least 1",
    }
    for args, message in cases.items():
        done = cli(*args, fake=fake)
        assert (done.returncode, done.stdout) == (2, "")
        assert message in done.stderr
        assert len(done.stderr.splitlines()) == 1
    assert fake.requests == []


def test_no_key_is_a_usage_error_naming_vt_api_key(fake: FakeVirusTotal) -> None:
    for key in (None, "", "  "):
        done = cli(URL, fake=fake, key=key)
        assert done.returncode == 2
        assert done.stderr.startswith("vt-refs: no VirusTotal API key: set the VT_API_KEY")
        assert len(done.stderr.splitlines()) == 1
    assert fake.requests == []


def test_a_bad_base_url_is_a_usage_error() -> None:
    done = cli(URL, "--base-url", "ftp://example.com/api")
    assert done.returncode == 2
    assert "base_url must be an http(s) URL" in done.stderr


def test_api_key_option_works_and_never_shows(fake: FakeVirusTotal) -> None:
    done = subprocess.run(
        cli_argv((SEED_URL, "--api-key", KEY), fake, script=False),
        env=cli_env(None),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    check_clean(done.stdout, done.stderr, KEY)
    assert (done.returncode, len(lines(done.stdout))) == (0, 2)
    assert fake.requests[0].headers["x-apikey"] == KEY


# API, network and body failures: one line, distinct statuses


def test_wrong_key_is_3(fake: FakeVirusTotal) -> None:
    done = cli(URL, fake=fake, key=WRONG_KEY)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == "vt-refs: WrongCredentialsError (HTTP 401): Wrong API key\n"


def test_unknown_object_is_3(fake: FakeVirusTotal) -> None:
    fake.remove_object(url_id(URL))
    done = cli(URL, fake=fake)
    assert done.returncode == 3
    assert done.stderr.startswith("vt-refs: NotFoundError (HTTP 404): ")
    assert len(done.stderr.splitlines()) == 1
    done = cli("--object", "files", "--id", "not-a-hash", fake=fake)
    assert (done.returncode, done.stderr.split()[1]) == (3, "NotFoundError")


def test_bad_cursor_is_3(fake: FakeVirusTotal) -> None:
    done = cli(URL, "--cursor", "not-a-cursor", fake=fake)
    assert done.returncode == 3
    assert done.stderr == "vt-refs: InvalidArgumentError (HTTP 400): Invalid cursor\n"


def test_an_unknown_error_code_is_shown_as_sent(fake: FakeVirusTotal) -> None:
    fake.fail_next(status=418, code="TeapotError", message="short and\nstout")
    done = cli(URL, "--max-retries", "0", fake=fake)
    assert done.returncode == 3
    assert done.stderr == "vt-refs: TeapotError (HTTP 418): short and stout\n"


def test_unreachable_api_is_4() -> None:
    base = closed_base_url()
    done = cli(URL, "--base-url", base, "--max-retries", "0")
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr.startswith("vt-refs: cannot reach the API: ConnectError")
    assert len(done.stderr.splitlines()) == 1


def test_timeout_is_4(fake: FakeVirusTotal) -> None:
    fake.delay_next(1, seconds=5)
    done = cli(URL, "--timeout", "0.2", "--max-retries", "0", fake=fake)
    assert done.returncode == 4
    assert done.stderr.startswith("vt-refs: timed out: ReadTimeout")


def test_retries_pass_through(fake: FakeVirusTotal) -> None:
    fake.fail_next(1, status=503, code="TransientError")
    done = cli(SEED_URL, "--max-retries", "1", fake=fake)
    assert (done.returncode, len(lines(done.stdout))) == (0, 2)
    assert len(fake.requests) == 2
    fake.fail_next(1, status=503, code="TransientError", message="try later")
    done = cli(SEED_URL, "--max-retries", "0", fake=fake)
    assert done.returncode == 3
    assert done.stderr == "vt-refs: TransientError (HTTP 503): try later\n"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"data": [', "$"),
        (b'{"meta": {"count": 1}, "data": [{"type": "reference", "id": 5}]}', "$.data[0].id"),
    ],
)
def test_malformed_body_is_5_with_its_path(fake: FakeVirusTotal, body: bytes, path: str) -> None:
    fake.malform_next(body=body)
    done = cli(URL, fake=fake)
    assert (done.returncode, done.stdout) == (5, "")
    assert done.stderr.startswith(f"vt-refs: malformed response (HTTP 200) at {path}: ")
    assert len(done.stderr.splitlines()) == 1


# Schema drift


@pytest.mark.parametrize("environment", [{}, {"PYTHONWARNINGS": "error"}])
def test_drift_warns_once_per_field_and_writes_items_as_sent(
    fake: FakeVirusTotal, environment: dict[str, str]
) -> None:
    fake.set_count(MD5, 0, collection="files")
    fake.add_references(MD5, drifting_references(12), collection="files")
    expected = served(fake, f"/files/{MD5}/related_references")
    done = cli("--object", "files", "--id", MD5, "--page-size", "5", fake=fake, env=environment)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == expected and len(expected) == 12
    assert done.stderr.splitlines() == [
        "vt-refs: warning: ReferenceAttributes.title at $.data[0].attributes.title: "
        "expected string, got null; going on (--strict makes this an error)",
        "vt-refs: warning: ReferenceAttributes.creation_date at "
        "$.data[0].attributes.creation_date: expected integer, got string; going on "
        "(--strict makes this an error)",
    ]
    assert len(fake.requests) == 3


def test_drift_shows_in_the_table_as_an_empty_cell(fake: FakeVirusTotal) -> None:
    fake.set_count("example.com", 0, collection="domains")
    fake.add_references("example.com", drifting_references(2), collection="domains")
    done = cli("--object", "domains", "--id", "example.com", "--format", "table", fake=fake)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:2] == ["title", "author"] and len(rows) == 2
    assert all(row.split()[0] == "A" for row in rows), rows
    assert len(done.stderr.splitlines()) == 2


def test_strict_makes_drift_a_malformed_response(fake: FakeVirusTotal) -> None:
    fake.set_count("192.0.2.1", 0, collection="ip_addresses")
    fake.add_references("192.0.2.1", drifting_references(3), collection="ip_addresses")
    done = cli("--object", "ip_addresses", "--id", "192.0.2.1", "--strict", fake=fake)
    assert (done.returncode, done.stdout) == (5, "")
    assert done.stderr.splitlines() == [
        "vt-refs: malformed response (HTTP 200) at $.data[0].attributes.title: "
        "expected string, got null; body: " + done.stderr.split("; body: ", 1)[1].rstrip("\n")
    ]


# The command itself


def test_installed_console_script(fake: FakeVirusTotal) -> None:
    assert SCRIPT.exists(), "run: pip install -e '.[dev]'"
    done = cli(SEED_URL, "--format", "table", fake=fake, script=True)
    assert done.returncode == 0
    assert "Holiday lull? Not so much" in done.stdout
    done = cli("--version", script=True)
    assert done.returncode == 0
    assert done.stdout.startswith("vt-refs ")
    done = cli("--page-size", "0", URL, script=True)
    assert done.returncode == 2


def test_help_documents_key_defaults_and_statuses() -> None:
    done = cli("--api-key", KEY, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "VT_API_KEY" in text and "ps" in text
    assert DEFAULT_BASE_URL in text
    defaults = inspect.signature(connect).parameters
    assert f"however slowly the bytes come (default: {defaults['timeout'].default:g})" in text
    assert f"(default: {vt_refs.RetryPolicy().max_retries})" in text
    for status in ("0 ok", "2 usage error", "3 API error", "4 network error", "5 malformed"):
        assert status in text


def test_help_and_usage_errors_load_only_the_argument_parser() -> None:
    code = (
        "import sys, vt_refs.cli\n"
        "status = vt_refs.cli.main(sys.argv[1:])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('vt_refs._cli.'))\n"
        "print(status, *loaded, file=sys.stderr)\n"
    )
    for args, status in ((["--help"], 0), (["--page-size", "0", URL], 2)):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )
        last = done.stderr.splitlines()[-1]
        parser = (
            "vt_refs._cli.args vt_refs._cli.entry vt_refs._cli.numbers vt_refs._cli.stdio "
            "vt_refs._cli.store_options"
        )
        assert last == f"{status} {parser}"
