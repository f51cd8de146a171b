"""Fixtures of the transport tests (library and CLI): a throwaway CA, an https:// hostile
server it signed, the CA as a PEM file, a forward proxy. Loaded by conftest.py. And
`fake_http(fake)`, a plain httpx client of a fake, for the tests of the fake itself; the
`fake` fixture (a FakeVirusTotal taking `KEY`) and `connected(fake)`, a `connect()` client
of it with no retries, for the tests of the helpers and of bulk."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.forward_proxy import ForwardProxy
from support.hostile_server import HostileServer
from support.keys import KEY

# httpx builds an SSL context for every client (~35 ms), even for plain HTTP: share one.
TLS = ssl.create_default_context()


@contextmanager
def fake_http(fake: FakeVirusTotal) -> Iterator[httpx.Client]:
    """A plain httpx client of `fake`'s API, sending its key."""
    headers = {"x-apikey": fake.api_key}
    with httpx.Client(base_url=fake.base_url, headers=headers, timeout=5, verify=TLS) as http:
        yield http


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    """A running fake that accepts `KEY`."""
    with FakeVirusTotal(api_key=KEY) as running:
        yield running


def connected(fake: FakeVirusTotal, **kwargs: Any) -> Any:
    """A `connect()` client of `fake` (no retries unless `max_retries=` says otherwise)."""
    kwargs.setdefault("max_retries", 0)
    return vt_refs.connect(KEY, base_url=fake.base_url, **kwargs)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[HostileServer]:
    """A hostile server (answering pages by default) at https://localhost:PORT."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    with HostileServer(tls=context) as server:
        yield server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running
