"""`/users/{id}/overall_quotas`: the user's quotas, allowed and used, as VirusTotal shows them.

The fake has one user, the owner of its key (`FakeVirusTotal(user=...)`); as VirusTotal
does, it also answers to the key itself in place of the user id (a client must not ask
that way: it puts the key in the URL). Reading it spends no quota.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Final
from urllib.parse import unquote

from ._quota import UNLIMITED, QuotaEnforcer
from ._records import RecordedRequest
from ._responses import ApiError, Response

_PATH: Final = re.compile(r"/api/v3/users/([^/]+)/overall_quotas")
USERS_TEMPLATE: Final = "/users/{id}/overall_quotas"

Usage = Callable[[], dict[str, tuple[int, int]]]


def user_route(path: str) -> str | None:
    """The user id of an overall_quotas path (percent-decoded), None for any other path."""
    match = _PATH.fullmatch(path)
    return None if match is None else unquote(match.group(1))


def overall_quotas(asked: str, *, user: str, api_key: str, usage: Usage) -> Response:
    """The answer for user `asked`; 404 for a user that is not the key's."""
    if asked not in (user, api_key):
        raise ApiError(404, "NotFoundError", f'User "{asked}" not found')
    data = {
        f"api_requests_{period}": {"user": {"allowed": allowed, "used": used}}
        for period, (allowed, used) in usage().items()
    }
    # Quotas the SDK does not describe come too, as they do from VirusTotal.
    data["intelligence_searches_monthly"] = {"user": {"allowed": 0, "used": 0}}
    return Response(200, json.dumps({"data": data}).encode("utf-8"))


class UserQuotas:
    """The fake's one user and what its key spent: the quota's own counts when there is
    a quota (`QuotaEnforcer.usage`), else the requests served, with no limit."""

    def __init__(self, user: str, api_key: str, quota: QuotaEnforcer | None) -> None:
        self._user = user
        self._api_key = api_key
        self._quota = quota
        self._served = 0
        self._lock = threading.Lock()

    def spends_quota(self, request: RecordedRequest) -> bool:
        """Whether `request` counts (reading the quotas does not); counts it if so."""
        if user_route(request.path) is not None:
            return False
        if request.headers.get("x-apikey") == self._api_key:
            with self._lock:
                self._served += 1
        return True

    def _usage(self) -> dict[str, tuple[int, int]]:
        if self._quota is not None:
            return self._quota.usage(self._api_key)
        with self._lock:
            return {period: (UNLIMITED, self._served) for period in ("hourly", "daily", "monthly")}

    def answer(self, asked: str) -> Response:
        """The answer for user `asked` (the key's own checked before, by the app)."""
        return overall_quotas(asked, user=self._user, api_key=self._api_key, usage=self._usage)
