"""The architecture as a test: the overlay's layers, faces and sizes, read from its imports.

Every module of `overlays/vt_refs` is parsed (not imported) and each import, at module
level, in a function or under TYPE_CHECKING, is resolved to the module it names. Then:
- a family (a top-level module or package of vt_refs) imports only families ranked below
  it: the core never imports bulk, the CLI or the fake, and nothing imports upward;
- no module takes part in an import cycle;
- nothing outside a package imports a private name (a leading underscore) from inside
  it, nor a private module of it: each package's `__init__` is its face;
- no module is longer than 400 lines.
docs/development.md draws the same layers.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

OVERLAY = Path(__file__).resolve().parent.parent / "overlays"
ROOT_PACKAGE = "vt_refs"
MAX_LINES = 400

# Families, bottom first. A family may import families of a lower rank only; two families
# of one rank stand beside each other and import neither. A new family gets a rank here
# (and a line in docs/development.md): an unranked one fails the test.
RANKS: dict[str, int] = {
    "_errors": 0,
    "_env": 0,
    "_formats": 0,  # text rules (JSON escaping, UTC dates) every output shares
    "_checks": 1,
    "_ids": 1,
    "_spec": 1,  # openapi.yaml, packaged, for what the generated code drops (maxima)
    "_parsing": 2,
    "_transport": 3,
    "_client": 4,
    "_paging": 5,
    "_quotas": 5,  # server_quota: the server's view of a user's quota
    # Above the core: what is built on the helpers, and the fake beside them.
    "_bulk": 6,
    "testing": 6,
    "_reports": 7,  # Report, reports, report_iocs, pivot: over bulk's classify
    "_watch": 7,  # what is new since the last look (a state file), over bulk's engine
    "export": 8,  # the formats (jsonl, csv, STIX, MISP, DataFrame), over bulk's results
    "_cli": 9,
    "cli": 10,
    "__init__": 11,  # vt_refs itself: the public face over everything
}
CORE = frozenset({"_errors", "_env", "_formats", "_checks", "_ids", "_spec", "_parsing",
                  "_transport", "_client", "_paging", "_quotas"})  # fmt: skip
ABOVE_THE_CORE = frozenset({"_bulk", "_cli", "testing", "export", "_watch", "_reports"})


class Module(NamedTuple):
    name: str  # dotted, e.g. vt_refs._transport.retry
    path: Path
    is_package: bool


class Import(NamedTuple):
    importer: Module
    target: str  # the module imported (or imported from)
    names: tuple[str, ...]  # names taken from it (empty for `import x`)
    line: int


def _modules() -> dict[str, Module]:
    found = {}
    for path in sorted((OVERLAY / ROOT_PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(OVERLAY).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        found[name] = Module(name, path, is_package)
    return found


MODULES = _modules()


def _resolve(module: Module, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports(module: Module) -> Iterator[Import]:
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == ROOT_PACKAGE:
                    yield Import(module, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node.level, node.module)
            if target.split(".")[0] != ROOT_PACKAGE:
                continue
            names = tuple(alias.name for alias in node.names)
            plain = tuple(n for n in names if f"{target}.{n}" not in MODULES)
            if plain:
                yield Import(module, target, plain, node.lineno)
            for name in names:  # `from . import drift`: the submodule itself
                if f"{target}.{name}" in MODULES:
                    yield Import(module, f"{target}.{name}", (), node.lineno)


IMPORTS = [found for module in MODULES.values() for found in _imports(module)]


def _family(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _where(found: Import) -> str:
    return f"{found.importer.path.relative_to(OVERLAY)}:{found.line}"


def _package_of(name: str) -> str:
    module = MODULES[name]
    return name if module.is_package else name.rpartition(".")[0]


def test_every_import_names_a_module_of_the_overlay() -> None:
    unknown = [f"{_where(i)} {i.target}" for i in IMPORTS if i.target not in MODULES]
    assert not unknown, unknown


def test_every_family_has_a_rank() -> None:
    families = {_family(name) for name in MODULES}
    assert families <= set(RANKS), sorted(families - set(RANKS))


def test_the_core_imports_nothing_above_it() -> None:
    wrong = [
        f"{_where(i)}: {i.importer.name} imports {i.target}"
        for i in IMPORTS
        if _family(i.importer.name) in CORE and _family(i.target) in ABOVE_THE_CORE
    ]
    assert not wrong, wrong


def test_no_family_imports_one_above_or_beside_it() -> None:
    wrong = []
    for found in IMPORTS:
        mine, theirs = _family(found.importer.name), _family(found.target)
        if mine != theirs and RANKS.get(theirs, 99) >= RANKS.get(mine, -1):
            wrong.append(f"{_where(found)}: {mine} (rank {RANKS.get(mine)}) imports {theirs} "
                         f"(rank {RANKS.get(theirs)})")  # fmt: skip
    assert not wrong, wrong


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for found in IMPORTS:
        if found.target in MODULES and found.target != found.importer.name:
            edges.setdefault(found.importer.name, set()).add(found.target)
    assert not _cycles(edges)


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _entered(importer: str, target: str) -> tuple[str, list[str]] | None:
    """The package `target` lies in that `importer` is not inside of, and the path of
    `target` inside it; None when `target` is in one of importer's own packages."""
    own = _package_of(importer)
    parts = target.split(".")
    for depth in range(2, len(parts) + 1):
        candidate = ".".join(parts[:depth])
        module = MODULES.get(candidate)
        if module is None or not module.is_package:
            continue
        if own == candidate or own.startswith(candidate + "."):
            continue  # a package the importer is in
        return candidate, parts[depth:]
    return None


