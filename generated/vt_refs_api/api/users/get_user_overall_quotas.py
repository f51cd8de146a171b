from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.overall_quotas_response import OverallQuotasResponse
from ...types import Response


def _get_kwargs(
    id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/users/{id}/overall_quotas".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | OverallQuotasResponse | None:
    if response.status_code == 200:
        response_200 = OverallQuotasResponse.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = ErrorResponse.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | OverallQuotasResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | OverallQuotasResponse]:
    """A user's quotas, allowed and used

     The user's quotas: for each (API requests per hour, day and month, and
    others such as Intelligence searches and downloads), what the user's own
    allowance and use are, and its group's when it belongs to one. Daily
    counts reset at 00:00 UTC, monthly ones at 00:00 UTC on the 1st.

    VirusTotal also accepts the API key itself as `{id}`, which puts the key
    in the URL (logs, proxies, error messages): clients pass the user id.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OverallQuotasResponse]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | OverallQuotasResponse | None:
    """A user's quotas, allowed and used

     The user's quotas: for each (API requests per hour, day and month, and
    others such as Intelligence searches and downloads), what the user's own
    allowance and use are, and its group's when it belongs to one. Daily
    counts reset at 00:00 UTC, monthly ones at 00:00 UTC on the 1st.

    VirusTotal also accepts the API key itself as `{id}`, which puts the key
    in the URL (logs, proxies, error messages): clients pass the user id.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OverallQuotasResponse
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
) -> Response[ErrorResponse | OverallQuotasResponse]:
    """A user's quotas, allowed and used

     The user's quotas: for each (API requests per hour, day and month, and
    others such as Intelligence searches and downloads), what the user's own
    allowance and use are, and its group's when it belongs to one. Daily
    counts reset at 00:00 UTC, monthly ones at 00:00 UTC on the 1st.

    VirusTotal also accepts the API key itself as `{id}`, which puts the key
    in the URL (logs, proxies, error messages): clients pass the user id.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | OverallQuotasResponse]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
) -> ErrorResponse | OverallQuotasResponse | None:
    """A user's quotas, allowed and used

     The user's quotas: for each (API requests per hour, day and month, and
    others such as Intelligence searches and downloads), what the user's own
    allowance and use are, and its group's when it belongs to one. Daily
    counts reset at 00:00 UTC, monthly ones at 00:00 UTC on the 1st.

    VirusTotal also accepts the API key itself as `{id}`, which puts the key
    in the URL (logs, proxies, error messages): clients pass the user id.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | OverallQuotasResponse
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
