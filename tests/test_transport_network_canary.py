"""A canary for the httpx and httpcore internals `_transport/network.py` relies on.

network.py is the one module that reaches into httpx and httpcore beyond their public API:
httpx.Client's own proxy routing (`httpx._utils.URLPattern`, `get_environment_proxies`),
the connection pool behind `httpx.HTTPTransport` (`transport._pool`) and the network
backend it dials with (`_pool._network_backend`), which network.py wraps so that every
socket call honours the attempt deadline. A release that moves any of them breaks the
proxies or the deadline quietly; these tests fail first, each naming what moved and what
it breaks, so the cause of a failed bump is in its message.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.abc
import inspect
import sys
from typing import Any

import httpcore
import httpx
import pytest

import vt_refs
from vt_refs._transport import network
from vt_refs_api.api.urls import get_url_related_references

from support.hostile import ok, serve
from support.pages import page

WHY = {
    "routes": "network.py routes requests through proxies as httpx.Client does",
    "deadline": "network.py wraps the pool's backend so each socket call honours the "
    "attempt deadline (connect(timeout=...))",
}


def _moved(what: str, why: str) -> str:
    return (
        f"{what} moved or changed in httpx {httpx.__version__} / httpcore "
        f"{httpcore.__version__}: {WHY[why]}; update overlays/vt_refs/_transport/network.py "
        "(and pyproject.toml's httpx/httpcore ranges) to the new names"
    )


def test_httpx_proxy_routing_helpers() -> None:
    try:
        utils = importlib.import_module("httpx._utils")
    except ImportError:
        raise AssertionError(_moved("httpx._utils", "routes")) from None
    url_pattern = getattr(utils, "URLPattern", None)
    environment_proxies = getattr(utils, "get_environment_proxies", None)
    assert isinstance(url_pattern, type), _moved("httpx._utils.URLPattern", "routes")
    assert callable(environment_proxies), _moved("httpx._utils.get_environment_proxies", "routes")
    # What network.py does with them: patterns made from the variables' keys, matched
    # against URLs, sorted most specific first; the variables read as {pattern: url}.
    patterns = [url_pattern("all://"), url_pattern("https://"), url_pattern("all://*.example")]
    try:
        assert patterns[1].matches(httpx.URL("https://a.example/"))
        assert not patterns[1].matches(httpx.URL("http://a.example/"))
        ordered = sorted(patterns)
    except (AttributeError, TypeError) as error:
        raise AssertionError(
            _moved(f"URLPattern's matches() or order ({error})", "routes")
        ) from None
    assert ordered[-1].pattern == "all://", _moved("URLPattern's ordering", "routes")
    found = environment_proxies()
    assert isinstance(found, dict), _moved("get_environment_proxies()'s result", "routes")


@pytest.mark.parametrize(
    "proxy", [None, httpx.Proxy("http://127.0.0.1:9"), httpx.Proxy("https://127.0.0.1:9")]
)
def test_the_pool_and_its_network_backend(proxy: httpx.Proxy | None) -> None:
    with httpx.HTTPTransport(proxy=proxy) as transport:
        pool: Any = getattr(transport, "_pool", None)
        assert isinstance(pool, httpcore.ConnectionPool), _moved(
            "httpx.HTTPTransport._pool (an httpcore.ConnectionPool)", "deadline"
        )
        backend = getattr(pool, "_network_backend", None)
        assert isinstance(backend, httpcore.NetworkBackend), _moved(
            f"{type(pool).__name__}._network_backend (an httpcore.NetworkBackend)", "deadline"
        )


@pytest.mark.parametrize(
    ("base", "wrapper"),
    [
        (httpcore.NetworkStream, network._DeadlineStream),
        (httpcore.NetworkBackend, network._DeadlineBackend),
    ],
)
def test_the_wrappers_cover_every_method_with_the_same_signature(base: type, wrapper: type) -> None:
    """A method httpcore adds to its stream or backend would bypass the deadline (or hit
    the base class's NotImplementedError); a parameter renamed would be passed wrongly."""
    methods = {
        name: value
        for name, value in vars(base).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    assert methods, _moved(f"httpcore.{base.__name__}'s methods", "deadline")
    missing = sorted(set(methods) - set(vars(wrapper)))
    assert missing == [], _moved(f"httpcore.{base.__name__} now has {missing}", "deadline")
    for name, method in methods.items():
        theirs = list(inspect.signature(method).parameters)
        ours = list(inspect.signature(getattr(wrapper, name)).parameters)
        assert ours == theirs, _moved(f"httpcore.{base.__name__}.{name}{theirs}", "deadline")


def test_the_timeouts_the_wrappers_raise() -> None:
    for name in ("TimeoutException", "ConnectTimeout", "ReadTimeout", "WriteTimeout"):
        found = getattr(httpcore, name, None)
        assert isinstance(found, type), _moved(f"httpcore.{name}", "deadline")
        assert issubclass(found, httpcore.TimeoutException), _moved(f"httpcore.{name}", "deadline")


def test_the_pool_dials_through_the_wrapped_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The attribute may still be there and no longer be read: a request must reach the
    wrapper, or the deadline is gone while every check above passes."""
    dialled: list[tuple[str, int]] = []
    connect_tcp = network._DeadlineBackend.connect_tcp

    def spy(self: network._DeadlineBackend, host: str, port: int, **kwargs: Any) -> Any:
        dialled.append((host, port))
        return connect_tcp(self, host, port, **kwargs)

    monkeypatch.setattr(network._DeadlineBackend, "connect_tcp", spy)
    with serve(lambda seen: ok(page(["a"]))) as server:
        port = server.port
        base_url = f"http://127.0.0.1:{port}/api/v3"
        with vt_refs.connect("k", base_url=base_url, trust_env=False) as client:
            items = list(vt_refs.paginate(get_url_related_references, client, id="x"))
    assert [item.id for item in items] == ["a"]
    assert dialled == [("127.0.0.1", port)], _moved(
        "the pool's use of _network_backend (the wrapper was never dialled)", "deadline"
    )


class _ImportSpy(importlib.abc.MetaPathFinder):
    """Records each import that reaches the finders: one not already in sys.modules."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        self.searched.append(fullname)


def test_async_requests_search_for_no_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpcore 1.0 imports sniffio inside each async lock, event and semaphore it makes,
    and Python does not remember a failed import: without sniffio installed (anyio >= 4.11
    no longer brings it) every async request walks sys.path about ten times, 40% of
    aenrich's CPU. pyproject.toml declares sniffio for that; once warm, a walk imports
    nothing at all (encode/httpcore#1103 moves the import to the module)."""
    spy = _ImportSpy()

    async def walk(client: Any) -> list[str]:
        pages = vt_refs.apaginate(get_url_related_references, client, id="x")
        return [item.id async for item in pages]

    async def main(base_url: str) -> tuple[list[str], list[str]]:
        async with vt_refs.connect("k", base_url=base_url, trust_env=False) as client:
            warm = await walk(client)  # first-time imports happen here, as they may
            monkeypatch.setattr(sys, "meta_path", [spy, *sys.meta_path])
            again = await walk(client)
            monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if f is not spy])
        return warm, again

    with serve(lambda seen: ok(page(["a"]))) as server:
        warm, again = asyncio.run(main(f"http://127.0.0.1:{server.port}/api/v3"))
    assert warm == again == ["a"]
    assert spy.searched == [], (
        f"a warm async walk searched for modules {sorted(set(spy.searched))}: each failed "
        "import walks sys.path on every request (is sniffio installed? pyproject.toml "
        "declares it for httpcore's current_async_library)"
    )
