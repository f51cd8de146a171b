"""The environment variables the SDK itself reads, each named once.

Standard library only (nothing at all, in fact): the CLI's argument parser names them in
its help without loading httpx.
"""

from __future__ import annotations

from typing import Final

API_KEY_ENV: Final = "VT_API_KEY"
"""The API key, when `connect()` is given none (and `vt-refs` no `--api-key`)."""

BASE_URL_ENV: Final = "VT_BASE_URL"
"""The API's base URL, when `connect()` is given no `base_url=` (and `vt-refs` no
`--base-url`): e.g. a local `python -m vt_refs.testing` fake. Clear-text http:// is refused
for a host that is not this machine, as for `base_url=`."""
