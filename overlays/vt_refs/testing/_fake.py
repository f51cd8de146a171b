"""`FakeVirusTotal`: the public face of the fake server."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Final, NamedTuple, Self

from .._checks import check_count, check_number
from .._transport import Quota
from ._app import App
from ._arguments import check_header_value, reference_copies
from ._arguments import seconds as wait_seconds
from ._faults import (
    CHAOS_KINDS,
    ChaosKind,
    DelayFault,
    DropFault,
    FailFault,
    FaultPlan,
    MalformFault,
    RedirectFault,
    fault_response,
)
from ._quota import QuotaEnforcer
from ._records import RecordedRequest
from ._responses import Response, asks_for_gzip, gzipped
from ._routes import API_PREFIX, COLLECTIONS, PATH_TEMPLATES, ObjectKey, object_key
from ._server import HttpServer
from ._store import ReferenceStore, ReferenceUpdates
from ._users import UserQuotas

DEFAULT_API_KEY: Final = "fake-virustotal-api-key"
"""The key a `FakeVirusTotal` accepts unless given `api_key=`; any other gets a 401."""
DEFAULT_USER: Final = "fake-user"
"""The user id of the key's owner unless given `user=` (for `/users/{id}/overall_quotas`)."""
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_KINDS: Final[tuple[ChaosKind, ...]] = ("fail", "drop", "delay")


class _Running(NamedTuple):
    server: HttpServer
    app: App
    origin: str


