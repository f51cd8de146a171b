"""Build the documentation site (`make docs`): the API reference and the guides, offline.

pdoc reads the docstrings and type hints of `vt_refs`, `vt_refs.testing` and the generated
`vt_refs_api`; README.md and docs/*.md are rendered by the same pdoc templates as pages of
their own (a module object holding the Markdown as its docstring), so the guides share the
reference's navigation and search, and a name in backticks such as `vt_refs.paginate` links
to its reference entry wherever it appears.

The build fails (exit status 1) on any warning: one of pdoc's (a module that does not import,
an annotation that does not resolve, an `__all__` entry that does not exist), a link inside
the site that leads nowhere, a `vt_refs...` name in backticks that names nothing documented,
or a resource the pages would fetch from the network.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import sys
import time
import types
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pdoc.doc
import pdoc.extract
import pdoc.render

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TEMPLATES = Path(__file__).resolve().parent / "docs_templates"
# The reference: every public module under these, submodules included.
PACKAGES = (
    "vt_refs",
    "vt_refs.export",
    "vt_refs.testing",
    "vt_refs_api",
    "vt_refs_api.api",
    "vt_refs_api.models",
    "vt_refs_api.types",
    "vt_refs_api.errors",
    "vt_refs_api.client",
)
# Never part of the reference: the CLI's entry point is documented by `vt-refs --help`
# and docs/cli.md; its module holds only `main`.
EXCLUDED = re.compile(r"vt_refs\.cli$|vt_refs\.testing\.__main__$")
# Names of our packages in backticks that should link to the reference.
_OUR_NAME = re.compile(r"(?:vt_refs|vt_refs_api)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# A link to a Markdown file of the repository: [text](docs/x.md#anchor).
_MD_LINK = re.compile(r"\]\((?P<target>[^)\s#]+\.md)(?P<anchor>#[^)\s]*)?\)")


class DocsBuildError(Exception):
    """The site was built, but something in it is wrong; the message lists every problem."""


@dataclass(frozen=True)
class Guide:
    """A Markdown file rendered as a page: README.md as index.html, docs/x.md as docs/x.html."""

    source: Path
    modulename: str  # what pdoc calls the page; its dots are the output path's folders
    title: str

    @property
    def output(self) -> str:
        return self.modulename.replace(".", "/") + ".html"


def guides() -> list[Guide]:
    """README.md and docs/*.md, in the order README.md's Guides section lists them (the
    rest after)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = readme.partition("\n## Guides\n")[2].partition("\n## ")[0] or readme
    linked = [(ROOT / m["target"]).resolve() for m in _MD_LINK.finditer(readme)]
    order = {path: i for i, path in reversed(list(enumerate(linked)))}
    files = sorted(DOCS.glob("*.md"), key=lambda p: (order.get(p.resolve(), len(order)), p.stem))
    found = [Guide(ROOT / "README.md", "index", "vt-refs")]
    for path in files:
        found.append(Guide(path, f"docs.{path.stem}", _title(path.read_text(encoding="utf-8"))))
    return found


def _title(markdown: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise DocsBuildError("a guide must start with a '# Title' line")


def _rewrite_links(markdown: str, guide: Guide, by_source: dict[Path, Guide]) -> str:
    """Links to the repository's Markdown files, pointed at their pages in the site.

    A link to a .md file that is not a page is left as it is, and the link check reports it.
    """

    def replace(match: re.Match[str]) -> str:
        target = (guide.source.parent / match["target"]).resolve()
        page = by_source.get(target)
        if page is None:
            return match[0]
        here = posixpath.dirname(guide.output) or "."
        return f"]({posixpath.relpath(page.output, here)}{match['anchor'] or ''})"

    return _MD_LINK.sub(replace, markdown)


def _guide_module(guide: Guide, by_source: dict[Path, Guide]) -> types.ModuleType:
    module = types.ModuleType(guide.modulename)
    text = guide.source.read_text(encoding="utf-8")
    module.__doc__ = _rewrite_links(text, guide, by_source)
    module.__dict__["__docformat__"] = "markdown"
    return module


def _resolve_lazy_names() -> None:
    """Load what `vt_refs` exports lazily, so pdoc sees every name of `__all__` as a user would."""
    import vt_refs

    for name in vt_refs.__all__:
        getattr(vt_refs, name)


def _fill_variable_docstrings(module: pdoc.doc.Module) -> None:
    """Give a re-exported constant the docstring it has where it is defined.

    pdoc reads a variable's docstring (the string literal after its assignment) only in the
    module that documents it; `vt_refs` re-exports its constants from private modules.
    """
    package = module.obj.__name__
    for member in module.members.values():
        if not isinstance(member, pdoc.doc.Variable) or member.docstring:
            continue
        value = module.obj.__dict__.get(member.name)
        for name, candidate in list(sys.modules.items()):
            if not name.startswith(package + "._") or candidate is None:
                continue
            if candidate.__dict__.get(member.name) is not value:
                continue
            docstring = pdoc.doc.Module(candidate)._var_docstrings.get(member.name)
            if docstring:
                member.docstring = docstring
                break


def reference_modules() -> dict[str, pdoc.doc.Module]:
    """pdoc's view of every module the reference documents, by name."""
    _resolve_lazy_names()
    modules: dict[str, pdoc.doc.Module] = {}
    for name in pdoc.extract.walk_specs(list(PACKAGES)):
        if EXCLUDED.match(name):
            continue
        module = pdoc.doc.Module.from_name(name)
        _fill_variable_docstrings(module)
        modules[name] = module
    return modules


def _configure(pages: list[Guide]) -> None:
    pdoc.render.configure(
        docformat="google",  # the generated client's docstrings use Args:/Returns:/Raises:
        footer_text="vt-refs",
        math=False,  # both would load scripts from a CDN
        mermaid=False,
        search=True,
        show_source=True,
        template_directory=TEMPLATES,
    )
    pdoc.render.env.globals["guides"] = {g.modulename: g for g in pages}
    pdoc.render.env.globals["reference"] = PACKAGES


def build(output: Path) -> list[str]:
    """Write the site into `output` (emptied first); returns every problem found."""
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = guides()
        _configure(pages)
        by_source = {g.source.resolve(): g for g in pages}
        modules = reference_modules()
        for guide in pages:
            modules[guide.modulename] = pdoc.doc.Module(_guide_module(guide, by_source))
        if output.exists():
            shutil.rmtree(output)
        for name, module in modules.items():
            target = output / (name.replace(".", "/") + ".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(pdoc.render.html_module(module, modules), encoding="utf-8")
        search = pdoc.render.search_index(modules)
        if search:
            (output / "search.js").write_text(search, encoding="utf-8")
    problems += [f"pdoc: {w.category.__name__}: {w.message}" for w in caught]
    problems += check_site(output)
    return problems


@dataclass
class _Page(HTMLParser):
    """What the link check needs of one page: its ids, its links, its unlinked names."""

    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)
    _in_link: int = 0
    _code: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a":
            self._in_link += 1
            self._code = None  # a code span holding a link is linked
            if "href" in values:
                self.links.append(values["href"])
        elif tag == "code" and not self._in_link:
            self._code = []
        if tag in {"script", "img", "iframe", "source"} and "src" in values:
            self.fetched.append(values["src"])
        if tag == "link" and "href" in values:
            self.fetched.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_link = max(0, self._in_link - 1)
        elif tag == "code" and self._code is not None:
            text = "".join(self._code).strip().removesuffix("()")
            if _OUR_NAME.fullmatch(text):
                self.unlinked.append(text)
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def check_site(output: Path) -> list[str]:
    """Every internal link resolves (file and anchor); nothing is fetched from the network;
    every `vt_refs...` name in backticks links to the reference."""
    pages = {p.relative_to(output).as_posix(): _parse(p) for p in sorted(output.rglob("*.html"))}
    problems: list[str] = []
    if "index.html" not in pages:
        problems.append("site: no index.html")
    for name, page in pages.items():
        for href in page.links:
            problem = _broken(name, href, pages, output)
            if problem:
                problems.append(f"{name}: broken link {href!r}: {problem}")
        for src in page.fetched:
            if urlsplit(src).scheme in {"http", "https"} or src.startswith("//"):
                problems.append(f"{name}: fetches {src!r} from the network")
        for text in page.unlinked:
            problems.append(f"{name}: `{text}` names nothing in the reference")
    return problems


def _broken(name: str, href: str, pages: dict[str, _Page], output: Path) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None if parts.scheme in {"http", "https", "mailto"} else "unexpected scheme"
    if not parts.path:
        target = name
    else:
        resolved = (output / name).parent / unquote(parts.path)
        try:
            target = resolved.resolve().relative_to(output.resolve()).as_posix()
        except ValueError:
            return "leads outside the site"
        if target not in pages:
            return None if (output / target).is_file() else "no such page"
    if parts.fragment and unquote(parts.fragment) not in pages[target].ids:
        return f"no anchor #{parts.fragment} in {target}"
    return None


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "site", help="default: site/")
    args = parser.parse_args(list(argv) if argv is not None else None)
    started = time.perf_counter()
    problems = build(args.output)
    for problem in problems:
        print(f"make docs: {problem}", file=sys.stderr)
    if problems:
        print(f"make docs: {len(problems)} problem(s); the site is not usable", file=sys.stderr)
        return 1
    count = sum(1 for _ in _html_files(args.output))
    took = time.perf_counter() - started
    print(f"make docs: {count} pages in {args.output}/ ({took:.1f} s)")
    return 0


def _html_files(output: Path) -> Iterator[Path]:
    return output.rglob("*.html")


if __name__ == "__main__":
    sys.exit(main())
