"""The documentation site that `make docs` builds: complete, linked, offline.

The site is built once per run, by the same command `make docs` runs, into a temporary
folder; the pages are then read back with BeautifulSoup. The checks are driven by `__all__`,
so a public name added later is covered without touching this file.
"""

from __future__ import annotations

import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

import vt_refs
import vt_refs.export
import vt_refs.testing
import vt_refs_api
import vt_refs_api.api
import vt_refs_api.models

from support.paths import ROOT

# One worker runs this module (`--dist loadgroup`), so the site is built once per run.
pytestmark = pytest.mark.xdist_group("docs-site")

BUILD_SCRIPT = ROOT / "tools" / "build_docs.py"

# Each public module, the page that documents it.
PAGES = {
    vt_refs: "vt_refs.html",
    vt_refs.export: "vt_refs/export.html",
    vt_refs.testing: "vt_refs/testing.html",
    vt_refs_api: "vt_refs_api.html",
    vt_refs_api.models: "vt_refs_api/models.html",
}


def _load_build_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_docs", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build_docs = _load_build_docs()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as `make docs` builds it; the build itself must report nothing."""
    output = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return output


def _soup(site: Path, page: str) -> BeautifulSoup:
    path = site / page
    assert path.is_file(), f"no page {page}"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _operation_modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(vt_refs_api.api.__path__, "vt_refs_api.api."):
        if not info.ispkg:
            yield importlib.import_module(info.name)


def _public_functions(module: ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
        if not name.startswith("_")
    ]


def test_the_index_and_every_guide_are_pages(site: Path) -> None:
    index = _soup(site, "index.html")
    assert index.find("h1") is not None
    for guide in sorted((ROOT / "docs").glob("*.md")):
        page = _soup(site, f"docs/{guide.stem}.html")
        title = guide.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")
        assert page.find("h1", string=title) is not None, guide.name
        # Every page leads to every guide and to the reference.
        hrefs = {a["href"] for a in page.select("nav a[href]")}
        assert "../vt_refs.html" in hrefs and "../index.html" in hrefs


def test_the_readme_lists_every_guide_and_the_navigation_follows_it(site: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.partition("\n## Guides\n")[2].partition("\n## ")[0]
    listed = re.findall(r"\]\(docs/([\w.-]+)\.md\)", section)
    guides = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert sorted(listed) == guides, "README's Guides section lists each guide once"
    navigation = _soup(site, "index.html").select("nav ul")[0].select("a[href]")
    assert [a["href"] for a in navigation] == [f"docs/{stem}.html" for stem in listed]


@pytest.mark.parametrize("module", list(PAGES), ids=lambda m: m.__name__)
def test_every_public_name_has_its_anchor(site: Path, module: ModuleType) -> None:
    page = _soup(site, PAGES[module])
    missing = [name for name in module.__all__ if page.find(id=name) is None]
    assert missing == [], f"{PAGES[module]} lacks {missing}"


def test_every_generated_operation_has_its_page(site: Path) -> None:
    operations = list(_operation_modules())
    assert len(operations) >= 6
    for operation in operations:
        page = _soup(site, operation.__name__.replace(".", "/") + ".html")
        functions = _public_functions(operation)
        assert {"sync", "asyncio"} <= set(functions)
        assert [f for f in functions if page.find(id=f) is None] == [], operation.__name__


def _documented_parameters(section: Tag, name: str) -> list[str]:
    """The parameter names of the signature pdoc shows for `name` in `section`."""
    text = " ".join(div.get_text() for div in section.select("div.attr"))
    start = text.index(f"{name}(") + len(name) + 1
    depth, end = 1, start
    while depth:
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        end += 1
    params, depth, current = [], 0, ""
    for char in text[start : end - 1] + ",":
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            params.append(current.strip())
            current = ""
        else:
            current += char
    names = [p.split(":")[0].split("=")[0].strip().lstrip("*") for p in params]
    return [n for n in names if n and n != "/"]


def _signature_owner(obj: Any) -> Any:
    return obj.__init__ if inspect.isclass(obj) else obj


@pytest.mark.parametrize("name", ["connect", "paginate", "MalformedResponseError"])
def test_the_main_names_are_documented_with_their_signatures(site: Path, name: str) -> None:
    obj = getattr(vt_refs, name)
    page = _soup(site, "vt_refs.html")
    # A class's signature is its constructor's, documented in its own block.
    section = page.find(id=f"{name}.__init__" if inspect.isclass(obj) else name)
    assert isinstance(section, Tag)
    expected = [p.name for p in inspect.signature(_signature_owner(obj)).parameters.values()]
    if inspect.isclass(obj):
        expected.remove("self")
    assert expected and _documented_parameters(section, name) == expected
    shown = page.find("section", id=name)
    assert isinstance(shown, Tag) and shown.select_one("div.docstring"), f"{name}: no docstring"


def test_every_public_function_shows_its_signature(site: Path) -> None:
    page = _soup(site, "vt_refs.html")
    for name in vt_refs.__all__:
        obj = getattr(vt_refs, name)
        if not inspect.isfunction(obj):
            continue
        section = page.find("section", id=name)
        assert isinstance(section, Tag), name
        expected = list(inspect.signature(obj).parameters)
        assert _documented_parameters(section, name) == expected, name


def test_the_overlay_links_to_the_generated_models_it_returns(site: Path) -> None:
    section = _soup(site, "vt_refs.html").find("section", id="related_references")
    assert isinstance(section, Tag)
    links = {a["href"] for a in section.select("div.attr a[href]")}
    assert "vt_refs_api/models.html#Reference" in links
    models = _soup(site, "vt_refs_api/models.html")
    assert models.find(id="Reference") is not None


def test_the_guides_link_names_to_the_reference(site: Path) -> None:
    page = _soup(site, "docs/pagination.html")
    hrefs = {a["href"] for a in page.select("main a[href]")}
    assert "../vt_refs.html#paginate" in hrefs
    assert "../vt_refs.html#iter_pages" in hrefs
    # Links between guides point at pages, not at the Markdown files.
    assert "key-safety.html" in hrefs
    assert not [h for h in hrefs if h.endswith(".md") or ".md#" in h]


def test_no_internal_link_is_broken_and_nothing_is_fetched(site: Path) -> None:
    assert build_docs.check_site(site) == []
    hrefs = re.findall(r'href="([^"]*)"', _soup(site, "vt_refs.html").decode())
    assert len([h for h in hrefs if "://" not in h]) > 100  # the check had something to check


def _own_doc(obj: object) -> str:
    if inspect.isclass(obj):
        return str(vars(obj).get("__doc__") or "")
    return str(getattr(obj, "__doc__", "") or "")


def test_every_public_name_has_a_docstring() -> None:
    documented = build_docs.reference_modules()
    missing: list[str] = []
    for module in (vt_refs, vt_refs.export, vt_refs.testing):
        pdoc_module = documented[module.__name__]
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isroutine(obj):
                if not _own_doc(obj).strip():
                    missing.append(f"{module.__name__}.{name}")
            elif not pdoc_module.members[name].docstring.strip():
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj):
                missing += _undocumented_members(obj, f"{module.__name__}.{name}")
    assert missing == [], f"public names without a docstring: {missing}"


