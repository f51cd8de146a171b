"""`vt_refs.RetryPolicy`: each field's behaviour, its checks, and `connect(retry=...)`
against the shorthands (`max_retries`, `backoff_factor`, `max_retry_wait`).

The waits are recorded instead of slept (the `sleeps` fixture). 503 stands for a retried
status throughout: 429 has waits of its own (the quota layer's), tested apart.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import httpx
import pytest

import vt_refs
from vt_refs import RetryPolicy
from vt_refs.testing import FakeVirusTotal
from vt_refs_api.api.urls import get_url_related_references

from support.keys import KEY
from support.mock_api import ScriptedAPI, error, ok
from support.pages import BASE_URL, page

URL = "https://example.com/"


def _connect(api: ScriptedAPI, policy: RetryPolicy) -> Any:
    return vt_refs.connect(KEY, base_url=BASE_URL, transport=api.transport, retry=policy)


def _ids(api: ScriptedAPI, policy: RetryPolicy) -> list[str]:
    with _connect(api, policy) as client:
        return [r.id for r in vt_refs.paginate(get_url_related_references, client, id="x")]


def _unavailable(**headers: str) -> httpx.Response:
    return httpx.Response(503, headers=headers)


def test_the_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.backoff_factor, policy.max_backoff) == (5, 0.5, 60.0)
    assert (policy.retry_budget, policy.codes, policy.retry_after) == (120.0, frozenset(), True)
    assert policy.statuses == frozenset({429, 500, 502, 503, 504, *range(520, 600)})
    assert "statuses=frozenset({429, 500, 502-504, 520-599})" in repr(policy)


def test_max_retries_counts_the_retries_after_the_first_attempt(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=_unavailable())
    with pytest.raises(vt_refs.APIError):
        _ids(api, RetryPolicy(max_retries=2, backoff_factor=0))
    assert len(api.requests) == 3 and len(sleeps) == 2


def test_statuses_are_the_ones_retried(sleeps: list[float]) -> None:
    policy = RetryPolicy(statuses={500}, backoff_factor=0)
    api = ScriptedAPI([httpx.Response(500), ok(page(["a"]))])
    assert _ids(api, policy) == ["a"] and len(api.requests) == 2
    api = ScriptedAPI([_unavailable(), ok(page(["a"]))])
    with pytest.raises(vt_refs.APIError) as caught:
        _ids(api, policy)
    assert caught.value.status_code == 503 and len(api.requests) == 1


def test_codes_are_retried_whatever_the_status(sleeps: list[float]) -> None:
    """`NotAvailableYet` comes as a 400, which no status rule retries."""
    policy = RetryPolicy(codes={"NotAvailableYet"}, backoff_factor=0)
    api = ScriptedAPI([error(400, "NotAvailableYet"), error(400, "NotAvailableYet"),
                       ok(page(["a"]))])  # fmt: skip
    assert _ids(api, policy) == ["a"] and len(api.requests) == 3
    # Another code of the same status is not retried; nor is the code without the policy.
    api = ScriptedAPI([error(400, "InvalidArgumentError"), ok(page(["a"]))])
    with pytest.raises(vt_refs.InvalidArgumentError):
        _ids(api, policy)
    assert len(api.requests) == 1
    api = ScriptedAPI([error(400, "NotAvailableYet"), ok(page(["a"]))])
    with pytest.raises(vt_refs.NotAvailableYet):
        _ids(api, RetryPolicy(backoff_factor=0))
    assert len(api.requests) == 1


def test_codes_go_with_max_retries(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=error(400, "NotAvailableYet"))
    with pytest.raises(vt_refs.NotAvailableYet):
        _ids(api, RetryPolicy(codes={"NotAvailableYet"}, max_retries=3, backoff_factor=0))
    assert len(api.requests) == 4


def test_retry_after_is_obeyed_by_default(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(**{"retry-after": "7"}), ok(page(["a"]))])
    assert _ids(api, RetryPolicy(backoff_factor=0.01)) == ["a"]
    assert sleeps == [7.0]


def test_retry_after_false_ignores_the_header(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(**{"retry-after": "7"}), ok(page(["a"]))])
    assert _ids(api, RetryPolicy(backoff_factor=0.01, retry_after=False)) == ["a"]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.01
    # Ignored also where it would have stopped the retries: past the budget.
    api = ScriptedAPI([_unavailable(**{"retry-after": "86400"}), ok(page(["a"]))])
    assert _ids(api, RetryPolicy(backoff_factor=0, retry_after=False)) == ["a"]


def test_max_backoff_caps_each_wait(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=_unavailable())
    with pytest.raises(vt_refs.APIError):
        _ids(api, RetryPolicy(max_retries=6, backoff_factor=1000, max_backoff=0.25))
    assert len(sleeps) == 6 and all(0 <= s <= 0.25 for s in sleeps)
    assert len(set(sleeps)) > 1, "capped, the waits are still jittered"


def test_max_backoff_caps_our_backoff_not_the_servers_retry_after(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(**{"retry-after": "5"}), ok(page(["a"]))])
    assert _ids(api, RetryPolicy(max_backoff=1)) == ["a"]
    assert sleeps == [5.0]


def test_retry_budget_bounds_the_waits_of_a_request(sleeps: list[float]) -> None:
    api = ScriptedAPI(default=_unavailable())
    with pytest.raises(vt_refs.APIError):
        _ids(api, RetryPolicy(max_retries=8, backoff_factor=10, retry_budget=1.5))
    # Every retry still happens; our backoff is shortened to what the budget leaves.
    assert len(api.requests) == 9
    assert sum(sleeps) <= 1.5 + 1e-9


def test_a_retry_budget_of_zero_retries_without_waiting(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(), _unavailable(), ok(page(["a"]))])
    assert _ids(api, RetryPolicy(backoff_factor=10, retry_budget=0)) == ["a"]
    assert sleeps == [0.0, 0.0]


def test_a_retry_after_past_the_budget_is_not_waited_for(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(**{"retry-after": "5"}), ok(page(["a"]))])
    with pytest.raises(vt_refs.APIError) as caught:
        _ids(api, RetryPolicy(retry_budget=3))
    assert sleeps == [] and len(api.requests) == 1
    assert caught.value.retry_after == 5.0


def test_the_budget_is_per_request(sleeps: list[float]) -> None:
    """Two pages, each retried up to the budget: the second is not charged the first's."""
    api = ScriptedAPI(
        [
            _unavailable(**{"retry-after": "2"}),
            ok(page(["a"], cursor="c")),
            _unavailable(**{"retry-after": "2"}),
            ok(page(["b"])),
        ]
    )
    assert _ids(api, RetryPolicy(retry_budget=3)) == ["a", "b"]
    assert sleeps == [2.0, 2.0]


