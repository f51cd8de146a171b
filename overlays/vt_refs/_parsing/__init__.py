"""Strict parsing of JSON bodies into the generated models, and schema drift.

`parse` decodes and builds; what a generated model looks like is read from the class
(`introspection`), each model is compiled once into a check-and-build function
(`compiler`, with what its code raises and calls in `invalid`), and what an optional
field that drifts from the spec does is `drift`'s policy.
"""

from __future__ import annotations

from .drift import (
    DEFAULT_ON_DRIFT,
    ON_DRIFT_VALUES,
    OnDrift,
    SchemaDriftWarning,
    check_on_drift,
)
from .introspection import model_hints
from .parse import parse, parse_body

__all__ = [
    "DEFAULT_ON_DRIFT",
    "ON_DRIFT_VALUES",
    "OnDrift",
    "SchemaDriftWarning",
    "check_on_drift",
    "model_hints",
    "parse",
    "parse_body",
]
