"""`VT_BASE_URL`: the Quick start against the fake without editing code, refused for
clear text to another host exactly as `base_url=` is."""

from __future__ import annotations

import pytest

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.cli import cli


def test_vt_base_url_points_connect_at_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeVirusTotal(default_count=3) as fake:
        monkeypatch.setenv("VT_BASE_URL", fake.base_url)
        monkeypatch.setenv("VT_API_KEY", fake.api_key)
        with vt_refs.connect() as client:
            refs = list(vt_refs.related_references(client, "https://example.com/login"))
        assert len(refs) == 3 and len(fake.requests) == 1
        # An explicit base_url= wins over the variable.
        monkeypatch.setenv("VT_BASE_URL", "https://vt.invalid/api/v3")
        with vt_refs.connect(base_url=fake.base_url) as client:
            assert len(list(vt_refs.related_references(client, "https://example.com/"))) == 3


@pytest.mark.parametrize("url", ["http://vt.example/api/v3", "http://192.0.2.1:8080/api/v3"])
def test_clear_text_to_another_host_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("VT_BASE_URL", url)
    with pytest.raises(vt_refs.UsageError, match="VT_BASE_URL"):
        vt_refs.connect("k" * 16)
    with vt_refs.connect("k" * 16, allow_insecure_http=True):
        pass


def test_the_cli_reads_vt_base_url() -> None:
    with FakeVirusTotal(default_count=2) as fake:
        done = cli("https://example.com/", key=fake.api_key, env={"VT_BASE_URL": fake.base_url})
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) == 2
        refused = cli("https://example.com/", key=fake.api_key,
                      env={"VT_BASE_URL": "http://vt.example/api/v3"})  # fmt: skip
    assert refused.returncode == 2 and "VT_BASE_URL" in refused.stderr