def test_the_async_client_follows_the_same_policy(sleeps: list[float]) -> None:
    api = ScriptedAPI([error(400, "NotAvailableYet"), _unavailable(), ok(page(["a"]))])
    policy = RetryPolicy(codes={"NotAvailableYet"}, backoff_factor=0.01, max_backoff=0.001)

    async def run() -> list[str]:
        async with _connect(api, policy) as client:
            walk = vt_refs.apaginate(get_url_related_references, client, id="x")
            return [r.id async for r in walk]

    assert asyncio.run(run()) == ["a"]
    assert len(api.requests) == 3 and len(sleeps) == 2 and max(sleeps) <= 0.001


def test_only_idempotent_requests_are_retried(sleeps: list[float]) -> None:
    api = ScriptedAPI([_unavailable(), ok(page(["a"]))])
    with _connect(api, RetryPolicy(backoff_factor=0)) as client:
        answer = client.get_httpx_client().post("/urls/x/related_references")
    assert answer.status_code == 503 and len(api.requests) == 1


# The value: checked when made, immutable, and taken by connect() alone or as shorthands.


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": -1}, "max_retries must be at least 0"),
        ({"max_retries": True}, "max_retries must be an int"),
        ({"max_retries": 2.0}, "max_retries must be an int"),
        ({"backoff_factor": -1}, "backoff_factor must be a finite number >= 0"),
        ({"backoff_factor": float("nan")}, "backoff_factor must be a finite number"),
        ({"max_backoff": -0.5}, "max_backoff must be a finite number >= 0"),
        ({"max_backoff": float("inf")}, "max_backoff must be a finite number"),
        ({"retry_budget": 1e300}, "retry_budget must be a finite number"),
        ({"retry_budget": "60"}, "retry_budget must be a finite number"),
        ({"statuses": "503"}, "statuses must be a set of HTTP statuses"),
        ({"statuses": 503}, "statuses must be a set of HTTP statuses"),
        ({"statuses": {600}}, "must be in 100..599, not 600"),
        ({"statuses": {True}}, "must be an int"),
        ({"codes": "NotAvailableYet"}, "codes must be a set of API error codes"),
        ({"codes": {""}}, "codes must hold API error codes"),
        ({"codes": {7}}, "codes must hold API error codes"),
        ({"retry_after": "yes"}, "retry_after must be True or False"),
        ({"retry_after": 1}, "retry_after must be True or False"),
    ],
)
def test_bad_values_are_usage_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(vt_refs.UsageError, match=message):
        RetryPolicy(**kwargs)


