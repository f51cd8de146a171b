"""The sync and async twins of the overlay cannot drift apart: each async one, rewritten
as unasync would write it, is its sync twin.

httpcore keeps its twins in step the same way (its `unasync.py` check in CI): the async
code is the source of truth, and a short, explicit table of substitutions turns it into
the sync code (`async def` -> `def`, `await x` -> `x`, `asyncio.sleep` -> `time.sleep`,
`aclose` -> `close`, ...). Here both twins are hand-written, so the test rewrites the
async one and compares syntax trees (docstrings aside, which may say "the async twin of").

Every `async def` of the overlay is accounted for: it has a twin it must match, or it is
listed below with the reason it differs (`DIFFERENT`) or has no twin (`NO_TWIN`). A new
async method with neither fails, and so does an entry that no longer holds.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

OVERLAY = Path(__file__).resolve().parent.parent / "overlays"
PACKAGE = OVERLAY / "vt_refs"

# unasync's table: async names and their sync twins, as attributes, names or parameters.
NAMES: dict[str, str] = {
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncHTTPTransport": "HTTPTransport",
    "AsyncClient": "Client",
    "handle_async_request": "handle_request",
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "anext": "next",
    "aiter": "iter",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__anext__": "__next__",
    "__aiter__": "__iter__",
    "get_async_httpx_client": "get_httpx_client",
    "_async": "_sync",  # a layer's two transports below it
    "async_pages": "sync_pages",
    "_walk_async": "_walk_sync",
    "_AsyncHTTPClient": "_HTTPClient",
    "await_permit": "wait",
    "akept": "kept",
    "akeep": "keep",
    "astore": "store",
    "abounded": "bounded",
    "_alookup": "_lookup",
    "_apause": "_pause",
    "apaginate": "paginate",
    "apause": "pause",
    "_agranted": "_granted",
    "_apermit": "_permit",
    "aserver_quota": "server_quota",
}
# Calls rewritten whole: `asyncio.sleep(s)` -> `time.sleep(s)`, and the work an async twin
# hands to a worker thread, `asyncio.to_thread(f, *args)` -> `f(*args)`.
SLEEP = ("asyncio", "sleep", "time")
TO_THREAD = ("asyncio", "to_thread")

# Async code that has a twin but differs from it for a reason: pairs the test checks do
# still differ (a pair that matches again leaves this list, so it is checked again).
DIFFERENT: dict[str, str] = {
    "_transport.body:BodyTransport.handle_async_request": "the sync attempt's deadline is "
    "a contextvar its sockets read (network.py); the async one is an anyio cancel scope",
    "_transport.network:Network.handle_async_request": "async connections belong to the "
    "event loop that opened them: the pools are made per loop, on first use",
    "_transport.network:Network.aclose": "closes this loop's pools, then the sync ones",
    "_transport.layer:Layer.aclose": "`async with` closes the sync half below too",
    "_transport.quota.gate:QuotaGate.await_permit": "a store that blocks (SQLite, Redis) "
    "is asked from a worker thread, off the event loop",
    "_transport.stopping:apause": "an event loop cannot block on the stop event: it sleeps "
    "in short steps and looks at the event between them",
    "_transport.cache_guard:abounded": "the store's call runs on a worker thread either way; "
    "the async side awaits its future with a timeout instead of blocking the loop",
    "_bulk.runners:async_results": "the sync runner is worker threads and two queues, the "
    "async one a task per walk",
}
# Async code with no sync twin at all.
NO_TWIN: dict[str, str] = {
    "_transport.body:BodyTransport._read_async": "the async attempt's exchange, run inside "
    "the cancel scope; the sync one reads inline",
    "_transport.network:Network._open_loop": "the pools of a new event loop",
    "_transport.network:_close_at_shutdown": "closes a loop's pools when the loop ends",
    "_paging.pages:async_items": "the sync items are itertools.chain over the pages, in C",
}
# The twins the issue names: these must be among the pairs compared, wherever they live.
REQUIRED = {
    "RetryTransport.handle_async_request",
    "KeyTransport.handle_async_request",
    "KeyTransport.aclose",
    "CacheTransport.handle_async_request",
    "QuotaTransport.handle_async_request",
    "async_pages",
    "_walk_async",
}

Code = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


class Twin(NamedTuple):
    where: str  # module:qualname of the async side
    sync: Code
    async_: Code


class Unasync(ast.NodeTransformer):
    """The async code as its sync twin would be written."""

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        fields = {name: getattr(node, name) for name in node._fields}
        fields["name"] = NAMES.get(node.name, node.name)
        return ast.copy_location(ast.FunctionDef(**fields), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        node.name = NAMES.get(node.name, node.name)
        return node

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.For:
        self.generic_visit(node)
        fields = {name: getattr(node, name) for name in node._fields}
        return ast.copy_location(ast.For(**fields), node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.With:
        self.generic_visit(node)
        fields = {name: getattr(node, name) for name in node._fields}
        return ast.copy_location(ast.With(**fields), node)

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) == TO_THREAD
            and node.args
        ):
            call = ast.Call(func=node.args[0], args=node.args[1:], keywords=node.keywords)
            return self.visit(ast.copy_location(call, node))
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and (node.value.id, node.attr) == SLEEP[:2]:
            node.value = ast.Name(id=SLEEP[2], ctx=ast.Load())
        node.attr = NAMES.get(node.attr, node.attr)
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = NAMES.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        self.generic_visit(node)
        node.arg = NAMES.get(node.arg, node.arg)
        return node

    def visit_alias(self, node: ast.alias) -> ast.alias:
        node.name = NAMES.get(node.name, node.name)
        return node


def _twin_name(name: str, siblings: dict[str, Code]) -> str | None:
    """The name of the sync twin of `name` among `siblings`, if it has one."""
    candidates = [NAMES.get(name, name)]
    if name.startswith("async_"):
        candidates.append("sync_" + name.removeprefix("async_"))
    if name.endswith("_async"):
        candidates.append(name.removesuffix("_async") + "_sync")
    if name.startswith("a"):
        candidates.append(name[1:])
    if "Async" in name:
        candidates.append(name.replace("Async", "", 1))
    return next((c for c in candidates if c != name and c in siblings), None)


def _without_docstrings(node: ast.AST) -> ast.AST:
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if (
            isinstance(child, Code)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            child.body = body[1:] or [ast.Pass()]
    return node


def _scopes(tree: ast.Module) -> Iterator[tuple[str, list[ast.stmt]]]:
    """(qualname prefix, body) of the module and of each class in it, at any depth."""
    yield "", tree.body
    stack: list[tuple[str, ast.ClassDef]] = [
        ("", n) for n in tree.body if isinstance(n, ast.ClassDef)
    ]
    while stack:
        prefix, cls = stack.pop()
        yield f"{prefix}{cls.name}.", cls.body
        stack += [(f"{prefix}{cls.name}.", n) for n in cls.body if isinstance(n, ast.ClassDef)]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _overloads_removed(body: list[ast.stmt]) -> dict[str, Code]:
    """Each name's last definition in `body`: an implementation, not its overloads."""
    found: dict[str, Code] = {}
    for node in body:
        if isinstance(node, Code):
            found[node.name] = node
    return found


