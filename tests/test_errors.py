"""Every failure is a typed VTError carrying what a caller needs, and no secret."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import httpx
import pytest

import vt_refs
from vt_refs_api.api.urls import get_url_related_references

from support.keys import KEY
from support.mock_api import ScriptedAPI, error

DOCUMENTED = {
    400: [
        "BadRequestError",
        "InvalidArgumentError",
        "NotAvailableYet",
        "UnselectiveContentQueryError",
        "UnsupportedContentQueryError",
    ],
    401: ["AuthenticationRequiredError", "UserNotActiveError", "WrongCredentialsError"],
    403: ["ForbiddenError"],
    404: ["NotFoundError"],
    409: ["AlreadyExistsError"],
    424: ["FailedDependencyError"],
    429: ["QuotaExceededError", "TooManyRequestsError"],
    503: ["TransientError"],
    504: ["DeadlineExceededError"],
}


def _first_page(api: ScriptedAPI) -> object:
    client = api.client(max_retries=0, max_quota_wait=0)  # a 429 neither retried nor waited
    return next(vt_refs.iter_pages(get_url_related_references, client, id="abc"))


@pytest.mark.parametrize(
    ("status", "code"), [(s, c) for s, codes in DOCUMENTED.items() for c in codes]
)
def test_each_documented_code_has_its_class(status: int, code: str) -> None:
    cls = getattr(vt_refs, code)
    assert issubclass(cls, vt_refs.APIError) and issubclass(cls, vt_refs.VTError)
    with pytest.raises(cls) as caught:
        _first_page(ScriptedAPI([error(status, code, "the message")]))
    assert type(caught.value) is cls
    assert caught.value.status_code == status
    assert caught.value.code == code
    assert caught.value.message == "the message"
    assert code in str(caught.value) and str(status) in str(caught.value)


def test_unknown_code_is_a_plain_api_error() -> None:
    with pytest.raises(vt_refs.APIError) as caught:
        _first_page(ScriptedAPI([error(418, "TeapotError", "short and stout")]))
    assert type(caught.value) is vt_refs.APIError
    assert (caught.value.status_code, caught.value.code) == (418, "TeapotError")


def test_old_spelling_of_not_available_yet_maps_to_the_same_class() -> None:
    with pytest.raises(vt_refs.NotAvailableYet):
        _first_page(ScriptedAPI([error(400, "NotAvailableYetError")]))


def test_gti_spelling_of_too_many_requests_maps_to_the_same_class() -> None:
    with pytest.raises(vt_refs.TooManyRequestsError) as caught:
        _first_page(ScriptedAPI([error(429, "TooManyRequests", "slow down")]))
    assert type(caught.value) is vt_refs.TooManyRequestsError
    assert (caught.value.code, caught.value.message) == ("TooManyRequests", "slow down")


def test_an_error_without_a_message_is_still_typed_by_its_code() -> None:
    answer = httpx.Response(404, json={"error": {"code": "NotFoundError"}})
    with pytest.raises(vt_refs.NotFoundError) as caught:
        _first_page(ScriptedAPI([answer]))
    assert caught.value.code == "NotFoundError" and caught.value.message


@pytest.mark.parametrize("status", [520, 599, 500, 502])
def test_cdn_html_page_is_an_api_error_with_its_status(status: int) -> None:
    html = b"<html><body>" + b"x" * 5000 + b"</body></html>"
    answer = httpx.Response(status, content=html, headers={"content-type": "text/html"})
    with pytest.raises(vt_refs.APIError) as caught:
        _first_page(ScriptedAPI([answer]))
    assert type(caught.value) is vt_refs.APIError
    assert caught.value.status_code == status and caught.value.code is None
    assert caught.value.message.startswith("<html>")
    assert len(str(caught.value)) < 300


def test_error_body_with_wrong_shape_is_still_typed_by_status() -> None:
    answer = httpx.Response(404, json={"error": {"code": 7, "message": None}})
    with pytest.raises(vt_refs.APIError) as caught:
        _first_page(ScriptedAPI([answer]))
    assert caught.value.status_code == 404 and caught.value.code is None


def test_network_failure_after_retries_is_a_vt_error_wrapping_the_cause() -> None:
    api = ScriptedAPI(default=httpx.ConnectError("connection refused"))
    client = api.client(max_retries=2)
    with pytest.raises(vt_refs.APIConnectionError) as caught:
        next(vt_refs.iter_pages(get_url_related_references, client, id="abc"))
    assert isinstance(caught.value, vt_refs.VTError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(api.requests) == 3
    # The request the cause carries is httpx's own, which never held the key.
    assert "x-apikey" not in caught.value.__cause__.request.headers


def test_timeout_after_retries_is_an_api_timeout_error() -> None:
    api = ScriptedAPI(default=httpx.ReadTimeout("slow"))
    with pytest.raises(vt_refs.APITimeoutError) as caught:
        next(vt_refs.iter_pages(get_url_related_references, api.client(max_retries=1), id="a"))
    assert isinstance(caught.value, vt_refs.APIConnectionError)
    assert len(api.requests) == 2


def test_usage_errors_are_vt_errors_and_value_errors() -> None:
    assert issubclass(vt_refs.UsageError, vt_refs.VTError)
    assert issubclass(vt_refs.UsageError, ValueError)


def test_no_exception_text_carries_the_key() -> None:
    api = ScriptedAPI([error(401, "WrongCredentialsError", "bad key")])
    with pytest.raises(vt_refs.WrongCredentialsError) as caught:
        _first_page(api)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert KEY not in repr(vars(caught.value))


def test_a_huge_api_message_is_kept_but_not_printed_whole() -> None:
    message = "m" * 50_000
    with pytest.raises(vt_refs.NotFoundError) as caught:
        _first_page(ScriptedAPI([error(404, "NotFoundError", message)]))
    assert caught.value.message == message
    assert len(str(caught.value)) < 1000


# The families: a parent per status over its codes.

FAMILIES = {
    vt_refs.AuthenticationError: (401, DOCUMENTED[401]),
    vt_refs.RateLimitError: (429, DOCUMENTED[429]),
}


@pytest.mark.parametrize("family", list(FAMILIES), ids=lambda f: f.__name__)
def test_a_status_family_is_the_parent_of_its_codes(family: type[vt_refs.APIError]) -> None:
    status, codes = FAMILIES[family]
    assert issubclass(family, vt_refs.APIError)
    for code in codes:
        assert issubclass(getattr(vt_refs, code), family), code
        with pytest.raises(family) as caught:
            _first_page(ScriptedAPI([error(status, code, "m")]))
        assert type(caught.value) is getattr(vt_refs, code)
    others = [getattr(vt_refs, c) for s, cs in DOCUMENTED.items() if s != status for c in cs]
    assert not any(issubclass(cls, family) for cls in others)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        # Every known code maps to its class exactly, whatever the status said.
        *[(s, c, c) for s, codes in DOCUMENTED.items() for c in codes],
        (403, "WrongCredentialsError", "WrongCredentialsError"),
        (500, "QuotaExceededError", "QuotaExceededError"),
        (400, "NotAvailableYetError", "NotAvailableYet"),
        (429, "TooManyRequests", "TooManyRequestsError"),
        # An unknown code (or none) takes its status family, if it has one.
        (401, "SessionExpiredError", "AuthenticationError"),
        (401, None, "AuthenticationError"),
        (429, "SlowDownError", "RateLimitError"),
        (429, None, "RateLimitError"),
        (400, "NewBadRequestError", "APIError"),
        (403, None, "APIError"),
        (503, None, "APIError"),
        (418, "TeapotError", "APIError"),
    ],
)
def test_api_error_maps_codes_exactly_and_unknown_ones_by_status(
    status: int, code: str | None, expected: str
) -> None:
    from vt_refs._errors import api_error

    made = api_error(status, code, "m", retry_after=3.0)
    assert type(made) is getattr(vt_refs, expected)
    assert (made.status_code, made.code, made.message, made.retry_after) == (status, code, "m", 3.0)


@pytest.mark.parametrize(
    ("status", "family"), [(401, vt_refs.AuthenticationError), (429, vt_refs.RateLimitError)]
)
def test_a_proxys_page_on_401_or_429_is_still_its_family(
    status: int, family: type[vt_refs.APIError], sleeps: list[float]
) -> None:
    answer = httpx.Response(status, content=b"<html>denied</html>")
    with pytest.raises(family) as caught:
        _first_page(ScriptedAPI([answer]))
    assert type(caught.value) is family and caught.value.code is None
    assert caught.value.status_code == status


def test_the_clients_own_quota_is_no_api_error() -> None:
    """QuotaExhaustedError is raised before sending: no status, no server, no family."""
    assert not issubclass(vt_refs.QuotaExhaustedError, vt_refs.APIError)
    assert issubclass(vt_refs.QuotaExhaustedError, vt_refs.VTError)
    doc = " ".join((vt_refs.QuotaExhaustedError.__doc__ or "").split())
    assert "client's OWN quota" in doc and "nothing was sent" in doc
    doc = " ".join((vt_refs.QuotaExceededError.__doc__ or "").split())
    assert "429 from the server" in doc and "QuotaExhaustedError" in doc


def test_the_module_opens_with_the_whole_tree() -> None:
    """The tree drawn in _errors.py's docstring names every exception vt_refs exports."""
    from vt_refs import _errors

    tree = (_errors.__doc__ or "").partition("The tree")[2]
    exported = [
        name
        for name in vt_refs.__all__
        if isinstance(getattr(vt_refs, name), type)
        and issubclass(getattr(vt_refs, name), vt_refs.VTError)
    ]
    missing = [name for name in exported if not re.search(rf"\b{name}\b", tree)]
    assert len(exported) >= 25 and missing == []
    # Each class is drawn under its parent: its line is indented deeper than the parent's.
    lines = tree.splitlines()

    def depth(name: str) -> int:
        line = next(line for line in lines if re.search(rf"\b{name}\b", line))
        return len(line) - len(line.lstrip(" │├└─"))

    for name in exported:
        cls = getattr(vt_refs, name)
        if cls is not vt_refs.VTError:
            parent = next(b for b in cls.__mro__[1:] if b.__module__ == cls.__module__)
            assert depth(name) > depth(parent.__name__), (name, parent.__name__)


def test_the_errors_guide_draws_the_same_tree() -> None:
    from vt_refs import _errors

    after = (_errors.__doc__ or "").partition("see it:\n")[2].lstrip("\n")
    drawn = textwrap.dedent(after.partition("\n\n")[0]).strip()
    guide = (Path(__file__).parent.parent / "docs" / "errors-and-retries.md").read_text("utf-8")
    assert drawn.startswith("VTError") and f"```text\n{drawn}\n```" in guide