class FakeVirusTotal:
    """A VirusTotal API v3 relationships server on loopback, for tests.

    It speaks real HTTP/1.1 (keep-alive, Content-Length on every response), so a client
    is tested through its whole transport, and it answers every relationship operation of
    openapi.yaml (the SDK's operations catalog: a relationship added to the spec is
    served after `make generate`) as the API does: pages with `meta.count`,
    `meta.cursor` and `links`, the API's authentication and error bodies. Data is
    deterministic: the seed's two references for the seed URL's `related_references`
    (`SEED_URL_SHA256` or `url_id(SEED_URL)`), generated references for any other
    well-formed id, different for each relationship. Tests change objects while it runs
    with `set_count`, `add_references`, `update_reference`, `remove_object` (in every
    relationship), inject faults with `*_next` or `chaos`, read requests in `requests`.

    Use it as a context manager (`with FakeVirusTotal() as fake:`) or call start() and
    stop(). The port is a free one unless `port` is given.
    """

    PATHS: ClassVar[frozenset[str]] = PATH_TEMPLATES
    """The path templates served under `base_url`, spelt as in openapi.yaml."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEFAULT_API_KEY,
        default_count: int = 25,
        max_limit: int | None = None,
        record_requests: bool = True,
        quota: Quota | None = None,
        latency: float = 0.0,
        quota_scale: float = 1.0,
        user: str = DEFAULT_USER,
    ) -> None:
        """Configure a fake; nothing listens until start().

        `default_count` is how many references an object has unless `set_count` says
        otherwise (the seed URL has its 2). `max_limit` is the page size larger `limit`
        values are clamped to; None (the default) clamps each operation to its own
        maximum, the `maximum` of `limit` in openapi.yaml (40, as VirusTotal states).
        `record_requests=False` keeps `requests` empty, so a long-running fake (the
        command line one) does not grow without bound.
        `quota` (a `vt_refs.Quota`) makes it answer 429 QuotaExceededError past any of its
        windows, per API key, counting every request it receives on arrival (rejected ones
        too); `quota_rejected` says how many it rejected.
        `quota_scale` multiplies every window's length: `quota=Quota.public(),
        quota_scale=1/30` is 4 requests per 2 s (and 500 per 48 minutes).
        `latency` is seconds added to every response (faults included), as a distant API
        would: concurrency only pays off against it.
        `user` is the key owner's id, for `/users/{user}/overall_quotas`.
        Bodies are gzip-compressed only for a User-Agent containing "gzip" (and an
        Accept-Encoding offering it), as VirusTotal's front end does.
        """
        if not isinstance(host, str) or not host:
            raise ValueError("host must be a non-empty str")
        self._host = host
        self._requested_port = check_count("port", port, 0, maximum=65535)
        self._api_key = check_header_value("api_key", api_key)
        self._max_limit = check_count("max_limit", max_limit, 1, optional=True)
        self._store = ReferenceStore(check_count("default_count", default_count, 0))
        self._faults = FaultPlan()
        self._log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._record = bool(record_requests)
        self._stopping = threading.Event()
        self._running: _Running | None = None
        self._latency = wait_seconds("latency", latency)
        scale = check_number("quota_scale", quota_scale, minimum=0, allow_equal=False)
        self._quota = (
            None if quota is None else QuotaEnforcer(quota, record=self._record, scale=scale)
        )
        self._users = UserQuotas(check_header_value("user", user), self._api_key, self._quota)
        self._bytes_sent = 0

    # Lifecycle

    def start(self) -> Self:
        """Bind the port and serve on a daemon thread; returns self for chaining."""
        if self._running is not None:
            raise RuntimeError("FakeVirusTotal is already running")
        server = HttpServer(self._host, self._requested_port, self._dispatch)
        origin = f"http://{self._bracketed_host}:{server.port}"
        self._store.rebase(origin + API_PREFIX)
        app = App(
            api_key=self._api_key,
            origin=origin,
            store=self._store,
            max_limit=self._max_limit,
            users=self._users.answer,
        )
        self._stopping.clear()
        self._running = _Running(server, app, origin)
        server.start()
        return self

    def stop(self) -> None:
        """Stop serving, end pending delays and open connections, free the port.

        Calling it again, or on a fake never started, does nothing. Objects, faults and
        recorded requests survive: start() serves them again (on a new port if it was 0).
        """
        running, self._running = self._running, None
        if running is not None:
            self._stopping.set()
            running.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._running is not None else "stopped"
        return f"<FakeVirusTotal {where}>"

    # Where it is

    @property
    def _bracketed_host(self) -> str:
        return f"[{self._host}]" if ":" in self._host else self._host

    @property
    def port(self) -> int:
        """The port it listens on; only while running."""
        if self._running is None:
            raise RuntimeError("FakeVirusTotal is not running: call start() or use `with`")
        return self._running.server.port

    @property
    def origin(self) -> str:
        """`http://HOST:PORT`, with no path; only while running."""
        return f"http://{self._bracketed_host}:{self.port}"

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT/api/v3`, the fake's counterpart of the API's base URL."""
        return self.origin + API_PREFIX

    @property
    def api_key(self) -> str:
        """The only key it accepts in `x-apikey`."""
        return self._api_key

    # Objects

    def _key(self, object_id: str, collection: str) -> ObjectKey:
        if collection not in COLLECTIONS:
            raise ValueError(f"collection must be one of {sorted(COLLECTIONS)}, got {collection!r}")
        key = object_key(collection, object_id) if isinstance(object_id, str) else None
        if key is None:
            raise ValueError(f"{object_id!r} is not a well-formed id in {collection}")
        return key

    def set_count(self, object_id: str, n: int, *, collection: str = "urls") -> None:
        """Give the object `n` seed or generated references (references added stay on top).

        For the seed URL, the first two are the seed's and the rest generated.
        """
        self._store.set_count(self._key(object_id, collection), check_count("n", n, 0))

    def add_references(
        self,
        object_id: str,
        references: Iterable[Mapping[str, Any]],
        *,
        collection: str = "urls",
    ) -> None:
        """Append full reference objects to the object's references (and to its count).

        Each must be JSON-serialisable with string `type` and `id` (descriptors need them);
        it is copied, so later changes by the caller do not leak into responses.
        """
        key = self._key(object_id, collection)
        copies = reference_copies(references)
        self._store.add(key, copies)

    def remove_object(self, object_id: str, *, collection: str = "urls") -> None:
        """Make the object unknown (404) until set_count or add_references changes it."""
        self._store.remove(self._key(object_id, collection))

    update_reference = ReferenceUpdates.update_reference  # documented and tested here

    # Faults

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        code: str | None = "TransientError",
        message: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next `n` requests with an error instead of serving them.

        With a `code`, the body is VirusTotal's JSON error (e.g. 429 QuotaExceededError,
        503 TransientError, 504 DeadlineExceededError); with `code=None` it is an HTML page,
        as a proxy in front of the API sends (e.g. 500, 502, 520). `retry_after` is sent
        verbatim as Retry-After, which VirusTotal does not document but clients honour.
        """
        check_count("status", status, 400, maximum=599)
        if code is not None and not (isinstance(code, str) and code):
            raise ValueError("code must be a non-empty str or None")
        if retry_after is not None:
            check_header_value("retry_after", retry_after)
        text = message if message is not None else f"{code or status} injected by FakeVirusTotal"
        self._faults.queue(FailFault(status, code, text, retry_after), check_count("n", n, 1))

    def drop_next(self, n: int = 1) -> None:
        """Close the connection of the next `n` requests without any response."""
        self._faults.queue(DropFault(), check_count("n", n, 1))

    def delay_next(self, n: int = 1, *, seconds: float) -> None:
        """Serve the next `n` requests normally, each after `seconds` (for timeouts)."""
        self._faults.queue(DelayFault(wait_seconds("seconds", seconds)), check_count("n", n, 1))

    def malform_next(
        self,
        n: int = 1,
        *,
        body: bytes = b'{"data": [',
        status: int = 200,
        content_type: str = "application/json",
    ) -> None:
        """Answer the next `n` requests with `body` verbatim (by default, truncated JSON)."""
        if not isinstance(body, bytes):
            raise ValueError("body must be bytes")
        check_count("status", status, 200, maximum=599)
        fault = MalformFault(body, status, check_header_value("content_type", content_type))
        self._faults.queue(fault, check_count("n", n, 1))

    def redirect_next(self, n: int = 1, *, location: str | None = None, status: int = 307) -> None:
        """Redirect the next `n` requests to `location` (default: their own URL on the fake).

        A client must not carry its API key across a redirect it did not expect.
        """
        if status not in _REDIRECT_STATUSES:
            raise ValueError(f"status must be one of {sorted(_REDIRECT_STATUSES)}, got {status!r}")
        if location is not None:
            check_header_value("location", location)
        self._faults.queue(RedirectFault(location, status), check_count("n", n, 1))

    def chaos(
        self,
        rate: float,
        seed: int,
        kinds: Iterable[ChaosKind] = _RETRYABLE_KINDS,
        *,
        delay: float = 0.05,
    ) -> None:
        """Inject faults into a pseudo-random share `rate` (0..1) of the following requests.

        Each request that finds no queued fault draws from `random.Random(seed)`: it gets a
        fault with probability `rate`, of a kind chosen evenly from `kinds`:
        - "fail": 429 QuotaExceededError (Retry-After: 0), 503 TransientError or
          504 DeadlineExceededError, evenly;
        - "drop": the connection closes without a response;
        - "delay": the normal response after `delay` seconds;
        - "malform": a 200 with truncated JSON;
        - "redirect": a 307 to the request's own URL.
        The defaults are the faults a client should recover from by retrying. The same
        seed gives the same faults on the same request ordinals, so a failure reproduces;
        with concurrent requests, which request gets which ordinal depends on arrival.
        `rate=0` turns chaos off, as does clear_faults().
        """
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(f"rate must be a number in 0..1, got {rate!r}")
        check_count("seed", seed, None)
        chosen = tuple(kinds)
        if not chosen or not set(chosen) <= CHAOS_KINDS:
            raise ValueError(f"kinds must be a non-empty choice of {sorted(CHAOS_KINDS)}")
        self._faults.chaos(float(rate), seed, chosen, wait_seconds("delay", delay))

    def clear_faults(self) -> None:
        """Drop every queued fault and turn chaos mode off."""
        self._faults.clear()

    # Recorded requests

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._log_lock:
            self._log.clear()

    # Serving (called on the server's handler threads)

    @property
    def quota_rejected(self) -> int:
        """How many requests the quota (`FakeVirusTotal(quota=...)`) answered with 429."""
        return 0 if self._quota is None else self._quota.rejected

    @property
    def quota_arrivals(self) -> list[tuple[float, bool]]:
        """Each request the quota counted: (time.monotonic() at arrival, admitted), oldest
        first; empty with `record_requests=False`. For measuring how much of the quota
        clients use."""
        if self._quota is None:
            return []
        with self._quota.lock:
            return list(self._quota.arrivals)

    @property
    def bytes_sent(self) -> int:
        """Body bytes written so far (compressed ones as compressed), for measuring gzip."""
        with self._log_lock:
            return self._bytes_sent

    def _dispatch(self, request: RecordedRequest) -> Response | None:
        response = self._answer(request)
        if response is None:
            return None
        if asks_for_gzip(request.headers):
            response = gzipped(response)
        with self._log_lock:
            self._bytes_sent += len(response.body)
        return response

    def _answer(self, request: RecordedRequest) -> Response | None:
        if self._users.spends_quota(request) and self._quota is not None:
            rejected = self._quota.admit(request.headers.get("x-apikey", ""))
            if rejected is not None:
                if self._record:
                    with self._log_lock:
                        self._log.append(request)
                return rejected
        fault = self._faults.take()
        if self._record:
            with self._log_lock:
                self._log.append(dataclasses.replace(request, fault=fault))
        if self._latency and self._stopping.wait(self._latency):
            return None
        running = self._running
        if running is None or isinstance(fault, DropFault):
            return None
        if isinstance(fault, DelayFault) and self._stopping.wait(fault.seconds):
            return None
        if fault is None or isinstance(fault, DelayFault):
            return running.app.handle(request)
        return fault_response(fault, running.origin + request.target)