def _survey() -> tuple[list[Twin], dict[str, Code]]:
    """The twins to compare, and the async code that found none."""
    twins: list[Twin] = []
    alone: dict[str, Code] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = _module_name(path)
        covered: set[int] = set()  # async code inside an async class already paired
        for prefix, body in _scopes(tree):
            siblings = _overloads_removed(body)
            for name, node in siblings.items():
                if id(node) in covered:
                    continue
                is_async_class = isinstance(node, ast.ClassDef) and "Async" in name
                if not (isinstance(node, ast.AsyncFunctionDef) or is_async_class):
                    continue
                where = f"{module}:{prefix}{name}"
                twin = _twin_name(name, siblings)
                if twin is None:
                    if isinstance(node, ast.AsyncFunctionDef):
                        alone[where] = node
                    continue
                twins.append(Twin(where, siblings[twin], node))
                if isinstance(node, ast.ClassDef):
                    covered |= {id(n) for n in ast.walk(node)}
    return twins, alone


TWINS, ALONE = _survey()


def _as_sync(twin: Twin) -> tuple[str, str]:
    """(the sync twin, the async one rewritten), each as normalised source."""
    sync = _without_docstrings(ast.parse(ast.unparse(twin.sync)).body[0])
    rewritten = _without_docstrings(Unasync().visit(ast.parse(ast.unparse(twin.async_)).body[0]))
    assert isinstance(rewritten, Code)
    rewritten.name = twin.sync.name  # the one difference a table cannot say: its own name
    return ast.unparse(sync), ast.unparse(ast.fix_missing_locations(rewritten))


