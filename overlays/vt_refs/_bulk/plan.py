"""`plan`: what a bulk run would cost, before it sends anything.

A public key allows 4 requests a minute and 500 a day, so a list of a few thousand
indicators is days of quota: worth knowing before it starts. The plan reads the input
as a run would (the same classification, the same dedupe), asks the client's cache (if
it has one) which walks it could answer, and counts:

- the distinct indicators by kind, the duplicates, the invalid items;
- the distinct indicators the cache answers whole (they cost 0);
- the minimum: one request per distinct indicator the cache does not answer whole;
- the expected requests: for an indicator whose first page the cache holds, the pages
  its `meta.count` says are left at the walk's page size; one for the others (what their
  count is, nobody knows before asking);
- at a quota, how long the run takes and when it would end (UTC), from an empty quota,
  at the pace the client's sliding windows allow: each window admits its limit at once,
  then its limit again each interval.

Nothing is sent: the cache is read through `connect()`'s own cache layer, which answers
or says it has nothing, and never passes a request on.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from vt_refs_api import AuthenticatedClient

from .._checks import check_count
from .._client import cached_answer
from .._errors import UsageError, VTError
from .._paging import DEFAULT_RELATIONSHIP, AnyClient, Walk, get_catalog, page_size_for
from .._quotas import server_quota
from .._transport import Quota
from .distinct import Seen
from .engine import check_relationship, operation
from .ioc import IOC, KINDS, Unreadable, classify


@attrs.frozen
class Plan:
    """What a bulk run over some indicators would cost (see `vt_refs.plan`).

    - `items`: input items read; `distinct`, and `kinds` (distinct ones by kind);
      `duplicates` (items repeating an earlier indicator: no request); `invalid`.
    - `cached`: distinct indicators the cache answers whole (cost 0).
    - `minimum_requests`: one per distinct indicator the cache does not answer whole.
    - `expected_requests`: from `meta.count` where the cache knows it (`counts_known`
      indicators), one for each of the others.
    - `page_size`: the `limit` the walks send.
    - `quota`, `seconds`, `ends_at`, `days`: at that quota, from an empty one, how long
      the expected requests take, when the run would end (UTC) and how many UTC days
      after today that is (0: today). None without a quota.
    - `left_today`, `fits_today`: with `user=`, the requests the server says are left of
      the user's (or group's) daily quota, and whether the expected requests fit in them.
    """

    items: int
    distinct: int
    kinds: Mapping[str, int]
    duplicates: int
    invalid: int
    cached: int
    minimum_requests: int
    expected_requests: int
    counts_known: int
    page_size: int
    quota: Quota | None = None
    seconds: float | None = None
    ends_at: datetime.datetime | None = None
    days: int | None = None
    left_today: int | None = None
    fits_today: bool | None = None


def run_seconds(requests: int, quota: Quota) -> float:
    """Seconds from the first of `requests` to the last at `quota`'s pace: each window
    lets its limit through at once, then its limit again every interval."""
    if requests <= 0:
        return 0.0
    return max(((requests - 1) // w.limit) * w.interval_ms / 1000 for w in quota.windows())


def _pages(left: int | None, remaining: int | None, page_size: int) -> int:
    """Requests still needed for a walk that knows `left` items are to come."""
    if left is None:
        return 1
    need = left if remaining is None else min(left, remaining)
    return max(1, math.ceil(need / page_size)) if need > 0 else 1


def _cost(walk: Walk, client: AnyClient) -> tuple[int, bool]:
    """(requests the walk still needs after what the cache answers, whether the cache
    knew how many items there are); (0, True) when the cache answers it whole."""
    http = client.get_httpx_client()
    answered = 0
    while (request := walk.next_request()) is not None:
        answer = cached_answer(client, http.build_request(**request))
        if answer is None:
            break
        try:
            walk.take(answer)
        except VTError:  # what the cache holds does not parse now: the run fetches it
            break
        answered += 1
    if walk.done and answered:
        return 0, True
    if not answered:
        return 1, False
    return _pages(walk.left, walk.remaining, walk.page_size), walk.left is not None


def plan(
    iocs: Iterable[str | IOC],
    *,
    client: AnyClient | None = None,
    quota: Quota | None = None,
    descriptors: bool = False,
    max_items_per_ioc: int | None = None,
    page_size: int | None = None,
    relationship: str = DEFAULT_RELATIONSHIP,
    user: str | None = None,
    now: datetime.datetime | None = None,
) -> Plan:
    """What `enrich(client, iocs, ...)` with these options would cost; sends nothing.

    The options are `enrich`'s. `iocs` is read through once (a generator over a file of
    millions of lines is fine: the dedupe keeps digests on disk). With `client` (from
    `connect(cache=...)`), its cache says which walks cost nothing and, where it holds a
    first page, how many pages are left. With `quota` (e.g. `vt_refs.Quota.public()`),
    the plan says how long the run takes at that quota and when it ends; `now` is when
    it would start (default: now, UTC). With `user` (a VirusTotal user id, never the key)
    and `client`, the one request sent asks the server how much of the user's daily quota
    is left (`vt_refs.server_quota`), and the plan says whether the run fits in it.

    Raises:
        UsageError: a bad argument (as `enrich` would refuse it), or an item that is
            neither a str nor an `IOC`.
    """
    if isinstance(iocs, str | bytes | IOC):
        raise UsageError("iocs must be an iterable of indicators, not a single indicator")
    check_count("max_items_per_ioc", max_items_per_ioc, 0, optional=True)
    if client is not None and not isinstance(client, AnyClient):
        raise UsageError(f"client must come from vt_refs.connect(), not {client!r}")
    if user is not None and not isinstance(client, AuthenticatedClient):
        raise UsageError("plan(user=...) needs client=connect(...): the server is asked")
    if quota is not None and not isinstance(quota, Quota):
        raise UsageError(f"quota must be a vt_refs.Quota, not {quota!r}")
    started = datetime.datetime.now(datetime.UTC) if now is None else now
    check_count("page_size", page_size, 1, optional=True)
    check_relationship(relationship)
    # The page size the walks send, and its check against the maximum, are the walk's own.
    sizes = {
        page_size_for(entry.module, page_size, entry.default_limit)
        for entry in get_catalog().entries
        if (entry.relationship, entry.descriptors) == (relationship, descriptors)
    }
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    figures = {"items": 0, "duplicates": 0, "invalid": 0, "cached": 0, "expected": 0}
    known = 0
    seen = Seen()
    try:
        for index, item in enumerate(_items(iocs)):
            figures["items"] += 1
            ioc = _classified(item, index)
            if ioc is None:
                figures["invalid"] += 1
                continue
            try:  # a collection without the relationship: the run says invalid
                walked = operation(ioc.kind, descriptors, relationship)
            except UsageError:
                figures["invalid"] += 1
                continue
            if seen.first(ioc, index) is not None:
                figures["duplicates"] += 1
                continue
            counts[ioc.kind] += 1
            if client is None:
                figures["expected"] += 1
                continue
            walk = Walk(walked, client, max_items=max_items_per_ioc, page_size=page_size,
                        cursor=None, params={"id": ioc.id})  # fmt: skip
            cost, counted = _cost(walk, client)
            figures["cached"] += cost == 0
            figures["expected"] += cost
            known += counted
    finally:
        seen.close()
    distinct = sum(counts.values())
    expected = figures["expected"]
    left = None
    if user is not None and isinstance(client, AuthenticatedClient):  # last: the input was read
        left = server_quota(client, user=user).daily.left
    seconds = None if quota is None else run_seconds(expected, quota)
    ends = None if seconds is None else started + datetime.timedelta(seconds=seconds)
    return Plan(
        items=figures["items"],
        distinct=distinct,
        kinds=MappingProxyType({kind: n for kind, n in counts.items() if n}),
        duplicates=figures["duplicates"],
        invalid=figures["invalid"],
        cached=figures["cached"],
        minimum_requests=distinct - figures["cached"],
        expected_requests=expected,
        counts_known=known,
        page_size=max(sizes),
        quota=quota,
        seconds=seconds,
        ends_at=ends,
        days=None if ends is None else (ends.date() - started.astimezone(datetime.UTC).date()).days,
        left_today=left,
        fits_today=None if left is None else expected <= left,
    )


def _items(iocs: object) -> Iterable[Any]:
    try:
        return iter(iocs)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        raise UsageError(f"iocs must be an iterable, not {type(iocs).__name__}") from None


def _classified(item: object, index: int) -> IOC | None:
    """`item` classified as a run would; None when it is invalid."""
    if isinstance(item, Unreadable):
        return None
    if not isinstance(item, str | IOC):
        raise UsageError(f"iocs[{index}] must be a str or an IOC, not {type(item).__name__}")
    try:
        return classify(item)  # type: ignore[arg-type]  # an IOC passes through
    except UsageError:
        return None
