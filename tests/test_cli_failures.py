"""Every way `vt-refs` can fail ends in one stderr line and a distinct status, never a
traceback, and never the key: against a hostile server on 127.0.0.1, with ids and URLs
the API cannot take, and with a bug planted in the CLI itself."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from support.cli import cli_env, one_line
from support.hostile import Answer, HostileServer, Seen, error, ok, serve, serve_pages
from support.keys import KEY
from support.pages import cycling, fresh_cursors, page

TIMEOUT = 30.0


def run(
    *args: str | bytes, base_url: str | None = None, code: str | None = None
) -> tuple[int, str, str]:
    """`vt-refs args` as a process (or `code` run before its main), VT_API_KEY set."""
    env = cli_env(KEY)
    base = ["--base-url", base_url] if base_url else []
    if code is None:
        command: list[str | bytes] = [sys.executable, "-m", "vt_refs.cli"]
    else:
        prelude = textwrap.dedent(code)
        main = "import sys; from vt_refs.cli import main; sys.exit(main(sys.argv[1:]))"
        command = [sys.executable, "-c", f"{prelude}\n{main}"]
    done = subprocess.run(
        [*command, *base, *args], env=env, capture_output=True, timeout=TIMEOUT, check=False
    )
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert KEY not in out and KEY not in err
    return done.returncode, out, err


# --- The walk ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("--max-items", "1000")], ids=["all", "max-items"])
def test_an_alternating_cursor_exits_5(extra: tuple[str, ...]) -> None:
    with serve_pages(cycling(["A", "B"])) as server:
        status, out, err = run("--id", "x", *extra, base_url=server.base_url)
    assert status == 5
    line = one_line(err)
    assert "$.meta.cursor" in line
    assert len(server.seen) == 3
    # The pages before the one that looped back are written; that one is not.
    assert len(out.splitlines()) == 2


def test_a_cursor_cycle_says_where_to_resume_on_the_same_line() -> None:
    with serve_pages(cycling(["A", "B", "C"])) as server:
        status, _, err = run("--id", "x", base_url=server.base_url)
    assert status == 5
    line = one_line(err)
    # Resuming fetches again the page whose cursor looped, as a fresh walk would.
    assert line.endswith("3 items written before the error; resume with --cursor C")


@pytest.mark.parametrize(("extra", "most"), [((), 6), (("--max-items", "5"), 10)])
def test_empty_pages_for_ever_exit_5(extra: tuple[str, ...], most: int) -> None:
    with serve_pages(fresh_cursors()) as server:
        status, out, err = run("--id", "x", *extra, base_url=server.base_url)
    assert (status, out) == (5, "")
    assert "$.meta.cursor" in one_line(err)
    assert len(server.seen) <= most


# --- Ids, URLs and cursors the API cannot take -------------------------------------------


@pytest.mark.parametrize("object_kind", ["urls", "files", "threat_actors"])
@pytest.mark.parametrize("bad", [".", ".."])
def test_dot_ids_exit_2_before_anything_is_sent(object_kind: str, bad: str) -> None:
    with serve(lambda seen: ok(page([]))) as server:
        status, out, err = run("--object", object_kind, "--id", bad, base_url=server.base_url)
    assert (status, out) == (2, "")
    assert "id" in one_line(err)
    assert server.seen == []


@pytest.mark.parametrize(
    "args",
    [
        ("--id", "a" * 70_000),
        ("https://example.com/" + "a" * 70_000,),
        ("--id", "x", "--cursor", "c" * 70_000),
        ("--object", "files", "--id", ""),
        ("--id", "x", "--cursor", ""),
        (b"https://example.com/\xff\xfe",),
        ("--id", b"\xff"),
    ],
    ids=[
        "long-id",
        "long-url",
        "long-cursor",
        "empty-id",
        "empty-cursor",
        "bad-utf8-url",
        "bad-utf8-id",
    ],
)
def test_what_cannot_be_sent_exits_2_on_one_short_line(args: tuple[str | bytes, ...]) -> None:
    with serve(lambda seen: ok(page([]))) as server:
        status, out, err = run(*args, base_url=server.base_url)
    assert (status, out) == (2, "")
    assert len(one_line(err)) < 400
    assert server.seen == []


def test_a_hostile_id_is_still_one_path_segment() -> None:
    with serve(lambda seen: ok(page([]))) as server:
        status, _, err = run("--object", "files", "--id", "../../x?y#z", base_url=server.base_url)
    assert (status, err) == (0, "")
    (seen,) = server.seen
    assert seen.path == "/api/v3/files/..%2F..%2Fx%3Fy%23z/related_references"


# --- The key, echoed: the library redacts, the CLI relies on it ----------------------------


def _echo(where: str) -> HostileServer:
    def respond(seen: Seen) -> Answer:
        key = seen.headers["x-apikey"]
        if where == "message":
            return error(401, "WrongCredentialsError", f"bad key {key}")
        if where == "html":
            return Answer(502, f"<h1>proxy: {key}</h1>".encode(), {"Content-Type": "text/html"})
        if where == "reason":
            return Answer(403, b"", reason=f"Forbidden for {key}")
        return Answer(200, json.dumps({"data": key}).encode())  # malformed

    return serve(respond)


@pytest.mark.parametrize(
    ("where", "status"), [("message", 3), ("html", 3), ("reason", 3), ("malformed", 5)]
)
def test_a_key_the_server_echoes_never_shows(where: str, status: int) -> None:
    with _echo(where) as server:
        got, out, err = run("--id", "x", "--max-retries", "0", base_url=server.base_url)
    assert (got, out) == (status, "")
    assert "<redacted>" in one_line(err)


def test_a_long_retry_after_with_no_retries_left_exits_3_at_once() -> None:
    quota = error(429, "QuotaExceededError", "daily quota", **{"Retry-After": "100000"})
    with serve(lambda seen: quota) as server:
        status, _, err = run("--id", "x", "--max-retries", "0", base_url=server.base_url)
    assert status == 3
    assert one_line(err) == "vt-refs: QuotaExceededError (HTTP 429): daily quota"


# --- A bug in vt-refs: one line, status 70 -------------------------------------------------

_BROKEN_OUTPUT = f"""
import vt_refs._cli.run as run_module

