"""The quota layer of the transport stack: every attempt waits for its turn, and a server
429 is a wait, not the end.

It sits directly under the retry layer, so every attempt (retries included) waits here,
and above the body layer, so nothing is sent without its turn. Before each attempt: the
turn the learned quota gives (`learned`: the server's window, learned from its 429s), then
a permit of the client's own quota when `connect(quota=...)` gave one (`gate`). After it:
a 429 (QuotaExceededError, TooManyRequestsError, any 429) is taught to the learner and
the request is sent again at its next turn, each wait at most `max_quota_wait` seconds.
The 429 goes up only when waiting is over: a Retry-After past `max_quota_wait` (as the
server sent it), or probes still refused after a full `max_quota_wait` (the fatal
QuotaExceededError, saying it looks like the daily quota and when that resets), or a
method that is not sent twice. The retry layer above never retries a 429.
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING

import httpx

from ..._errors import APIConnectionError, APIError, api_error
from ..answers import api_error_from, retry_after
from ..digest import key_digest
from ..key import origin
from ..layer import Layer
from ..retry import QUOTA_FINAL, RETRY_METHODS
from ..settings import Settings
from ..stats import Counters
from ..stopping import apause, pause
from .learned import Learner, learner_for
from .notice import log, notify
from .turns import Grant

if TYPE_CHECKING:  # the gate loads pyrate-limiter: only for a client with a quota
    from .gate import QuotaGate


def _stopped() -> APIConnectionError:
    """A run told to stop does not wait for its turn: the request is not sent."""
    return APIConnectionError("the run is stopping: not sent (no quota wait)")


def _to_midnight(now: datetime.datetime) -> tuple[datetime.datetime, float]:
    reset = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return reset, (reset - now).total_seconds()


def spent_error(response: httpx.Response, waited: float, max_wait: float | None) -> APIError:
    """The fatal 429: probes after `max_quota_wait` were refused too. It looks like the
    day's quota (VirusTotal resets it at 00:00 UTC) or the month's (on the 1st)."""
    response.read()  # in memory already (the body layer's): no I/O
    server = api_error_from(response)
    reset, seconds = _to_midnight(datetime.datetime.now(datetime.UTC))
    message = (
        f"{server.message}; still refused after waiting {waited:.0f} s for the quota "
        f"(max_quota_wait={max_wait:g} s per wait): it looks like the daily quota, which "
        f"VirusTotal resets at 00:00 UTC ({reset:%Y-%m-%d %H:%M} UTC, in {seconds / 3600:.1f} h)"
        " (or the monthly one, reset on the 1st)"
    )
    return api_error(429, server.code, message, retry_after=round(seconds))


class QuotaTransport(Layer):
    """Gives each attempt its turn in the key's quota, and waits out the server's 429s."""

    def __init__(
        self,
        sync: httpx.BaseTransport,
        async_: httpx.AsyncBaseTransport,
        *,
        learner: Learner,
        gate: QuotaGate | None,
        max_wait: float | None,
        counters: Counters,
    ) -> None:
        super().__init__(sync, async_)
        self._learner = learner
        self._gate = gate
        self._max_wait = max_wait
        self._counters = counters

    def _due(self, grant: Grant) -> float:
        """Seconds until `grant`'s turn; said and counted as a wait."""
        wait = grant.at - time.monotonic()
        if wait > 0:
            notify(wait, self._learner.label(), "server" if grant.probe else "quota")
            self._counters.waited(wait)
        return wait

    def _answered(
        self,
        request: httpx.Request,
        grant: Grant,
        response: httpx.Response,
        refused: tuple[int, float],
    ) -> httpx.Response | float:
        """`response` to hand up, or the seconds to wait before sending it again; `refused`
        is how many 429s the request met before, and since when it has been sent."""
        now = time.monotonic()
        if self._gate is not None:
            self._gate.observe(now - grant.at)
        if response.status_code != 429:
            self._learner.admitted(grant, now)
            return response
        header = retry_after(response.headers.get("retry-after"))
        hold = self._learner.rejected(grant, now, header, self._max_wait, refused[0])
        if hold is None and header is not None:
            log.info(
                "%s %s: HTTP 429, Retry-After %g s is past max_quota_wait (%s s): not waiting",
                request.method, request.url.path, header, self._max_wait,
            )  # fmt: skip
        if hold is not None and request.method in RETRY_METHODS:  # a 429 was not served
            if self._learner.learns:
                return 0.0  # its next turn comes after the hold: waited for, and said, there
            wait = max(hold.until - time.monotonic(), 0.0)
            notify(wait, hold.label, "server")
            self._counters.waited(wait)
            return wait
        response.extensions[QUOTA_FINAL] = True
        if hold is None and grant.probe:  # it waited, probed, and is refused still
            raise spent_error(response, time.monotonic() - refused[1], self._max_wait)
        return response  # the server's own error: past max_quota_wait, or not resent

    def _permit(self) -> None:
        if self._gate is not None:
            asked = time.monotonic()
            self._gate.wait()
            self._counters.waited(time.monotonic() - asked)

    async def _apermit(self) -> None:
        if self._gate is not None:
            asked = time.monotonic()
            await self._gate.await_permit()
            self._counters.waited(time.monotonic() - asked)

    def _granted(self) -> Grant:
        """This attempt's turn, once it has come (sync: sleeps)."""
        while True:
            while (grant := self._learner.reserve(time.monotonic())) is None:
                if not pause(self._learner.retry_in()):
                    raise _stopped()
            wait = self._due(grant)
            try:
                waited = wait <= 0 or pause(wait)
            except BaseException:  # Ctrl-C, a cancelled task: the turn is given back
                self._learner.cancel(grant)
                raise
            if not waited:
                self._learner.cancel(grant)
                raise _stopped()
            if self._learner.current(grant):  # else a 429 since took it back: ask again
                return grant

    async def _agranted(self) -> Grant:
        """This attempt's turn, once it has come (async: awaits)."""
        while True:
            while (grant := self._learner.reserve(time.monotonic())) is None:
                if not await apause(self._learner.retry_in()):
                    raise _stopped()
            wait = self._due(grant)
            try:
                waited = wait <= 0 or await apause(wait)
            except BaseException:  # Ctrl-C, a cancelled task: the turn is given back
                self._learner.cancel(grant)
                raise
            if not waited:
                self._learner.cancel(grant)
                raise _stopped()
            if self._learner.current(grant):  # else a 429 since took it back: ask again
                return grant

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        refused, started = 0, time.monotonic()
        while True:
            grant = self._granted()
            try:
                self._permit()
                self._learner.sending(grant, time.monotonic())
                response = self._sync.handle_request(request)
            except BaseException:
                self._learner.cancel(grant)
                raise
            answer = self._answered(request, grant, response, (refused, started))
            if isinstance(answer, httpx.Response):
                return answer
            response.close()
            refused += 1
            if answer > 0 and not pause(answer):
                raise _stopped()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        refused, started = 0, time.monotonic()
        while True:
            grant = await self._agranted()
            try:
                await self._apermit()
                self._learner.sending(grant, time.monotonic())
                response = await self._async.handle_async_request(request)
            except BaseException:
                self._learner.cancel(grant)
                raise
            answer = self._answered(request, grant, response, (refused, started))
            if isinstance(answer, httpx.Response):
                return answer
            await response.aclose()
            refused += 1
            if answer > 0 and not await apause(answer):
                raise _stopped()


def quota_layer(
    sync: httpx.BaseTransport,
    async_: httpx.AsyncBaseTransport,
    settings: Settings,
    counters: Counters,
) -> QuotaTransport:
    """The quota layer of `settings`: the learner of the key at its origin, and the gate
    of its own quota when it has one (pyrate-limiter loads only then)."""
    gate = None
    if settings.quota is not None:
        from .gate import own_gate

        gate = own_gate(settings)
    if gate is None:  # the server's quota, learned and shared by every client of the key
        learner = learner_for(origin(settings.base_url), key_digest(settings.key, "learned"))
    else:  # its own quota paces it: a 429 is waited out by its request alone
        learner = Learner(learns=False)
    return QuotaTransport(
        sync, async_, learner=learner, gate=gate, max_wait=settings.max_quota_wait,
        counters=counters,
    )  # fmt: skip
