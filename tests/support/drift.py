"""Recording the schema drift warnings a block of code issues."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import vt_refs


@contextmanager
def drift_warnings() -> Iterator[list[vt_refs.SchemaDriftWarning]]:
    """The drift warnings issued in the block, in order, filled in when it ends; a warnings
    context of its own, so that each is recorded however often it was issued before."""
    found: list[vt_refs.SchemaDriftWarning] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
    found += [w.message for w in caught if isinstance(w.message, vt_refs.SchemaDriftWarning)]