def broken(*args, **kwargs):
    raise KeyError("a bug in the output, key {KEY}")

run_module.writer = broken
"""

_BROKEN_TRANSPORT = f"""
import httpx

def broken(self, request):
    raise KeyError("a bug below the walk, key {KEY}")

httpx.HTTPTransport.handle_request = broken
"""

_BROKEN_PAGE = """
import vt_refs._cli.run as run_module
real = run_module.writer

def writer(*args, **kwargs):
    out = real(*args, **kwargs)
    count = [0]
    original = out.page

    def page(items):
        count[0] += 1
        if count[0] == 2:
            raise ZeroDivisionError("a bug on page 2")
        original(items)

    out.page = page
    return out

run_module.writer = writer
"""

_BROKEN_PARSER = """
import vt_refs._cli.entry as cli

def broken(*args, **kwargs):
    raise AttributeError("a bug in the parser")

cli.parse_options = broken
"""


def test_an_unexpected_exception_is_one_line_and_status_70() -> None:
    with serve(lambda seen: ok(page(["a"]))) as server:
        status, out, err = run("--id", "x", base_url=server.base_url, code=_BROKEN_OUTPUT)
    assert (status, out) == (70, "")
    line = one_line(err)
    assert line.startswith("vt-refs: internal error: KeyError: ")
    assert "<redacted>" in line and "please report" in line


def test_what_the_library_did_not_expect_is_status_70_too() -> None:
    with serve(lambda seen: ok(page(["a"]))) as server:
        status, out, err = run("--id", "x", base_url=server.base_url, code=_BROKEN_TRANSPORT)
    assert (status, out) == (70, "")
    line = one_line(err)
    assert line.startswith("vt-refs: unexpected KeyError in vt_refs: ")
    assert "<redacted>" in line
    assert server.seen == []


def test_an_unexpected_exception_mid_way_still_says_where_to_resume() -> None:
    def respond(seen: Seen) -> Answer:
        n = int(seen.query.get("cursor", "0"))
        return ok(page([f"item{n}"], cursor=str(n + 1) if n < 5 else None))

    with serve(respond) as server:
        status, out, err = run(
            "--id", "x", "--page-size", "1", base_url=server.base_url, code=_BROKEN_PAGE
        )
    assert status == 70 and len(out.splitlines()) == 1
    line = one_line(err)
    assert "internal error: ZeroDivisionError: a bug on page 2" in line
    assert line.endswith("1 item written before the error; resume with --cursor 1")


def test_an_unexpected_exception_before_the_listing_is_one_line_too() -> None:
    status, out, err = run("--id", "x", code=_BROKEN_PARSER)
    assert (status, out) == (70, "")
    assert one_line(err).startswith("vt-refs: internal error: AttributeError: a bug in the parser")
