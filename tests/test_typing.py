"""The helpers are typed end to end: what mypy --strict infers, and what it must refuse.

tests/typing/ holds typed usage examples written with `assert_type`, as typeshed's test
cases are; `make lint` checks them with `mypy --strict`. Here mypy also runs over them, over
a file asserting the item and page models of every generated paging operation (so an
operation added to openapi.yaml is checked with no test edited), and over snippets that must
NOT type-check, each expected to fail with its own error: were the helpers to return `Any`
again, the negatives would pass and this test would fail.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest

import vt_refs_api.models
from vt_refs.testing import FakeVirusTotal

from support.doc_blocks import ROOT, python_blocks
from support.operations import operations

TYPED = ROOT / "tests" / "typing"
_ERROR = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)

# Each must fail on its last line with this code and a message containing the text.
NEGATIVES: dict[str, tuple[str, str, str]] = {
    "the_old_quick_start": (
        """
        with vt_refs.connect() as client:
            for ref in vt_refs.related_references(client, "https://example.com/login"):
                print(ref.attributes.title)
        """,
        "union-attr",
        'Item "Unset" of "ReferenceAttributes | Unset" has no attribute "title"',
    ),
    "a_descriptor_has_no_attributes": (
        """
        def f(client: AuthenticatedClient) -> None:
            for d in vt_refs.paginate(get_url_related_references_descriptors, client, id="x"):
                print(d.attributes)
        """,
        "attr-defined",
        '"ObjectDescriptor" has no attribute "attributes"',
    ),
    "items_are_not_any": (
        """
        def f(client: AuthenticatedClient) -> None:
            assert_type(vt_refs.paginate(get_url_related_references, client, id="x"), Iterator[Any])
        """,
        "assert-type",
        'Expression is of type "Iterator[Reference]", not "Iterator[Any]"',
    ),
    "pages_are_their_model": (
        """
        def f(client: AuthenticatedClient) -> None:
            for page in vt_refs.iter_pages(get_url_related_references, client, id="x"):
                wrong: list[ObjectDescriptor] = page.data
        """,
        "assignment",
        'expression has type "list[Reference]", variable has type "list[ObjectDescriptor]"',
    ),
    "async_items_too": (
        """
        async def f(client: AuthenticatedClient) -> None:
            descriptors = get_url_related_references_descriptors
            async for d in vt_refs.apaginate(descriptors, client, id="x"):
                print(d.attributes)
        """,
        "attr-defined",
        '"ObjectDescriptor" has no attribute "attributes"',
    ),
    "not_a_paging_operation": (
        """
        def f(client: AuthenticatedClient) -> None:
            vt_refs.paginate(vt_refs_api.models, client)
        """,
        "arg-type",
        'Argument 1 to "paginate" has incompatible type Module',
    ),
    "enrich_descriptors_gives_descriptors": (
        """
        def f(client: AuthenticatedClient) -> None:
            for result in vt_refs.enrich(client, ["example.com"], descriptors=True):
                print(result.references[0].attributes)
        """,
        "attr-defined",
        '"ObjectDescriptor" has no attribute "attributes"',
    ),
    "aenrich_gives_references": (
        """
        async def f(client: AuthenticatedClient) -> None:
            async for result in vt_refs.aenrich(client, ["example.com"]):
                wrong: list[ObjectDescriptor] = result.references
        """,
        "assignment",
        'expression has type "list[Reference]", variable has type "list[ObjectDescriptor]"',
    ),
}

_PRELUDE = """\
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, assert_type

