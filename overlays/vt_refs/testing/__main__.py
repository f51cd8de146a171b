"""`python -m vt_refs.testing`: run the fake VirusTotal until Ctrl-C or SIGTERM.

It prints `base_url=...` and `api_key=...` on stdout (one line each, flushed), so a script
or a test can start it, read where it listens, and point a client at it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .._transport import Quota
from . import DEFAULT_API_KEY, DEFAULT_USER, FakeVirusTotal


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vt_refs.testing",
        description="Serve a fake VirusTotal API v3 (relationships) for local testing.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to bind, 0 for a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key", default=DEFAULT_API_KEY, help="the x-apikey it accepts (default: %(default)s)"
    )
    parser.add_argument(
        "--count",
        type=int,
        default=25,
        metavar="N",
        help="references per object, except the seed URL's 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--quota",
        metavar="SPEC",
        help="answer 429 QuotaExceededError past this quota per key, e.g. 4/min,500/day "
        "or public (default: none)",
    )
    parser.add_argument(
        "--quota-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="multiply every window of --quota by F: 0.0333 runs a minute in 2 s "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="add this delay to every response, as a distant API would (default: %(default)s)",
    )
    parser.add_argument(
        "--user",
        default=DEFAULT_USER,
        help="the key owner's user id, for /users/{id}/overall_quotas (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad arguments, 1 if it cannot bind."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        quota = None if args.quota is None else Quota.parse(args.quota)
        fake = FakeVirusTotal(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            default_count=args.count,
            record_requests=False,  # nothing could read them, and it may run for days
            quota=quota,
            quota_scale=args.quota_scale,
            latency=args.latency,
            user=args.user,
        )
    except ValueError as error:
        parser.error(str(error))
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        fake.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    try:
        print(f"base_url={fake.base_url}", flush=True)
        print(f"api_key={fake.api_key}", flush=True)
        print("serving; Ctrl-C to stop", file=sys.stderr, flush=True)
        # A timed wait, so the signal handler's stop.set() is seen promptly on every platform.
        while not stop.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
