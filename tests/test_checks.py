"""One rule for numbers everywhere: the library's arguments, the CLI's options and the
fake's, with the same words for the same fault (`vt_refs._checks`); and one rule for how
values are written out (`vt_refs._formats`)."""

from __future__ import annotations

import argparse
import datetime
import json
import math

import pytest

import vt_refs
from vt_refs._checks import MAX_SECONDS, check_count, check_number, count_problem
from vt_refs._cli import numbers
from vt_refs._formats import UNSAFE_IN_JSON, json_text, utc_text
from vt_refs.testing import FakeVirusTotal


@pytest.mark.parametrize("value", [True, False, 1.0, "1", None, [1]])
def test_a_count_is_an_int_and_never_a_bool(value: object) -> None:
    with pytest.raises(vt_refs.UsageError, match=r"^n must be an int, not "):
        check_count("n", value, 0)


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "problem"),
    [
        (0, 1, None, "must be at least 1, not 0"),
        (600, 100, 599, "must be in 100..599, not 600"),
        (7, None, 5, "must be at most 5, not 7"),
        (-(10**30), None, None, None),
        (5, 1, 5, None),
    ],
)
def test_count_bounds(value: int, minimum: int | None, maximum: int | None, problem: str) -> None:
    assert count_problem(value, minimum, maximum) == problem
    if problem is None:
        assert check_count("n", value, minimum, maximum=maximum) == value
    else:
        with pytest.raises(vt_refs.UsageError, match=f"^n {problem}$"):
            check_count("n", value, minimum, maximum=maximum)


def test_an_optional_count_may_be_none() -> None:
    assert check_count("n", None, 1, optional=True) is None
    with pytest.raises(vt_refs.UsageError):
        check_count("n", None, 1)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "1", -1, MAX_SECONDS * 2])
def test_a_number_is_finite_within_its_bounds_and_no_bool(value: object) -> None:
    with pytest.raises(vt_refs.UsageError, match=r"^wait must be a finite number >= 0 "):
        check_number("wait", value, minimum=0, allow_equal=True)


def test_zero_is_allowed_only_when_asked() -> None:
    assert check_number("wait", 0, minimum=0, allow_equal=True) == 0
    with pytest.raises(vt_refs.UsageError, match="above 0"):
        check_number("wait", 0, minimum=0, allow_equal=False)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "1e12", "2.5"])
@pytest.mark.parametrize("zero", [True, False])
def test_the_clis_seconds_are_the_librarys(text: str, zero: bool) -> None:
    """What the CLI refuses, connect() refuses too, in the same words (and what it takes
    connect() takes), so an option never passes the parser to fail later."""
    parse = numbers.seconds(zero=zero)
    try:
        check_number("x", float(text), minimum=0, allow_equal=zero)
    except vt_refs.UsageError as error:
        with pytest.raises(argparse.ArgumentTypeError) as caught:
            parse(text)
        assert f"x {caught.value}" == str(error)
    else:
        assert parse(text) == float(text)


def test_the_clis_seconds_need_a_number() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected a number of seconds"):
        numbers.seconds(zero=True)("soon")


@pytest.mark.parametrize("text", ["0", "1", "-3", "10"])
def test_the_clis_counts_are_the_librarys(text: str) -> None:
    parse = numbers.count(1)
    problem = count_problem(int(text), 1)
    if problem is None:
        assert parse(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError, match=f"^{problem}$"):
            parse(text)
    with pytest.raises(argparse.ArgumentTypeError, match="expected an integer"):
        parse(text + ".5")


@pytest.mark.parametrize(
    ("kwargs", "name", "value", "minimum", "maximum"),
    [
        ({"max_limit": True}, "max_limit", True, 1, None),
        ({"default_count": -1}, "default_count", -1, 0, None),
        ({"port": 70000}, "port", 70000, 0, 65535),
    ],
)
def test_the_fakes_checks_are_the_librarys(
    kwargs: dict[str, object], name: str, value: object, minimum: int, maximum: int | None
) -> None:
    with pytest.raises(vt_refs.UsageError) as expected:
        check_count(name, value, minimum, maximum=maximum)
    with pytest.raises(ValueError) as caught:
        FakeVirusTotal(**kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == str(expected.value)


# How values are written out.

TWO_HOURS_EAST = datetime.timezone(datetime.timedelta(hours=2))


@pytest.mark.parametrize(
    ("timestamp", "full", "date"),
    [
        (1714564800, "2024-05-01T12:00:00Z", "2024-05-01"),
        (1714564800.5, "2024-05-01T12:00:00.500000Z", "2024-05-01"),
        (0, "1970-01-01T00:00:00Z", "1970-01-01"),
        (
            datetime.datetime(
                2024, 5, 1, 14, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "2024-05-01T12:00:00Z",
            "2024-05-01",
        ),
        (None, "", ""),
        (True, "True", "True"),  # a bool is no timestamp: shown as it came
        ("1714564800", "1714564800", "1714564800"),  # drift: kept, never lost
        (10**20, str(10**20), str(10**20)),  # out of any datetime's range
        (math.nan, "nan", "nan"),
    ],
)
def test_one_rule_for_timestamps(timestamp: object, full: str, date: str) -> None:
    assert utc_text(timestamp) == full
    assert utc_text(timestamp, date_only=True) == date


@pytest.mark.parametrize("char", ["\x7f", "\x9b", "\u2028", "\u2029"])
def test_json_text_escapes_what_is_risky_raw_and_nothing_else(char: str) -> None:
    document = {"t": f"a{char}é€😀"}
    text = json_text(document)
    assert char not in text and UNSAFE_IN_JSON.search(text) is None
    assert "é€😀" in text and " " not in text
    assert json.loads(text) == document