import vt_refs
import vt_refs_api.models
from vt_refs_api import AuthenticatedClient
from vt_refs_api.api.urls import get_url_related_references, get_url_related_references_descriptors
from vt_refs_api.models import ObjectDescriptor, Reference
"""


def _paging_operations() -> list[ModuleType]:
    """Every generated operation taking `cursor` and `limit`, found at run time."""
    found = []
    for module in operations():
        params = inspect.signature(module._get_kwargs).parameters
        if "cursor" in params and "limit" in params:
            found.append(module)
    return found


def _models(operation: ModuleType) -> tuple[type, type]:
    """The page model of `operation`'s 2xx answer and the item model of its `data`, read
    from the annotations at run time: what mypy must infer, found independently of it."""
    returned = typing.get_type_hints(operation.sync)["return"]
    (page,) = [
        t
        for t in typing.get_args(returned)
        if isinstance(t, type) and t.__name__ != "ErrorResponse" and t is not type(None)
    ]
    # The models name each other under TYPE_CHECKING: resolve them in the models package.
    hints = typing.get_type_hints(page, localns=vars(vt_refs_api.models))
    (item,) = typing.get_args(hints["data"])
    return page, item


def _every_operation_file() -> str:
    """A module asserting what each helper yields for each paging operation."""
    imports = [_PRELUDE, "from vt_refs_api.models import *  # noqa: F403", ""]
    sync_checks = ["def check(client: AuthenticatedClient) -> None:"]
    async_checks = ["async def acheck(client: AuthenticatedClient) -> None:"]
    for n, operation in enumerate(_paging_operations()):
        page, item = _models(operation)
        imports.append(f"import {operation.__name__} as op{n}")
        path = "".join(
            f", {p.name}='x'"
            for p in inspect.signature(operation._get_kwargs).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD
        )
        for helper, checks, iterator in (
            ("", sync_checks, "Iterator"),
            ("a", async_checks, "AsyncIterator"),
        ):
            for name, model in (("paginate", item), ("iter_pages", page)):
                call = f"vt_refs.{helper}{name}(op{n}, client{path})"
                checks.append(f"    assert_type({call}, {iterator}[{model.__name__}])")
    return "\n".join([*imports, "", "", *sync_checks, "", "", *async_checks, ""])


def _mypy(files: list[Path], cache: Path) -> list[re.Match[str]]:
    """mypy --strict over `files` with the project's configuration; its errors."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--show-error-codes", "--no-error-summary",
         "--no-pretty", "--cache-dir", str(cache), *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    errors = [m for line in done.stdout.splitlines() if (m := _ERROR.match(line))]
    assert done.returncode in (0, 1) and (done.returncode == 0) == (not errors), (
        done.stdout + done.stderr
    )
    return errors


def test_the_readme_quick_start_is_the_typed_copy() -> None:
    quick_start = python_blocks(ROOT / "README.md")[0].source
    assert "vt_refs.related_references" in quick_start, "the first python block is the Quick start"
    copy = (TYPED / "readme_quick_start.py").read_text(encoding="utf-8")
    assert copy == quick_start, "tests/typing/readme_quick_start.py must be README's Quick start"


def test_every_generated_paging_operation_is_found() -> None:
    found = {op.__name__.rpartition(".")[2] for op in _paging_operations()}
    assert {"get_url_related_references", "get_file_related_references_descriptors"} <= found
    assert len(found) >= 10


@pytest.mark.timeout(300)
def test_mypy_infers_the_models_and_refuses_the_negatives(tmp_path: Path) -> None:
    examples = sorted(TYPED.glob("*.py"))
    assert {p.name for p in examples} >= {"readme_quick_start.py", "user_script.py"}
    every = tmp_path / "every_operation.py"
    every.write_text(_every_operation_file(), encoding="utf-8")
    negatives: dict[Path, tuple[int, str, str]] = {}
    for name, (body, code, message) in NEGATIVES.items():
        path = tmp_path / f"negative_{name}.py"
        text = _PRELUDE + "\n\n" + inspect.cleandoc(body) + "\n"
        path.write_text(text, encoding="utf-8")
        negatives[path] = (text.count("\n"), code, message)

    errors = _mypy([*examples, every, *negatives], tmp_path / "mypy-cache")

    by_file: dict[str, list[tuple[int, str, str]]] = {}
    for error in errors:
        key = str((ROOT / error["path"]).resolve())
        by_file.setdefault(key, []).append(
            (int(error["line"]), error["code"] or "", error["message"])
        )
    clean = [*examples, every]
    assert {f: e for f, e in by_file.items() if Path(f) in clean} == {}, "the examples type-check"
    for path, (line, code, message) in negatives.items():
        got = by_file.get(str(path.resolve()), [])
        assert len(got) == 1, f"{path.name}: expected one error, mypy said {got}"
        assert got[0][:2] == (line, code) and message in got[0][2], f"{path.name}: {got}"


def test_a_users_script_that_type_checks_also_runs(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("typed_user_script", TYPED / "user_script.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with FakeVirusTotal() as fake:
        report = script.report(fake.api_key, fake.base_url)
        assert fake.requests, "the script reached the fake"
    assert len(report["titles"]) == 10
    assert report["descriptors"] == 25
    assert report["page"][0] == 5 and isinstance(report["page"][1], str)
    assert report["bulk"] == {
        "example.com": ("ok", 25),
        "192.0.2.1": ("ok", 25),
        "not an ioc": ("invalid", 0),
    }
    assert report["async"] == {"example.com": 3}
    assert report["parsed"] == ["r1"]
