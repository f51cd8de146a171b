"""A server that echoes the key gets it into no exception text and no log record.

The library redacts (the CLI relies on it; tests/test_cli_failures.py checks the CLI):
messages, codes, excerpts, reasons, httpx's own error text, and the records of the HTTP
libraries' loggers. Each test's server echoes the key where a real one could.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import pickle
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import vt_refs
from vt_refs._transport import redact
from vt_refs._transport.redact import Redactor
from vt_refs_api.api.urls import get_url_related_references

from support import hostile
from support.hostile import Answer, Seen, serve
from support.keys import KEY
from support.mock_api import ScriptedAPI, error, ok, walk_error
from support.pages import page


def _everything_shown(caught: BaseException) -> str:
    """All text an error shows: str, repr, attributes, and its chain rendered with locals."""
    parts = [str(caught), repr(caught), repr(vars(caught))]
    rendered = traceback.TracebackException.from_exception(caught, capture_locals=True)
    parts.extend(rendered.format())
    return "".join(parts)


def _assert_no_key(text: str) -> None:
    assert KEY not in text
    # Not half of it either: no 10 characters of the key in a row.
    assert not any(KEY[i : i + 10] in text for i in range(len(KEY) - 9))


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_the_apis_error_message_and_code(run_async: bool) -> None:
    api = ScriptedAPI([error(401, f"Wrong{KEY}", f"the key {KEY} is wrong; again: {KEY}")])
    caught = walk_error(api, run_async=run_async)
    assert isinstance(caught, vt_refs.APIError)
    assert caught.message == "the key <redacted> is wrong; again: <redacted>"
    assert caught.code == "Wrong<redacted>"
    _assert_no_key(_everything_shown(caught))


def test_an_html_error_page() -> None:
    body = f"<html><body>Bad gateway for x-apikey: {KEY}</body></html>".encode()
    caught = walk_error(ScriptedAPI([httpx.Response(502, content=body)]))
    assert isinstance(caught, vt_refs.APIError) and "<redacted>" in caught.message
    _assert_no_key(_everything_shown(caught))


def test_a_reason_phrase() -> None:
    reason = f"Denied {KEY}".encode()
    api = ScriptedAPI([httpx.Response(403, extensions={"reason_phrase": reason})])
    caught = walk_error(api)
    assert isinstance(caught, vt_refs.APIError) and caught.message == "Denied <redacted>"


def test_an_error_with_no_message_takes_the_reason_phrase() -> None:
    body = json.dumps({"error": {"code": "NotFoundError"}}).encode()
    reason = f"Not Found for {KEY}".encode()
    api = ScriptedAPI([httpx.Response(404, content=body, extensions={"reason_phrase": reason})])
    caught = walk_error(api)
    assert isinstance(caught, vt_refs.NotFoundError)
    assert caught.message == "Not Found for <redacted>"


@pytest.mark.parametrize("offset", [0, 150, 185, 195, 199, 600, 1010])
def test_a_malformed_body_even_where_the_excerpt_is_cut(offset: int) -> None:
    body = ("x" * offset + KEY + "y" * 2000).encode()
    caught = walk_error(ScriptedAPI([httpx.Response(200, content=body)]))
    assert isinstance(caught, vt_refs.MalformedResponseError)
    _assert_no_key(caught.excerpt + caught.reason + caught.path)
    _assert_no_key(_everything_shown(caught))


def test_a_body_that_parses_but_breaks_the_model() -> None:
    doc = page(["a" * 64])
    doc["data"][0]["id"] = 5  # a required field: never drift
    doc["meta"]["note"] = KEY
    body = json.dumps(doc).encode()
    # Drift is an error under "error" (under "warn", the default, it would be kept).
    caught = walk_error(ScriptedAPI([httpx.Response(200, content=body)]), on_drift="error")
    assert isinstance(caught, vt_refs.MalformedResponseError)
    assert caught.path == "$.data[0].id"
    _assert_no_key(_everything_shown(caught))


def test_the_excerpt_of_a_page_that_loops() -> None:
    doc = page(["a" * 64], cursor="A")
    doc["data"][0]["attributes"]["title"] = KEY
    api = ScriptedAPI(default=ok(doc))
    caught = walk_error(api)
    assert isinstance(caught, vt_refs.MalformedResponseError) and caught.path == "$.meta.cursor"
    assert "<redacted>" in caught.excerpt
    # (The pages before hold it as data: the error's own text must not.)
    _assert_no_key(str(caught) + repr(caught) + repr(vars(caught)))


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_httpxs_own_error_text(run_async: bool) -> None:
    api = ScriptedAPI([httpx.RemoteProtocolError(f"illegal status line: b'HTTP/1.1 {KEY}'")])
    caught = walk_error(api, run_async=run_async)
    assert isinstance(caught, vt_refs.APIConnectionError)
    assert "<redacted>" in str(caught)
    _assert_no_key(_everything_shown(caught))


def test_the_forms_a_server_could_echo_it_in() -> None:
    key = 'a key/with "quotes" and %'
    echoed = [key, json.dumps(key)[1:-1], httpx.QueryParams({"k": key})["k"]]
    from urllib.parse import quote

    echoed.append(quote(key, safe=""))
    for text in echoed:
        api = ScriptedAPI([error(400, "BadRequestError", f"got {text}!")])
        client = vt_refs.connect(key, base_url="https://vt.test/api/v3", transport=api.transport,
                                 max_retries=0)  # fmt: skip
        with pytest.raises(vt_refs.APIError) as caught:
            list(vt_refs.paginate(get_url_related_references, client, id="x"))
        assert caught.value.message == "got <redacted>!", text


def test_a_short_key_inside_a_long_one_does_not_break_its_redaction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long_key = f"prefix-{KEY}-suffix"
    redactors = [Redactor(KEY), Redactor(long_key), Redactor(KEY[:8])]  # all live at once
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info("echo %s and %s", long_key, KEY)
    assert caplog.records[-1].getMessage() == "echo <redacted> and <redacted>"
    assert len(redactors) == 3


def test_loggers_of_the_sdks_families_made_before_a_client_are_covered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = logging.getLogger("vt_refs._a_layer_added_later.retry")
    backend = logging.getLogger("hishel._sync._storages")
    client = ScriptedAPI().client()
    with caplog.at_level(logging.DEBUG):
        layer.warning("retrying after %r", f"429 {KEY}")
        backend.debug(f"stored for {KEY}")
    assert [r.getMessage() for r in caplog.records[-2:]] == [
        "retrying after '429 <redacted>'",
        "stored for <redacted>",
    ]
    assert client is not None


def test_the_redactor_never_shows_the_key() -> None:
    redactor = Redactor(KEY)
    assert KEY not in repr(redactor) and KEY not in str(redactor)
    with pytest.raises(TypeError):
        pickle.dumps(redactor)


# --- Log records, over a real connection ----------------------------------------------


def _echoing(seen: Seen) -> Answer:
    """Echoes the key it received everywhere it can: reason, headers, body."""
    key = seen.headers.get("x-apikey", "")
    if seen.query.get("cursor") == "2":
        body = json.dumps({"error": {"code": "QuotaExceededError", "message": key}})
        headers = {"Retry-After": f"soon {key}", "X-Echo": key, "Content-Type": "text/json"}
        return Answer(429, body.encode(), headers, reason=f"Slow down {key}")
    answer = hostile.ok(page(["a"], cursor=str(int(seen.query.get("cursor", "0")) + 1)))
    answer.headers["X-Echo"] = key
    answer.reason = f"OK {key}"
    return answer


Runner = Callable[[Any], None]


def _sync_run(client: Any) -> None:
    list(vt_refs.paginate(get_url_related_references, client, id="x"))


def _async_run(client: Any) -> None:
    async def collect() -> None:
        async with client:
            async for _ in vt_refs.apaginate(get_url_related_references, client, id="x"):
                pass

    asyncio.run(collect())


def _caught(run: Runner, base_url: str) -> vt_refs.VTError:
    """The error `run` raises; caught here, so its traceback holds only this frame's
    locals and the library's (not the test's server, which saw the key)."""
    client = vt_refs.connect(
        KEY, base_url=base_url, max_retries=1, backoff_factor=0, max_quota_wait=0.2
    )
    try:
        run(client)
    except vt_refs.VTError as error:
        return error
    finally:
        client.get_httpx_client().close()
    raise AssertionError("no error raised")


@pytest.mark.parametrize("run", [_sync_run, _async_run], ids=["sync", "async"])
def test_no_log_record_of_any_level_holds_it(run: Runner, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(_echoing) as server:
        caught = _caught(run, server.base_url)
    assert isinstance(caught, vt_refs.QuotaExceededError)
    assert len(server.seen) == 4  # pages 0 and 1, then the 429 and the probe after its wait
    assert all(r.headers["x-apikey"] == KEY for r in server.seen)
    messages = [record.getMessage() for record in caplog.records]
    assert any("<redacted>" in m for m in messages)  # the records were there, redacted
    _assert_no_key("\n".join(messages) + caplog.text)
    _assert_no_key(_everything_shown(caught))


def test_every_redacted_logger_family_is_one_that_is_installed() -> None:
    """A logger family left behind by a dependency that is gone (httpx_retries once) is a
    filter on nothing, and hides that the one that replaced it may have none."""
    families = {name.partition(".")[0] for name in redact._LOGGERS}
    missing = sorted(f for f in families if importlib.util.find_spec(f) is None)
    assert missing == [], f"loggers of packages that are not installed: {missing}"
