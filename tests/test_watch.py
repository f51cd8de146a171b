"""`vt_refs.watch` and `vt-refs watch` against the fake while its data changes: only
what is new (added, or modified later) each run, --baseline, --fail-on-new, the cache
passed by, a bounded keyless state, and a run killed midway writing nothing twice."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vt_refs
from vt_refs import UsageError
from vt_refs._watch import WatchState
from vt_refs.testing import FakeVirusTotal

from support.cli import cli_env, posix_only
from support.exports import (
    TIMEOUT,
    assert_valid_stix,
    cli_argv,
    many_files,
    run_cli,
    sha,
    write_input,
)
from support.keys import KEY

CASE = ("evil.example", "192.0.2.7", sha(7))


def ref(n: int, modified: int = 1_700_000_000) -> dict[str, Any]:
    return {"type": "reference", "id": f"{n:064x}",
            "attributes": {"title": f"Report {n}", "creation_date": 1_600_000_000,
                           "last_modification_date": modified}}  # fmt: skip


def _nothing() -> dict[str, list[str]]:
    return {text: [] for text in CASE}


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    with FakeVirusTotal(api_key=KEY) as running:
        for text, n in zip(CASE, (2, 1, 0), strict=True):
            ioc = vt_refs.classify(text)
            running.set_count(ioc.id, n, collection=ioc.kind)
        yield running


def _add(fake: FakeVirusTotal, text: str, *refs: dict[str, Any]) -> None:
    ioc = vt_refs.classify(text)
    fake.add_references(ioc.id, refs, collection=ioc.kind)


def _new(fake: FakeVirusTotal, state: Path, **kwargs: Any) -> dict[str, list[str]]:
    with vt_refs.connect(KEY, base_url=fake.base_url, max_retries=0,
                         cache=f"sqlite://{state.parent / 'cache.db'}") as client:  # fmt: skip
        found = {r.text: sorted(x.id for x in r.references)
                 for r in vt_refs.watch(client, CASE, state=state, **kwargs)}  # fmt: skip
    assert all(found.values())  # only indicators with something new come
    return {text: found.get(text, []) for text in CASE}


def test_three_runs_report_only_what_is_new(fake: FakeVirusTotal, tmp_path: Path) -> None:
    state = tmp_path / "watch.sqlite"
    first = _new(fake, state)
    assert [len(first[t]) for t in CASE] == [2, 1, 0]  # a new state: everything
    assert _new(fake, state) == _nothing()  # the cache is passed by: 2 runs
    assert len(fake.requests) == 6
    _add(fake, "evil.example", ref(1))
    _add(fake, sha(7), ref(2))
    assert _new(fake, state) == {"evil.example": [ref(1)["id"]], "192.0.2.7": [],
                                 sha(7): [ref(2)["id"]]}  # fmt: skip
    ioc = vt_refs.classify("evil.example")
    fake.update_reference(ioc.id, ref(1)["id"], {"last_modification_date": 1_800_000_000},
                          collection=ioc.kind)  # fmt: skip
    assert _new(fake, state) == {"evil.example": [ref(1)["id"]], "192.0.2.7": [], sha(7): []}
    assert _new(fake, state) == _nothing()
    assert KEY.encode() not in state.read_bytes()


def test_a_baseline_records_and_reports_nothing(fake: FakeVirusTotal, tmp_path: Path) -> None:
    state = tmp_path / "watch.sqlite"
    assert _new(fake, state, baseline=True) == _nothing()
    _add(fake, "192.0.2.7", ref(3))
    assert _new(fake, state) == {"evil.example": [], "192.0.2.7": [ref(3)["id"]], sha(7): []}


def test_a_reference_gone_from_the_answer_is_forgotten_after_its_days(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    state, day = tmp_path / "watch.sqlite", 86400.0
    _add(fake, sha(7), ref(4))
    _new(fake, state, clock=lambda: 0.0)
    with _opened(state) as opened:
        assert opened.count() == 4
    ioc = vt_refs.classify(sha(7))
    fake.remove_object(ioc.id, collection=ioc.kind)  # gone: the API answers 404
    _new(fake, state, forget_after=2, clock=lambda: 1 * day)
    with _opened(state) as opened:
        assert opened.count() == 4  # one day out of the answer: still known
    _new(fake, state, forget_after=2, clock=lambda: 3 * day)
    with _opened(state) as opened:
        assert opened.count() == 3  # three days: forgotten, the state stays bounded
    fake.set_count(ioc.id, 0, collection=ioc.kind)  # known again, with ref(4): new again
    assert _new(fake, state, forget_after=2, clock=lambda: 4 * day)[sha(7)] == [ref(4)["id"]]


class _opened:
    def __init__(self, path: Path) -> None:
        self.state = WatchState(path)

    def __enter__(self) -> WatchState:
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.state.close()


def test_what_watch_refuses(fake: FakeVirusTotal, tmp_path: Path) -> None:
    with vt_refs.connect(KEY, base_url=fake.base_url) as client:
        with pytest.raises(UsageError):
            vt_refs.watch(client, "evil.example", state=tmp_path / "s")  # type: ignore[arg-type]
        with pytest.raises(UsageError):
            vt_refs.watch(client, CASE, state=tmp_path / "s", forget_after=0)
        held = WatchState(tmp_path / "held.sqlite")
        try:
            with pytest.raises(UsageError, match="in use"):
                list(vt_refs.watch(client, CASE, state=tmp_path / "held.sqlite"))
        finally:
            held.close()
        (tmp_path / "junk").write_bytes(b"not sqlite at all" * 100)
        with pytest.raises(UsageError):
            list(vt_refs.watch(client, CASE, state=tmp_path / "junk"))


def _watch(tmp_path: Path, fake: FakeVirusTotal, *args: str) -> subprocess.CompletedProcess[bytes]:
    source = write_input(tmp_path, CASE)
    return run_cli("watch", str(source), "--state", str(tmp_path / "watch.sqlite"), *args,
                   fake=fake)  # fmt: skip


def _ids(stdout: bytes) -> list[str]:
    return sorted(json.loads(line)["reference"]["id"] for line in stdout.splitlines())


def test_the_command_across_three_runs(fake: FakeVirusTotal, tmp_path: Path) -> None:
    first = _watch(tmp_path, fake)
    assert first.returncode == 0 and len(_ids(first.stdout)) == 3
    assert b"2 new for evil.example" in first.stderr and b"1 new for 192.0.2.7" in first.stderr
    second = _watch(tmp_path, fake, "--fail-on-new")
    assert second.returncode == 0 and second.stdout == b""
    _add(fake, "192.0.2.7", ref(5), ref(6))
    third = _watch(tmp_path, fake, "--fail-on-new", "--format", "csv")
    assert third.returncode == 10
    assert third.stdout.count(b"\r\n") == 3 and f"{5:064x}".encode() in third.stdout
    assert b"2 new for 192.0.2.7" in third.stderr and b"for evil.example" not in third.stderr
    _add(fake, "evil.example", ref(7))
    out = tmp_path / "new.json"
    fourth = _watch(tmp_path, fake, "--format", "stix", "--out", str(out))
    assert fourth.returncode == 0 and fourth.stdout == b""
    bundle = assert_valid_stix(out.read_text("utf-8"))
    assert [o.name for o in bundle.objects if o.type == "report"] == ["Report 7"]


def test_the_command_with_a_baseline(fake: FakeVirusTotal, tmp_path: Path) -> None:
    baseline = _watch(tmp_path, fake, "--baseline", "--fail-on-new")
    assert baseline.returncode == 0 and baseline.stdout == b""
    assert b"baseline: 3 recorded" in baseline.stderr
    _add(fake, sha(7), ref(8))
    assert _ids(_watch(tmp_path, fake, "--fail-on-new").stdout) == [ref(8)["id"]]


def test_a_rename_a_kill_interrupted_is_finished_by_the_next_run(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    out, part = tmp_path / "new.jsonl", tmp_path / ".new.jsonl.part"
    assert _watch(tmp_path, fake, "--out", str(out)).returncode == 0
    part.write_bytes(b"what a killed run wrote and recorded\n")
    with _opened(tmp_path / "watch.sqlite") as state:
        state.record([], now=time.time(), forget_after=None, pending=(str(part), str(out)))
    again = _watch(tmp_path, fake, "--out", str(out))
    assert again.returncode == 0 and not part.exists()
    assert out.read_bytes() == b""  # renamed into place, then this run's (nothing) over it


@posix_only
def test_a_watch_killed_midway_writes_nothing_twice(tmp_path: Path) -> None:
    with FakeVirusTotal(api_key=KEY, latency=0.05) as fake:
        source = many_files(fake, tmp_path, first=200, n=30, refs=2)
        state = tmp_path / "watch.sqlite"
        argv = cli_argv("watch", str(source), "--state", str(state), "--concurrency", "2",
                        fake=fake)  # fmt: skip
        process = subprocess.Popen(argv, env=cli_env(KEY), stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + TIMEOUT
        while len(fake.requests) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.kill()  # SIGKILL, midway through the fetching
        killed, _ = process.communicate(timeout=TIMEOUT)
        assert process.returncode == -signal.SIGKILL and killed == b""
        shutil.copy(state, tmp_path / "copy.sqlite")
        rerun = run_cli("watch", str(source), "--state", str(state), fake=fake)
        assert rerun.returncode == 0
        assert len(_ids(rerun.stdout)) == len(set(_ids(rerun.stdout))) == 60  # each once
        assert run_cli("watch", str(source), "--state", str(state), fake=fake).stdout == b""
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM seen").fetchone() == (60,)


def test_a_watch_neither_reads_nor_fills_the_cache(fake: FakeVirusTotal, tmp_path: Path) -> None:
    from vt_refs_api.api.domains import get_domain_related_references as operation

    cache = f"sqlite://{tmp_path / 'cache.db'}"
    with vt_refs.connect(KEY, base_url=fake.base_url, cache=cache) as client:
        list(vt_refs.iter_pages(operation, client, id="evil.example"))  # now in the cache
        fake.clear_requests()
        list(vt_refs.watch(client, ["evil.example"], state=tmp_path / "s.sqlite"))
        assert len(fake.requests) == 1  # sent, though the cache holds the page
        fake.set_count("other.example", 1, collection="domains")
        pages = list(vt_refs.iter_pages(operation, client, id="other.example"))
        list(vt_refs.watch(client, ["other.example"], state=tmp_path / "s.sqlite"))
        assert len(fake.requests) == 3 and not vt_refs.from_cache(pages[0])
        again = list(vt_refs.iter_pages(operation, client, id="evil.example"))
        assert vt_refs.from_cache(again[0]) and len(fake.requests) == 3


def test_a_watch_keeps_to_the_quota(tmp_path: Path) -> None:
    lines = [sha(300 + i) for i in range(12)]
    with FakeVirusTotal(api_key=KEY, quota=vt_refs.Quota(per_second=10), default_count=2) as fake:
        source = write_input(tmp_path, lines)
        done = run_cli("watch", str(source), "--state", str(tmp_path / "s.sqlite"),
                       "--quota", "10/s", "--concurrency", "4", fake=fake)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert fake.quota_rejected <= 1  # the server's window is not ours to the millisecond
    assert len(_ids(done.stdout)) == 24


def test_any_request_can_pass_the_cache_by(fake: FakeVirusTotal, tmp_path: Path) -> None:
    cache = f"sqlite://{tmp_path / 'cache.db'}"
    with vt_refs.connect(KEY, base_url=fake.base_url, cache=cache) as client:
        http = client.get_httpx_client()
        url = "/domains/evil.example/related_references"
        assert http.get(url).status_code == 200
        assert vt_refs.from_cache(http.get(url))  # kept, and answered by the cache
        fake.clear_requests()
        skipped = http.get(url, extensions={"vt_refs.cache.skip": True})
        assert skipped.status_code == 200 and not vt_refs.from_cache(skipped)
        assert len(fake.requests) == 1  # sent, within the retries and the quota


def test_nothing_new_is_nothing_handed_over_but_failures(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    state = tmp_path / "watch.sqlite"
    with vt_refs.connect(KEY, base_url=fake.base_url, max_retries=0) as client:
        assert len(list(vt_refs.watch(client, CASE, state=state))) == 2  # sha(7) has none
        assert list(vt_refs.watch(client, CASE, state=state)) == []
        failed = list(vt_refs.watch(client, [*CASE, "not an indicator"], state=state))
    assert [(r.status, r.references) for r in failed] == [("invalid", [])]