def _difference(twin: Twin) -> str:
    sync, rewritten = _as_sync(twin)
    if sync == rewritten:
        return ""
    diff = difflib.unified_diff(
        sync.splitlines(), rewritten.splitlines(), "sync twin", "async twin, unasynced", lineterm=""
    )
    return "\n".join(diff)


COMPARED = [t for t in TWINS if t.where not in DIFFERENT]


@pytest.mark.parametrize("twin", COMPARED, ids=[t.where for t in COMPARED])
def test_each_async_twin_unasynced_is_its_sync_twin(twin: Twin) -> None:
    difference = _difference(twin)
    assert not difference, (
        f"{twin.where} and its sync twin {twin.sync.name} have drifted apart: change both, "
        f"or add the substitution to NAMES, or list it in DIFFERENT with the reason\n"
        f"{difference}"
    )


@pytest.mark.parametrize("where", sorted(DIFFERENT))
def test_twins_listed_as_different_still_are(where: str) -> None:
    twin = next((t for t in TWINS if t.where == where), None)
    assert twin is not None, f"{where} is in DIFFERENT but has no twin (or is gone)"
    assert _difference(twin), f"{where} matches its twin again: take it out of DIFFERENT"


def test_every_async_function_has_a_twin_or_a_reason() -> None:
    unexplained = sorted(set(ALONE) - set(NO_TWIN))
    assert unexplained == [], (
        f"async code with no sync twin and no reason in NO_TWIN: {unexplained} (a twin is "
        "found by name: NAMES, async_x/sync_x, x_async/x_sync, ax/x, AsyncX/X)"
    )
    stale = sorted(set(NO_TWIN) - set(ALONE))
    assert stale == [], f"NO_TWIN entries that are gone or found a twin: {stale}"


def test_the_twins_the_issue_names_are_compared() -> None:
    compared = {t.where.partition(":")[2] for t in COMPARED}
    assert sorted(REQUIRED - compared) == []


def test_editing_one_twin_only_fails() -> None:
    """The comparison sees a change to either side: each compared pair, with one statement
    of its sync twin dropped or a constant of it changed, no longer matches. (Docstrings
    are not compared, so the constant changed is never one.)"""
    assert COMPARED
    for twin in COMPARED:
        edited = _without_docstrings(ast.parse(ast.unparse(twin.sync)).body[0])
        assert isinstance(edited, Code)
        constants = [n for n in ast.walk(edited) if isinstance(n, ast.Constant)]
        statements = [n for n in edited.body if not isinstance(n, ast.Expr)]
        if constants:
            constants[-1].value = "edited"
        else:
            edited.body.remove(statements[-1])
            edited.body = edited.body or [ast.Pass()]
        assert _difference(twin._replace(sync=edited)), twin.where


def test_the_rewrite_applies_the_table() -> None:
    source = '''
async def fetch_async(self, items: AsyncIterator[int]) -> None:
    """Docstring."""
    async with self._async as stream:
        async for item in items:
            await asyncio.sleep(1)
            value = await asyncio.to_thread(self._lookup, item, key=2)
            await self._async.handle_async_request(value)
            await anext(items)
    await stream.aclose()
'''
    expected = """
def fetch_sync(self, items: Iterator[int]) -> None:
    with self._sync as stream:
        for item in items:
            time.sleep(1)
            value = self._lookup(item, key=2)
            self._sync.handle_request(value)
            next(items)
    stream.close()
"""
    node = ast.parse(source).body[0]
    twin = Twin("m:fetch_async", ast.parse(expected).body[0], node)  # type: ignore[arg-type]
    assert _difference(twin) == ""
