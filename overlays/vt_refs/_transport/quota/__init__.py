"""The client's own quota: its spec (`Quota`), the permits in a store, the gate that waits.

Only the spec loads with this package: pyrate-limiter (behind `permits`) and the layer
(`gate`) come in when a client actually uses a quota.
"""

from __future__ import annotations

from .spec import Quota, Window

__all__ = ["Quota", "Window"]
