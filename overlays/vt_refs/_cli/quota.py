"""`vt-refs quota --user NAME`: the server's view of the user's API quota, per hour, day and
month: allowed, used, left (`vt_refs.server_quota`).

The user is a VirusTotal user id: VirusTotal also accepts the API key in its place, which
would put the key in a URL, so a `--user` holding the key is refused (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TextIO

from .._env import API_KEY_ENV, BASE_URL_ENV
from .._errors import VTError
from .args import key_from
from .errors import USAGE, Reporter, describe
from .stdio import line_writer


def build_quota_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vt-refs quota",
        description="Show how many API requests VirusTotal allows the user per hour, day "
        "and month, and how many are used and left (the daily count resets at 00:00 UTC).",
    )
    parser.add_argument("--user", required=True, help="the VirusTotal user id (never the key)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--base-url", help=f"the API's base URL (default: ${BASE_URL_ENV}, else VirusTotal's)"
    )
    parser.add_argument(
        "--api-key", help=f"the API key (default: ${API_KEY_ENV}; other users can see it in ps)"
    )
    return parser


def _number(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def run_quota(options: argparse.Namespace, *, stdout: TextIO, stderr: TextIO) -> int:
    """Print the quota of `options.user`; the exit status."""
    from .._client import connect
    from .._quotas import server_quota

    report = Reporter(line_writer(stderr))
    key = key_from(options.api_key)
    if key is None:
        report.line(f"no VirusTotal API key: set the {API_KEY_ENV} environment variable")
        return USAGE
    try:
        with connect(key, base_url=options.base_url) as client:
            quota = server_quota(client, user=options.user)
    except VTError as error:
        status, message = describe(error)
        report.line(message)
        return status
    periods = {"hourly": quota.hourly, "daily": quota.daily, "monthly": quota.monthly}
    if options.json:
        shown = {
            name: {"allowed": use.allowed, "used": use.used, "left": use.left}
            for name, use in periods.items()
        }
        stdout.write(json.dumps({"user": quota.user, **shown}) + "\n")
        return 0
    resets = {"hourly": "", "daily": " (resets at 00:00 UTC)", "monthly": " (resets on the 1st)"}
    stdout.write(f"API requests of {quota.user}:\n")
    for name, use in periods.items():
        stdout.write(
            f"  {name:<8} {_number(use.used)} used of {_number(use.allowed)}, "
            f"{_number(use.left)} left{resets[name]}\n"
        )
    return 0


def main_quota(argv: list[str]) -> int:
    """`vt-refs quota ...` from its arguments."""
    try:
        options = build_quota_parser().parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 2
    if options.base_url is None:
        options.base_url = os.environ.get(BASE_URL_ENV, "").strip() or None
    return run_quota(options, stdout=sys.stdout, stderr=sys.stderr)
