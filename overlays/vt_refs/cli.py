"""`vt-refs`: list the references VirusTotal relates to a URL, a file or a threat actor.

    VT_API_KEY=... vt-refs https://example.com/ --format table
    VT_API_KEY=... vt-refs bulk iocs.txt --out refs.jsonl --checkpoint run.sqlite

The console script calls `main()` and exits with what it returns; `python -m vt_refs.cli`
does the same. Everything heavy (httpx, the generated client) is imported only after the
arguments are parsed, so `--help` and usage errors do not pay for it. See `vt-refs --help`
for the options and exit statuses.
"""

from __future__ import annotations

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
