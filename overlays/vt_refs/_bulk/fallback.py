"""`relationship="auto"`: from the deprecated `related_references` to `related_reports`.

VirusTotal deprecated `/references/*` for Google Threat Intelligence's reports; a key
without the Threat Landscape module (or, one day, every key) gets 403 ForbiddenError
there. An "auto" run starts with `related_references` and, at the first such 403, walks
that indicator and every later one with `related_reports`, saying so once.
"""

from __future__ import annotations

import logging
from typing import Final

from .._errors import ForbiddenError, VTError

AUTO: Final = "auto"
"""`relationship="auto"`: `related_references`, and `related_reports` once a 403 refuses it."""
DEPRECATED_RELATIONSHIPS: Final = frozenset({"related_references", "references"})
"""The relationships VirusTotal deprecated for Google Threat Intelligence's reports."""
SUCCESSOR: Final = "related_reports"
"""Where a walk of a deprecated relationship refused with a 403 goes, when it may."""
_log = logging.getLogger("vt_refs.bulk")


def refused(auto: bool, relationship: str, pages: int, error: VTError) -> bool:
    """Whether an "auto" walk of `relationship` that got `error` (after `pages` pages)
    moves to `SUCCESSOR`: a 403 on a deprecated relationship, before any page."""
    return (
        auto
        and isinstance(error, ForbiddenError)
        and relationship in DEPRECATED_RELATIONSHIPS
        and pages == 0
    )


def announce(relationship: str) -> None:
    """The one warning of a run that moved (the CLI shows it as a `vt-refs:` line)."""
    _log.warning(
        "%s answered 403 ForbiddenError (deprecated; the key may lack the Threat Landscape "
        "module): walking %s instead",
        relationship,
        SUCCESSOR,
    )
