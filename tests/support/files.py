"""Files and directories made read-only for real, even when the tests run as root.

Root ignores permission bits, so for root the file (or directory) is also made immutable
(`chattr +i`), which binds root too; both are undone when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _chattr(flag: str, path: Path) -> None:
    subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a file or a directory) unwritable by this process while the block lasts."""
    mode = path.stat().st_mode
    path.chmod(stat.S_IMODE(mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    immutable = os.geteuid() == 0
    if immutable:
        assert shutil.which("chattr"), "running as root, read-only needs chattr (e2fsprogs)"
        _chattr("+i", path)
    try:
        yield path
    finally:
        if immutable:
            _chattr("-i", path)
        path.chmod(stat.S_IMODE(mode))
