"""The progress bar of `vt-refs bulk` (issue 18): its clock runs while requests wait for
the quota, it says what it waits for, and with a quota its time left is at the quota's
pace."""

from __future__ import annotations

import datetime
import io
import logging
import re
import time

import vt_refs
from vt_refs._cli.bulk_progress import BulkProgress, duration, waits_shown
from vt_refs._transport import QuotaWait


def test_the_clock_runs_while_nothing_finishes() -> None:
    stream = io.StringIO()
    progress = BulkProgress(stream, enabled=True, total=10, done=0)
    try:
        time.sleep(2.4)  # no indicator finishes: a quota wait
    finally:
        progress.close()
    shown = set(re.findall(r"\[00:0(\d)<", stream.getvalue()))
    assert {"1", "2"} <= shown, stream.getvalue()


def test_a_wait_is_on_the_bar_until_the_next_result() -> None:
    stream = io.StringIO()
    progress = BulkProgress(stream, enabled=True, total=10, done=0)
    until = datetime.datetime(2026, 12, 2, 12, 4, 0, tzinfo=datetime.UTC)
    try:
        progress.waiting(until, "per-minute window")
        local = until.astimezone().strftime("%H:%M:%S")
        assert f"waiting for quota until {local} (per-minute)]" in stream.getvalue()
        mark = len(stream.getvalue())
        progress.update(vt_refs.RunStats(indicators=1, ok=1, requests=1), errors=0)
        time.sleep(1.3)  # the ticker redraws it
        assert "waiting for quota" not in stream.getvalue()[mark:]
        assert "req/min, 0 errors]" in stream.getvalue()[mark:]
    finally:
        progress.close()


def test_time_left_is_at_the_quotas_pace() -> None:
    stream = io.StringIO()
    quota = vt_refs.Quota.public()
    progress = BulkProgress(stream, enabled=True, total=1001, done=0, quota=quota)
    try:
        # One indicator done with two requests: 1,000 left need 2,000: at 500 a day the last
        # goes three days after the first.
        progress.update(vt_refs.RunStats(indicators=1, ok=1, requests=2), errors=0)
        time.sleep(1.3)  # the ticker redraws it
    finally:
        progress.close()
    assert "[00:01, 3 d left at the quota, 0 refs" in stream.getvalue()


def test_durations_read_at_a_glance() -> None:
    assert duration(0) == "0 s" and duration(59.6) == "1 min" and duration(61) == "1 min 1 s"
    assert duration(3 * 86_400 + 7_200 + 180 + 5) == "3 d 2 h 3 min"


def test_the_quota_layers_waits_reach_the_bar() -> None:
    """What the quota layer logs of a wait (a `QuotaWait` on a "vt_refs.quota" record, INFO
    for pacing) is put on the bar while `waits_shown` lasts, and only then."""
    stream = io.StringIO()
    progress = BulkProgress(stream, enabled=True, total=10, done=0)
    until = datetime.datetime(2026, 12, 2, 23, 59, 30, tzinfo=datetime.UTC)
    wait = QuotaWait(until=until, seconds=42.0, window="per-day window", cause="quota")
    logger = logging.getLogger("vt_refs.quota")
    try:
        with waits_shown(progress):
            logger.info("%s", wait.message, extra={"vt_refs_quota_wait": wait})
        shown = stream.getvalue()
        logger.info("%s", wait.message, extra={"vt_refs_quota_wait": wait})
    finally:
        progress.close()
    assert f"waiting for quota until {until.astimezone():%H:%M:%S} (per-day)]" in shown
    assert logger.level == logging.NOTSET  # put back