def test_nothing_outside_a_package_takes_its_private_names() -> None:
    wrong = []
    for found in IMPORTS:
        entered = _entered(found.importer.name, found.target)
        if entered is None:
            continue
        package, inside = entered
        private = [p for p in inside if p.startswith("_")]
        private += [n for n in found.names if n.startswith("_")]
        if private:
            wrong.append(f"{_where(found)}: {found.importer.name} takes {private} from {package}")
    assert not wrong, wrong


def test_the_face_rule_tells_inside_from_outside() -> None:
    name = next(n for n, m in MODULES.items() if n.startswith("vt_refs._transport."))
    assert _entered("vt_refs._bulk", name) is not None
    assert _entered("vt_refs._transport", name) is None
    assert _entered("vt_refs._client", "vt_refs._errors") is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_past_400_lines(name: str) -> None:
    lines = len(MODULES[name].path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name}: {lines} lines; split it by job"


def _requirement_name(requirement: str) -> str:
    name = re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_library_the_overlay_imports_is_declared() -> None:
    """A module the overlay imports that only arrives as another's dependency (httpcore,
    through httpx) breaks the day that dependency stops needing it: each is declared in
    pyproject.toml, in `dependencies` or in an extra of the package (not `dev`)."""
    project = tomllib.loads((OVERLAY.parent / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra != "dev":
            declared |= {_requirement_name(r) for r in requirements}
    distributions = importlib.metadata.packages_distributions()
    undeclared = []
    for module in MODULES.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.partition(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.partition(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in (ROOT_PACKAGE, "vt_refs_api"):
                    continue
                names = {_requirement_name(d) for d in distributions.get(top, [top])}
                if not names & declared:
                    undeclared.append(f"{module.path.relative_to(OVERLAY)}:{node.lineno} {top}")
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


# Classes known by their names: `is_fatal` once asked `cls.__name__ == "QuotaExhaustedError"`
# over the MRO, which any class of that name passes and a renamed one fails. Each entry is
# a place still doing it, and why.
NAMED_CLASSES_ALLOWED: dict[str, str] = {
    "vt_refs/_parsing/compiler.py": "the (model, field) pairs whose drift is never drift "
    "(CollectionMeta.cursor): to be derived from the page model by issue 17's catalog",
}
_NAME_ATTRIBUTES = frozenset({"__name__", "__qualname__"})


def _compares_a_class_name(node: ast.Compare) -> bool:
    def names_a_class(side: ast.expr) -> bool:
        if isinstance(side, ast.Tuple):
            return any(names_a_class(e) for e in side.elts)
        if isinstance(side, ast.Call) and getattr(side.func, "id", None) == "getattr":
            return any(isinstance(a, ast.Constant) and a.value in _NAME_ATTRIBUTES
                       for a in side.args)  # fmt: skip
        return isinstance(side, ast.Attribute) and side.attr in _NAME_ATTRIBUTES

    return any(names_a_class(side) for side in (node.left, *node.comparators))


def test_no_class_is_known_by_its_name() -> None:
    """isinstance and issubclass, never `__name__` comparisons or `__mro__` scans."""
    found = []
    for module in MODULES.values():
        where = str(module.path.relative_to(OVERLAY))
        tree = ast.parse(module.path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            by_name = isinstance(node, ast.Compare) and _compares_a_class_name(node)
            by_mro = isinstance(node, ast.Attribute) and node.attr == "__mro__"
            if (by_name or by_mro) and where not in NAMED_CLASSES_ALLOWED:
                found.append(f"{where}:{getattr(node, 'lineno', '?')}")
    assert not found, f"classes compared by name (use isinstance/issubclass): {found}"
    for where in NAMED_CLASSES_ALLOWED:
        assert (OVERLAY / where).exists(), f"{where} is gone: drop it from the allow-list"


def test_the_class_name_check_finds_each_form() -> None:
    for source in (
        'type(e).__name__ == "X"',
        '"X" != cls.__qualname__',
        "(cls.__name__, key) in PAIRS",
        'getattr(tp, "__name__", "") == "Unset"',
    ):
        node = ast.parse(source, mode="eval").body
        assert isinstance(node, ast.Compare) and _compares_a_class_name(node), source
    node = ast.parse('__name__ == "__main__"', mode="eval").body
    assert isinstance(node, ast.Compare) and not _compares_a_class_name(node)
