"""The fenced Python blocks of the Markdown documentation, and a runner for them.

Shared by the test that runs every block of README.md and docs/*.md against the fake and by
the tests of the extraction itself. A block runs as written: its line numbers in tracebacks
are the Markdown file's, and top-level `await` runs it in an event loop, as a notebook would.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.paths import ROOT

# The info strings of blocks that run; ```text, ```sh, ```pycon and the rest do not.
RUNNABLE = frozenset({"python", "py", "python3"})

_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (1-based line of its first code line) and its code."""

    path: Path
    line: int
    info: str
    source: str

    @property
    def where(self) -> str:
        """`file:line`, relative to the repository when it is inside it."""
        try:
            shown = self.path.resolve().relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}"


def fenced_blocks(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of a Markdown file, in order, dedented by its fence's indent.

    An unclosed fence runs to the end of the file, as CommonMark says; it is still a block.
    """
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        fence = opening["fence"]
        info = opening["info"].lower()
        body: list[str] = []
        index += 1
        start = index + 1
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                index += 1
                break
            # CommonMark strips up to the fence's indent from each content line.
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        blocks.append(Block(path, start, info, "\n".join(body) + "\n"))
    return blocks


def python_blocks(path: Path, text: str | None = None) -> list[Block]:
    """The blocks of `path` that run: fenced as ```python (or py, python3)."""
    return [block for block in fenced_blocks(path, text) if block.info in RUNNABLE]


def documentation_files() -> list[Path]:
    """README.md and every guide in docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Run one block in `namespace`; a failure names the block's file and line.

    The source is padded with empty lines so tracebacks point into the Markdown file.
    """
    padded = "\n" * (block.line - 1) + block.source
    try:
        code = compile(
            padded, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
        )
    except SyntaxError as error:
        raise AssertionError(f"{block.where}: the block does not compile: {error}") from error
    try:
        if code.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(code, namespace))
        else:
            exec(code, namespace)
    except Exception as error:
        raise AssertionError(
            f"{block.where}: the block raised {type(error).__name__}: {error}"
        ) from error
