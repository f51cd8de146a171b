"""Shared fixtures and the hypothesis profiles (derandomized in CI)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from support.paths import DATA
from support.spec_strategies import load_spec

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The CA, TLS server and proxy fixtures of the transport tests.
pytest_plugins = ["support.fixtures"]


@pytest.fixture(autouse=True)
def _no_learned_quota() -> Iterator[None]:
    """Each test starts with no learned quota: what a server's 429s taught the process (per
    key and origin) must not pace the next test, whose mock server may share the origin."""
    from vt_refs._transport.quota.learned import forget_learned

    forget_learned()
    yield


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between retry attempts and for the quota, recorded instead of slept."""
    from vt_refs._transport import stopping as _stopping

    recorded: list[float] = []

    async def no_wait(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_stopping.time, "sleep", recorded.append)
    monkeypatch.setattr(_stopping.asyncio, "sleep", no_wait)
    return recorded


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """openapi.yaml, decoded."""
    return load_spec()


@pytest.fixture(scope="session")
def seed_page() -> dict[str, Any]:
    """The example page of VirusTotal's documentation (shared/seed), verbatim."""
    page: dict[str, Any] = json.loads((DATA / "seed_page.json").read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis-protocol server for the session (see tests/support/redis_server.py)."""
    from support.redis_server import redis_server

    with redis_server() as url:
        yield url
