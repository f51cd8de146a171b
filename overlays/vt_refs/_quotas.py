"""`server_quota`: the server's own view of a user's quota, from `/users/{id}/overall_quotas`.

VirusTotal reports, per hour, day and month, how many API requests the user (and its
group, when it has one) is allowed and has used; a run can then say how many are left
today. The endpoint also accepts the API key itself as `{id}`, which would put the key in
a URL (server logs, proxies, error messages): the user id is required, and a `user`
holding the key is refused before anything is sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import attrs
import httpx

from vt_refs_api import AuthenticatedClient
from vt_refs_api.models import OverallQuotas, OverallQuotasResponse, QuotaUsage

from ._client import key_in
from ._errors import UsageError, VTError
from ._parsing import DEFAULT_ON_DRIFT, parse
from ._transport import api_error_from, transport_error, unexpected_error

__all__ = ["QuotaUse", "ServerQuota", "aserver_quota", "server_quota"]


@attrs.frozen(kw_only=True)
class QuotaUse:
    """One period's API requests: `allowed` and `used` (None when the server sent none),
    the user's own and, when the user's group has one, the group's."""

    allowed: int | None = None
    used: int | None = None
    group_allowed: int | None = None
    group_used: int | None = None

    @property
    def left(self) -> int | None:
        """What is left of the tighter of the user's and the group's allowance."""
        pairs = ((self.allowed, self.used), (self.group_allowed, self.group_used))
        lefts = [a - u for a, u in pairs if a is not None and u is not None]
        return max(min(lefts), 0) if lefts else None


@attrs.frozen(kw_only=True)
class ServerQuota:
    """A user's API request quotas as VirusTotal counts them: `hourly`, `daily` (reset at
    00:00 UTC) and `monthly` (reset on the 1st); `quotas` is the whole parsed answer,
    quotas the SDK does not describe kept in its `additional_properties`."""

    user: str
    hourly: QuotaUse
    daily: QuotaUse
    monthly: QuotaUse
    quotas: OverallQuotas = attrs.field(repr=False)


def _use(usage: object) -> QuotaUse:
    if not isinstance(usage, QuotaUsage):
        return QuotaUse()

    def number(count: object, name: str) -> int | None:
        value = getattr(count, name, None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return QuotaUse(
        allowed=number(usage.user, "allowed"),
        used=number(usage.user, "used"),
        group_allowed=number(usage.group, "allowed"),
        group_used=number(usage.group, "used"),
    )


def _path(client: AuthenticatedClient, user: object) -> str:
    if not isinstance(user, str) or not user.strip() or not user.isprintable():
        raise UsageError(f"user must be a VirusTotal user id (a non-empty str), not {user!r}")
    if key_in(client, user):
        raise UsageError(
            "user must be the VirusTotal user id, not the API key: VirusTotal accepts the "
            "key there, but that puts it in a URL (logs, proxies, error messages)"
        )
    return f"/users/{quote(user.strip(), safe='')}/overall_quotas"


def _answer(client: AuthenticatedClient, user: str, response: httpx.Response) -> ServerQuota:
    if not response.is_success:
        raise api_error_from(response)
    on_drift: Any = getattr(client, "on_drift", DEFAULT_ON_DRIFT)
    body = parse(OverallQuotasResponse, response.content, on_drift=on_drift)
    data = body.data
    return ServerQuota(
        user=user,
        hourly=_use(data.api_requests_hourly),
        daily=_use(data.api_requests_daily),
        monthly=_use(data.api_requests_monthly),
        quotas=data,
    )


def _failed(error: Exception) -> VTError:
    if isinstance(error, httpx.HTTPError):
        return transport_error(error)
    return unexpected_error(error, closed=False)


def server_quota(client: AuthenticatedClient, *, user: str) -> ServerQuota:
    """The quotas VirusTotal counts for `user` (a user id, never the API key): API
    requests allowed and used per hour, day and month.

    Raises:
        UsageError: `user` is empty or holds the client's API key; nothing is sent.
        APIError: the API refused (e.g. `NotFoundError` for an unknown user).
    """
    path = _path(client, user)
    try:
        response = client.get_httpx_client().get(path)
    except VTError:
        raise
    except Exception as error:  # the cause stays, its frames go (they hold the headers)
        raise _failed(error) from error.with_traceback(None)
    return _answer(client, user, response)


async def aserver_quota(client: AuthenticatedClient, *, user: str) -> ServerQuota:
    """The async twin of `server_quota`."""
    path = _path(client, user)
    try:
        response = await client.get_async_httpx_client().get(path)
    except VTError:
        raise
    except Exception as error:  # the cause stays, its frames go (they hold the headers)
        raise _failed(error) from error.with_traceback(None)
    return _answer(client, user, response)