def _undocumented_members(cls: type, where: str) -> list[str]:
    missing = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        target = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if (isinstance(value, property) or inspect.isroutine(target)) and not _own_doc(target):
            missing.append(f"{where}.{name}")
    return missing


def _args_section(docstring: str) -> list[str] | None:
    """The names a Google-style `Args:` section describes, or None without one."""
    lines = inspect.cleandoc(docstring).splitlines()
    if "Args:" not in lines:
        return None
    names = []
    for line in lines[lines.index("Args:") + 1 :]:
        if line and not line.startswith(" "):
            break  # the next section
        match = re.match(r"    (\*{0,2}\w+)( \(.*\))?:", line)
        if match:
            names.append(match[1].lstrip("*"))
    return names


def test_an_args_section_describes_every_parameter_in_order() -> None:
    described = 0
    for module in (vt_refs, vt_refs.export, vt_refs.testing):
        for name in module.__all__:
            obj = getattr(module, name)
            function = obj.__init__ if inspect.isclass(obj) else obj
            if not inspect.isroutine(function):
                continue
            names = _args_section(_own_doc(obj) if inspect.isclass(obj) else _own_doc(function))
            if names is None:
                continue
            described += 1
            expected = [p for p in inspect.signature(function).parameters if p != "self"]
            assert names == expected, f"{module.__name__}.{name}: Args: does not match"
    assert described >= 1  # connect() has one


# The checks themselves must be able to fail.


def _write(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body>{html}</body></html>", encoding="utf-8")


def test_the_site_check_finds_every_kind_of_problem(tmp_path: Path) -> None:
    _write(tmp_path / "index.html", '<h1 id="top">x</h1><a href="docs/a.html#top">ok</a>')
    _write(
        tmp_path / "docs" / "a.html",
        '<h1 id="top">a</h1>'
        '<a href="../index.html#top">fine</a> <a href="https://example.com/">external</a>'
        '<a href="missing.html">1</a> <a href="../index.html#gone">2</a>'
        '<a href="#nowhere">3</a> <a href="../../outside.html">4</a>'
        '<script src="https://cdn.example/x.js"></script>'
        "<code>vt_refs.no_such_name</code> <code><a href='#top'>vt_refs.linked</a></code>",
    )
    problems = build_docs.check_site(tmp_path)
    assert len(problems) == 6, problems
    text = "\n".join(problems)
    for expected in (
        "'missing.html': no such page",
        "'../index.html#gone': no anchor #gone in index.html",
        "'#nowhere': no anchor #nowhere in docs/a.html",
        "'../../outside.html': leads outside the site",
        "fetches 'https://cdn.example/x.js' from the network",
        "`vt_refs.no_such_name` names nothing in the reference",
    ):
        assert expected in text


def test_a_warning_or_a_broken_guide_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for guide in (ROOT / "docs").glob("*.md"):
        (docs / guide.name).write_text(guide.read_text(encoding="utf-8"), encoding="utf-8")
    (docs / "broken.md").write_text(
        "# Broken\n\nSee [nothing](nothing.md) and `vt_refs.not_a_name`.\n", encoding="utf-8"
    )
    monkeypatch.setattr(build_docs, "DOCS", docs)
    # vt_refs alone (2 s, not 12): enough for the names the broken guide uses.
    monkeypatch.setattr(build_docs, "PACKAGES", ("vt_refs", "vt_refs_no_such_module"))
    problems = build_docs.build(tmp_path / "site")
    text = "\n".join(problems)
    assert "pdoc: " in text and "vt_refs_no_such_module" in text
    assert "docs/broken.html: broken link 'nothing.md': no such page" in text
    assert "docs/broken.html: `vt_refs.not_a_name` names nothing in the reference" in text
    assert build_docs.main(["--output", str(tmp_path / "again")]) == 1
