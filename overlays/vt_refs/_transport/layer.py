"""The base of every transport layer: one object serving httpx.Client and AsyncClient."""

from __future__ import annotations

import httpx


class Layer(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Passes requests to a sync and an async transport (or one object that is both).

    Layers share their logic between the two methods; only the waiting differs.
    """

    def __init__(self, sync: httpx.BaseTransport, async_: httpx.AsyncBaseTransport) -> None:
        self._sync = sync
        self._async = async_

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()
        if id(self._sync) != id(self._async):  # `async with` closes the sync half too
            self._sync.close()
