"""A plan before the run (issue 18): `vt_refs.plan` and `vt-refs bulk FILE --plan` read the
input and send nothing; they count the distinct indicators by kind, the duplicates and
the invalid items, what the cache answers (cost 0), the minimum and the expected
requests (from `meta.count` where the cache knows it), and at a quota when the run ends."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import pytest

import vt_refs
from vt_refs._bulk import run_seconds
from vt_refs.testing import DEFAULT_USER, FakeVirusTotal
from vt_refs_api.api.files import get_file_related_references

from support.cli import in_process
from support.fixtures import connected
from support.keys import KEY

SHAS = [hashlib.sha256(f"plan-{i}".encode()).hexdigest() for i in range(3)]
IOCS = [
    SHAS[0],
    SHAS[1],
    SHAS[2],
    "evil.example",
    "EVIL[.]example",  # duplicate of 3
    SHAS[0].upper(),  # duplicate of 0
    "192.0.2.1",
    "not an indicator",
    "https://evil.example/login",
]
NOW = datetime.datetime(2026, 12, 2, 22, 0, tzinfo=datetime.UTC)


def test_a_plan_without_a_client_counts_the_input() -> None:
    plan = vt_refs.plan(iter(IOCS))
    assert (plan.items, plan.distinct, plan.duplicates, plan.invalid) == (9, 6, 2, 1)
    assert dict(plan.kinds) == {"files": 3, "domains": 1, "ip_addresses": 1, "urls": 1}
    assert (plan.cached, plan.minimum_requests, plan.expected_requests) == (0, 6, 6)
    assert plan.counts_known == 0 and plan.page_size == 40
    assert plan.quota is None and plan.seconds is None and plan.ends_at is None
    with pytest.raises(AttributeError):
        plan.distinct = 1  # type: ignore[misc]  # frozen


def test_the_cache_says_what_costs_nothing_and_what_is_left(
    fake: FakeVirusTotal, tmp_path: Path
) -> None:
    for sha in SHAS:
        fake.set_count(sha, 95, collection="files")
    cache = f"sqlite:///{tmp_path / 'cache.db'}"
    with connected(fake, cache=cache) as client:
        list(vt_refs.enrich(client, [SHAS[0]]))  # its three pages are cached
        list(vt_refs.paginate(get_file_related_references, client, id=SHAS[1], max_items=40))
        fake.clear_requests()
        plan = vt_refs.plan(IOCS, client=client)
        assert fake.requests == []  # nothing sent
        cut = vt_refs.plan(IOCS, client=client, max_items_per_ioc=50)
    assert plan.cached == 1 and plan.minimum_requests == 5
    # SHAS[1]: 55 left after its cached first page, two pages of 40; the other four, one each.
    assert plan.counts_known == 2
    assert plan.expected_requests == 0 + 2 + 4
    # With max_items_per_ioc=50 both first pages still answer (limit 40), and each walk
    # needs one more page of 10, which the cache does not hold (it holds one of 40).
    assert cut.cached == 0 and cut.expected_requests == 1 + 1 + 4
    assert fake.requests == []


def test_at_a_quota_the_plan_says_when_the_run_ends() -> None:
    many = [hashlib.sha256(f"many-{i}".encode()).hexdigest() for i in range(1001)]
    plan = vt_refs.plan(many, quota=vt_refs.Quota.public(), now=NOW)
    assert plan.expected_requests == 1001
    # 500 a day: the 1,001st request goes two days after the first; 4 a minute within it.
    assert plan.seconds == 2 * 86_400
    assert plan.ends_at == NOW + datetime.timedelta(days=2) and plan.days == 2
    small = vt_refs.plan(many[:9], quota=vt_refs.Quota.public(), now=NOW)
    assert small.seconds == 2 * 60 and small.days == 0  # 4, 4 a minute later, then 1


def test_run_seconds_follows_every_window() -> None:
    public = vt_refs.Quota.public()
    assert run_seconds(0, public) == 0 and run_seconds(4, public) == 0
    assert run_seconds(5, public) == 60 and run_seconds(500, public) == 124 * 60
    assert run_seconds(501, public) == 86_400
    assert run_seconds(1201, vt_refs.Quota(per_minute=1200)) == 60


def test_bad_arguments_are_refused_before_anything_is_read() -> None:
    def never() -> list[str]:
        raise AssertionError("read")

    with pytest.raises(vt_refs.UsageError, match="page_size=41 is over the 40"):
        vt_refs.plan(iter(["x"]), page_size=41)
    with pytest.raises(vt_refs.UsageError, match="not a single indicator"):
        vt_refs.plan("evil.example")  # type: ignore[arg-type]
    with pytest.raises(vt_refs.UsageError, match=r"iocs\[1\] must be a str or an IOC"):
        vt_refs.plan(["evil.example", 3])  # type: ignore[list-item]


def test_bulk_plan_sends_nothing_and_needs_no_key(
    fake: FakeVirusTotal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "iocs.txt"
    source.write_text("# a comment\n" + "\n".join(IOCS) + "\n")
    status, out, err = in_process("bulk", str(source), "--plan", "--quota", "public", fake=fake)
    assert status == 0 and err == "", err
    text = out.decode()
    assert (
        f"plan for {str(source)!r}: 9 indicators read: 6 distinct (1 urls, 1 domains, "
        "1 ip_addresses, 3 files), 2 duplicates (no request), 1 invalid\n"
    ) in text
    assert "requests: at least 6 (" in text and "expected 6 (pages of 40;" in text
    assert "at 4/min,500/day: 1 min from an empty quota; it would end " in text
    assert fake.requests == []
    monkeypatch.delenv("VT_API_KEY", raising=False)
    status, out, _ = in_process("bulk", str(source), "--plan", fake=fake, key=None)
    assert status == 0 and b"no quota given" in out and fake.requests == []


def test_bulk_plan_reads_the_cache_of_an_earlier_run(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = tmp_path / "iocs.txt"
    source.write_text("\n".join(IOCS[:5]) + "\n")
    cache = f"sqlite:///{tmp_path / 'cache.db'}"
    fake.set_count(SHAS[0], 95, collection="files")
    status, _, err = in_process("bulk", str(source), "--cache", cache, fake=fake)
    assert status == 0, err
    source.write_text("\n".join(IOCS) + "\n")  # four more lines, two of them new indicators
    fake.clear_requests()
    status, out, err = in_process("bulk", str(source), "--plan", "--cache", cache, fake=fake)
    assert status == 0 and fake.requests == [], err
    text = out.decode()
    assert "cache: 4 answered whole (cost 0); meta.count known for 4\n" in text
    assert "requests: at least 2 (" in text and "expected 2 (" in text


def test_with_a_user_the_plan_says_whether_the_run_fits_today(tmp_path: Path) -> None:
    """One request, to `/users/{user}/overall_quotas`: what is left of the day's quota."""
    quota = vt_refs.Quota(per_minute=1000, per_day=10)
    with FakeVirusTotal(api_key=KEY, quota=quota) as fake:
        with connected(fake) as client:
            list(vt_refs.enrich(client, SHAS))  # three of the day's ten spent
            fake.clear_requests()
            fits = vt_refs.plan(IOCS, client=client, user=DEFAULT_USER)
            assert [r.path for r in fake.requests] == [
                f"/api/v3/users/{DEFAULT_USER}/overall_quotas"
            ]
            many = [hashlib.sha256(f"more-{i}".encode()).hexdigest() for i in range(8)]
            too_many = vt_refs.plan(many, client=client, user=DEFAULT_USER)
        source = tmp_path / "iocs.txt"
        source.write_text("\n".join(many) + "\n")
        status, out, err = in_process("bulk", str(source), "--plan", "--user", DEFAULT_USER,
                                      fake=fake)  # fmt: skip
    assert (fits.left_today, fits.expected_requests, fits.fits_today) == (7, 6, True)
    assert (too_many.left_today, too_many.fits_today) == (7, False)
    assert status == 0, err
    assert "today: 7 requests left of the daily quota (VirusTotal); 8 expected: it does not " \
        "fit" in out.decode()  # fmt: skip
    with pytest.raises(vt_refs.UsageError, match="needs client="):
        vt_refs.plan(IOCS, user=DEFAULT_USER)


def test_bulk_user_needs_plan(fake: FakeVirusTotal, tmp_path: Path) -> None:
    source = tmp_path / "iocs.txt"
    source.write_text(f"{SHAS[0]}\n")
    status, out, _ = in_process("bulk", str(source), "--user", DEFAULT_USER, fake=fake)
    assert status == 2 and out == b"" and fake.requests == []
