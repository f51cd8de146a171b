"""The environment variables the SDK itself reads, each named once.

Standard library only (nothing at all, in fact): the CLI's argument parser names them in
its help without loading httpx.
"""

from __future__ import annotations

from typing import Final

API_KEY_ENV: Final = "VT_API_KEY"
"""The API key, when `connect()` is given none (and `vt-refs` no `--api-key`)."""
