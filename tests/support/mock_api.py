"""A scripted in-memory API for unit tests: httpx.MockTransport with a request log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx

import vt_refs

from support import pages
from support.keys import KEY
from support.pages import BASE_URL

# A document (a Mapping) is answered with 200 and its JSON, as `ok(doc)` would.
Answer = httpx.Response | Mapping[str, Any] | Callable[[httpx.Request], httpx.Response] | Exception


class ScriptedAPI:
    """Answers requests from a script, in order; then from `default` if given."""

    def __init__(self, answers: Iterable[Answer] = (), default: Answer | None = None) -> None:
        self.answers = list(answers)
        self.default = default
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.default
        if answer is None:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, Mapping):
            return ok(answer)
        if callable(answer):
            return answer(request)
        return answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def client(self, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", BASE_URL)
        kwargs.setdefault("backoff_factor", 0)
        return vt_refs.connect(KEY, transport=self.transport, **kwargs)

    def queries(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests]


def replaying(docs: Iterator[Mapping[str, Any]], limit: int = 100) -> ScriptedAPI:
    """An API answering each request with the next of the endless `docs`, failing the test
    past `limit` requests (a walk that does not stop cannot hang it)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if len(api.requests) > limit:
            raise AssertionError(f"the walk sent more than {limit} requests")
        return ok(next(docs))

    api = ScriptedAPI(default=answer)
    return api


def ok(doc: Any, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(doc).encode(), headers=headers)


def error(status: int, code: str, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(status, json=pages.error(code, message), headers=headers)


def walk_error(api: ScriptedAPI, *, run_async: bool = False, **kwargs: Any) -> vt_refs.VTError:
    """The error a walk of `get_url_related_references` over `api` raises (no retries)."""
    from vt_refs_api.api.urls import get_url_related_references

    client = api.client(max_retries=0, **kwargs)
    try:
        if run_async:

            async def collect() -> None:
                async for _ in vt_refs.apaginate(get_url_related_references, client, id="x"):
                    pass

            asyncio.run(collect())
        else:
            list(vt_refs.paginate(get_url_related_references, client, id="x"))
    except vt_refs.VTError as caught:
        return caught
    raise AssertionError("no error raised")
