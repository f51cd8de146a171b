"""The API keys of the suite, named by what a test needs of them.

`KEY` is the key of every client, fake and server. A second key exists only where a test
needs two that differ: one the fake refuses, one for a second origin. State a process
keeps per key (the client's quota, the cache's entries, in a Redis other runs may share)
would leak from test to test under one key: those tests take a key of their own from
`own_key()`.
"""

from __future__ import annotations

import uuid

# Long and random-looking, so that a test can check that no 10 characters of it in a row
# show anywhere (a half-redacted key), with no such run in the suite's own words.
KEY = "test-key-6c0ffee5a1b2c3d4e5f60718293a4b5c6d7e8f90"

# A key the fake answers 401 WrongCredentialsError to: it is not the fake's.
WRONG_KEY = "wrong-key-9d8c7b6a5f4e3d2c"

# The key of a second fake, another origin than the client's: never the client's key.
OTHER_KEY = "other-origin-key-1a2b3c4d5e6f"


def own_key(purpose: str = "test") -> str:
    """A key no other test (or run) uses: `purpose-` and 32 random hex digits."""
    return f"{purpose}-{uuid.uuid4().hex}"