def test_a_policy_is_frozen_and_evolve_checks_again() -> None:
    policy = RetryPolicy(statuses=[503, 503, 500], codes=("NotAvailableYet",))
    assert policy.statuses == frozenset({500, 503}) and policy.codes == {"NotAvailableYet"}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.max_retries = 1  # type: ignore[misc]
    assert attrs.evolve(policy, max_retries=1).max_retries == 1
    with pytest.raises(vt_refs.UsageError):
        attrs.evolve(policy, max_retries=-1)
    assert RetryPolicy(max_retries=1) == RetryPolicy(max_retries=1)
    assert hash(RetryPolicy(codes={"a"})) == hash(RetryPolicy(codes=["a"]))


@pytest.mark.parametrize(
    "shorthand", [{"max_retries": 1}, {"backoff_factor": 0.1}, {"max_retry_wait": 5}]
)
def test_retry_and_a_shorthand_together_are_a_usage_error(shorthand: dict[str, Any]) -> None:
    (name,) = shorthand
    with pytest.raises(vt_refs.UsageError, match=f"give retry= or {name}=, not both"):
        vt_refs.connect(KEY, retry=RetryPolicy(), **shorthand)


def test_all_three_shorthands_with_retry_are_named() -> None:
    with pytest.raises(vt_refs.UsageError) as caught:
        vt_refs.connect(KEY, retry=RetryPolicy(), max_retries=1, backoff_factor=0,
                        max_retry_wait=1)  # fmt: skip
    assert "max_retries=, backoff_factor=, max_retry_wait=" in str(caught.value)


@pytest.mark.parametrize("value", ["5", 5, {"max_retries": 5}, RetryPolicy])
def test_retry_must_be_a_policy(value: object) -> None:
    with pytest.raises(vt_refs.UsageError, match=r"retry must be a vt_refs\.RetryPolicy"):
        vt_refs.connect(KEY, retry=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_retries": -1}, "max_retries must be at least 0"),
        ({"backoff_factor": float("inf")}, "backoff_factor must be a finite number"),
        # Named as the caller wrote it, not as the field it fills (retry_budget).
        ({"max_retry_wait": -1}, "max_retry_wait must be a finite number"),
    ],
)
def test_bad_shorthands_are_usage_errors_under_their_own_names(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(vt_refs.UsageError, match=message):
        vt_refs.connect(KEY, **kwargs)


@pytest.mark.parametrize("run_async", [False, True], ids=["sync", "async"])
def test_codes_are_read_from_a_real_response(run_async: bool, sleeps: list[float]) -> None:
    """Over the network the body layer hands up the body as a stream in memory, not yet
    `.content`: the code must still be read (the mock transport's responses hide this)."""
    policy = RetryPolicy(codes={"NotAvailableYet"}, backoff_factor=0)
    with FakeVirusTotal() as fake:
        fake.fail_next(2, status=400, code="NotAvailableYet")
        with vt_refs.connect(fake.api_key, base_url=fake.base_url, retry=policy) as client:
            if run_async:

                async def run() -> list[Any]:
                    walk = vt_refs.arelated_references(client, URL, max_items=2)
                    return [r async for r in walk]

                refs = asyncio.run(run())
            else:
                refs = list(vt_refs.related_references(client, URL, max_items=2))
        assert len(refs) == 2 and len(fake.requests) == 3 and len(sleeps) == 2
