"""What the learned quota hands out and says: a request's turn, a hold after a 429, and a
learned window in words. Plain values, apart from the learner that decides them."""

from __future__ import annotations


class Grant:
    """A request's turn: when it may be sent, whether it is the probe of a hold."""

    __slots__ = ("at", "explore", "generation", "probe")

    def __init__(self, at: float, *, probe: bool = False, explore: bool = False) -> None:
        self.at = at
        self.probe = probe  # the one request sent while others are held after a 429
        self.explore = explore  # the one request testing a window shorter than `hi`
        self.generation = 0


class Hold:
    """After a 429: ask for a turn again (it comes at `until`); `label` says what for."""

    __slots__ = ("label", "until")

    def __init__(self, until: float, label: str) -> None:
        self.until = until
        self.label = label


def window_label(seconds: float | None) -> str:
    """A learned window in words: "per-minute window" near a minute, "2.1-s window"."""
    if seconds is None:
        return "the server's window"
    for name, length in (("minute", 60.0), ("hour", 3600.0), ("day", 86400.0)):
        if abs(seconds - length) <= 0.15 * length:
            return f"per-{name} window"
    return f"{seconds:.3g}-s window"
