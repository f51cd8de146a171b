"""The commands `vt-refs bulk` prints: the one that resumes a run, the one that retries its
failures. They go to CI and cron logs, so they carry no secret: never the key, and a
password (or any credentials) in a URL option is shown as `***`, with a word on how to
give it again (an environment variable keeps it out of the command line for good).

The retry command never overwrites what the run wrote: without a checkpoint it appends
to the run's `--out` file (`--append`); with one, the checkpoint knows where the output
ends and the rerun goes on after it.
"""

from __future__ import annotations

import shlex
import urllib.parse
from collections.abc import Sequence
from typing import Final

from .._env import BASE_URL_ENV
from .store_options import CACHE_ENV, QUOTA_STORE_ENV

# Where each URL option can be given without the command line holding it.
_ENVIRONMENT: Final = {
    "--quota-store": QUOTA_STORE_ENV,
    "--cache": CACHE_ENV,
    "--proxy": "HTTPS_PROXY",
    "--base-url": BASE_URL_ENV,
}
_SECRET_QUERY: Final = frozenset({"password", "passwd", "pass", "token", "secret", "apikey"})
_DROPPED: Final = frozenset({"--restart", "--retry-errors"})


def masked(value: str) -> str | None:
    """`value` with the credentials of the URL it is replaced by `***`; None when it holds
    none (or is no URL)."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return None
    if not parts.scheme or ("@" not in parts.netloc and not parts.query):
        return None
    netloc, changed = parts.netloc, False
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        # A user name beside a password is no secret; a lone one may be a token.
        netloc = f"{user}:***@{host}" if has_password else f"***@{host}"
        changed = True
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in _SECRET_QUERY for name, _ in pairs):
            query = "&".join(
                f"{name}=***" if name.lower() in _SECRET_QUERY else f"{name}={item}"
                for name, item in pairs
            )
            changed = True
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query)) if changed else None


def _words(argv: Sequence[str], source: str, new_source: str | None) -> tuple[list[str], list[str]]:
    """argv without the key and the one-off flags, credentials masked; and the options whose
    value was masked."""
    words: list[str] = []
    hidden: list[str] = []
    skip_next = False
    option: str | None = None  # the option whose value comes next
    for word in argv:
        if skip_next:
            skip_next = False
            continue
        if word == "--api-key":
            skip_next = True
            continue
        if word.startswith("--api-key=") or word in _DROPPED:
            continue
        name, equals, value = word.partition("=")
        if word.startswith("--") and equals:
            shown = masked(value)
            if shown is not None:
                hidden.append(name)
                word = f"{name}={shown}"
        elif option is not None:
            shown = masked(word)
            if shown is not None:
                hidden.append(option)
                word = shown
        elif new_source is not None and word == source:
            word = new_source
        option = word if word.startswith("--") and "=" not in word else None
        words.append(word)
    return words, hidden


def _hint(hidden: list[str]) -> str:
    if not hidden:
        return ""
    names = ", ".join(dict.fromkeys(hidden))
    variables = [_ENVIRONMENT[name] for name in dict.fromkeys(hidden) if name in _ENVIRONMENT]
    how = f", or drop it and set {' / '.join(variables)}" if variables else ""
    return f"  (*** stands for the credentials of {names}: put them back{how})"


def command(
    argv: Sequence[str],
    source: str,
    *,
    add: tuple[str, ...] = (),
    drop: frozenset[str] = frozenset(),
    new_source: str | None = None,
) -> str:
    """The `vt-refs bulk` command line of `argv`, fit to print: no key, no --restart or
    --retry-errors, no credentials (a hint says how to give them again)."""
    words, hidden = _words(argv, source, new_source)
    words = [word for word in words if word not in drop]
    return shlex.join(["vt-refs", "bulk", *words, *add]) + _hint(hidden)


def retry_command(
    argv: Sequence[str], source: str, *, out: str | None, checkpoint: bool, failed: list[str],
    more: int,
) -> str:  # fmt: skip
    """The command that runs the failed indicators again, adding to what the run wrote."""
    if checkpoint:
        return command(argv, source, add=("--retry-errors",))
    add = ("--append",) if out is not None and "--append" not in argv else ()
    line = command(argv, source, new_source="-", add=add, drop=frozenset({"--force"}))
    piped = shlex.join(["printf", r"%s\n", *failed])
    note = (
        f"  (the first {len(failed)}; --checkpoint with --retry-errors retries all)" if more else ""
    )
    return f"{piped} | {line}{note}"
