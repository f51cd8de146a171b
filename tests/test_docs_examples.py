"""Every ```python block of README.md and docs/*.md runs, in order, against the fake.

One shared namespace per file, as a reader pasting the blocks into one session would have.
`VT_API_KEY` is the fake's key and `vt_refs.connect()`'s default `base_url` is the fake's, so
the examples read as they would against VirusTotal and never reach it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vt_refs
from vt_refs.testing import FakeVirusTotal

from support.doc_blocks import (
    RUNNABLE,
    Block,
    documentation_files,
    fenced_blocks,
    python_blocks,
    run_block,
)
from support.paths import ROOT


@pytest.fixture
def fake() -> Iterator[FakeVirusTotal]:
    """A fresh fake per file: no file's faults or data reach another's examples."""
    with FakeVirusTotal() as server:
        yield server


@pytest.fixture
def docs_environment(
    fake: FakeVirusTotal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    """The fake as what `connect()` reaches by default; restored afterwards."""
    monkeypatch.setenv("VT_API_KEY", fake.api_key)
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    defaults = vt_refs.connect.__kwdefaults__
    # Should connect() ever be wrapped, patching a copy would silently send the examples
    # to VirusTotal: fail instead.
    assert defaults is not None and "base_url" in defaults, "connect() lost its base_url default"
    saved = dict(defaults)
    defaults["base_url"] = fake.base_url
    try:
        yield
    finally:
        defaults.clear()
        defaults.update(saved)


def _file_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.timeout(90)
@pytest.mark.parametrize("path", documentation_files(), ids=_file_id)
@pytest.mark.usefixtures("docs_environment")
def test_python_blocks_run_against_the_fake(path: Path) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs:{path.name}"}
    for block in python_blocks(path):
        run_block(block, namespace)
    assert vt_refs.connect.__kwdefaults__ is not None


def test_readme_and_every_guide_are_collected() -> None:
    files = documentation_files()
    assert files[0] == ROOT / "README.md"
    assert {"getting-started.md", "pagination.md", "testing.md"} <= {p.name for p in files}
    assert python_blocks(ROOT / "README.md"), "the README's quick start is a python block"


# Fences that do not run, each for a reason: a signature or output, shell, data.
NOT_RUN = frozenset({"text", "sh", "console", "json", "yaml", "toml", "csv", "ini"})


def test_every_fence_says_whether_it_runs() -> None:
    """A fence without a language, or with one nobody chose here (```pycon, ```bash), would
    hold Python that silently never runs: each must be ```python or one of NOT_RUN."""
    unclear = [
        f"{block.where} ```{block.info}"
        for path in documentation_files()
        for block in fenced_blocks(path)
        if block.info not in RUNNABLE | NOT_RUN
    ]
    assert unclear == []


def test_connect_defaults_are_restored(docs_environment: None, fake: FakeVirusTotal) -> None:
    assert vt_refs.connect.__kwdefaults__ is not None
    assert vt_refs.connect.__kwdefaults__["base_url"] == fake.base_url
    assert os.environ["VT_API_KEY"] == fake.api_key


def test_connect_defaults_are_the_real_ones_outside_the_fixture() -> None:
    assert vt_refs.connect.__kwdefaults__ is not None
    # None: VT_BASE_URL when set, else vt_refs.DEFAULT_BASE_URL.
    assert vt_refs.connect.__kwdefaults__["base_url"] is None


MARKDOWN = """\
# Title

```python
x = 1
```

- a list item:

  ```py
  y = x + 1
  ```

~~~~text
not = python
~~~~

```sh
echo no
```

````python
z = '''
```
'''
````
"""


def test_extraction_finds_fences_of_every_shape() -> None:
    blocks = fenced_blocks(Path("example.md"), MARKDOWN)
    assert [(b.line, b.info) for b in blocks] == [
        (4, "python"),
        (10, "py"),
        (14, "text"),
        (18, "sh"),
        (22, "python"),
    ]
    assert blocks[1].source == "y = x + 1\n"
    assert blocks[4].source == "z = '''\n```\n'''\n"
    runnable = python_blocks(Path("example.md"), MARKDOWN)
    assert [b.line for b in runnable] == [4, 10, 22]
    namespace: dict[str, Any] = {}
    for block in runnable:
        run_block(block, namespace)
    assert (namespace["x"], namespace["y"], namespace["z"]) == (1, 2, "\n```\n")


def test_a_failing_block_names_its_file_and_line() -> None:
    block = Block(ROOT / "docs" / "example.md", 7, "python", "a = 1\nraise KeyError('gone')\n")
    with pytest.raises(AssertionError, match=r"docs/example\.md:7: the block raised KeyError"):
        run_block(block, {})
    try:
        run_block(block, {})
    except AssertionError as error:
        assert error.__cause__ is not None
        traceback = error.__cause__.__traceback__
        assert traceback is not None
        while traceback.tb_next is not None:
            traceback = traceback.tb_next
        assert traceback.tb_lineno == 8  # the raise, counted in the Markdown file


def test_a_block_with_top_level_await_runs_in_an_event_loop() -> None:
    source = "import asyncio\nawait asyncio.sleep(0)\ndone = True\n"
    namespace: dict[str, Any] = {}
    run_block(Block(Path("x.md"), 1, "python", source), namespace)
    assert namespace["done"] is True


def test_a_block_that_does_not_compile_is_reported() -> None:
    with pytest.raises(AssertionError, match=r"x\.md:3: the block does not compile"):
        run_block(Block(Path("x.md"), 3, "python", "def broken(:\n"), {})
