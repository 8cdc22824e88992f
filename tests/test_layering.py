"""Architecture rules that are cheap to check mechanically."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dashboard", "feeds", "layouts", "callbacks")


def _python_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _calls(path: Path, attribute: str) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute]


def test_only_actions_announce():
    """Messages are announced only by the actions layer, after its commit."""
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in _python_files()
                 if "actions" not in p.parts for line in _calls(p, "announce")]
    assert offenders == []


def test_domain_is_pure():
    """dashboard/domain imports no I/O layer (store, web, sockets, database)."""
    forbidden = ("sqlalchemy", "sqlmodel", "flask", "dash", "socketio", "redis", "requests", "dashboard.store",
                 "dashboard.actions")
    offenders = []
    for path in (ROOT / "dashboard" / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names
                          if any(n == f or n.startswith(f + ".") for f in forbidden)]
    assert offenders == []




def test_no_module_imports_another_modules_private_name():
    """A leading underscore means "only this module uses it": another module that
    needs the name needs it made public (or moved where both can reach it)."""
    found = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in PACKAGES:
                found |= {f"{path.relative_to(ROOT).as_posix()}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")}
    assert sorted(found) == []


# --- import circles -----------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(name: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its file (function-level imports too):
    `from package import module` counts as importing the module, else the package."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found |= {sub} if sub in modules else {base} if base in modules else set()
    return found - {name}


def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in _python_files()}
    return {name: _imported(name, path, set(paths)) for name, path in paths.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_circles_are_found():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    """No module imports itself back through others, not even inside a function: each layer
    can be read, tested and moved on its own, and nothing depends on import order."""
    assert _circles(_import_graph()) == []


# --- who writes -------------------------------------------------------------------------------------------

# Modules outside dashboard/actions that write, and why. Nothing else may.
OUTSIDE_ACTIONS = {
    "dashboard/store/db.py": "init-db: creates the schema, seeds the seq counter and the unit tree",
    "dashboard/store/departments.py": "init-db: seeds the department list",
    "dashboard/demo/history.py": "demo mode's first run: generated history written in bulk, before anyone watches",
}
# Store modules whose functions write into the caller's transaction, for the actions only.
STORE_WRITE_HELPERS = {"dashboard/store/audit.py", "dashboard/store/bulk.py", "dashboard/store/rollups.py",
                       "dashboard/store/seq.py"}
_WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _writes(node: ast.AST, builders: set[str]) -> list[tuple[int, str]]:
    """The writes in `node`: a commit, session.add/add_all/delete/merge, a SQLAlchemy
    insert()/update()/delete() (`builders`: their names in this file), text("INSERT|UPDATE|DELETE ..."),
    driver SQL in an f-string f"INSERT|UPDATE|DELETE ..."."""
    found = []
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        f = call.func
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else \
            f.value.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) else ""
        if isinstance(f, ast.Attribute) and (f.attr == "commit" or (
                f.attr in ("add", "add_all", "delete", "merge") and "session" in owner.lower())):
            found.append((call.lineno, f.attr))
        elif isinstance(f, ast.Name) and (f.id in builders or (
                f.id == "text" and call.args and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[0].value, str) and _WRITE_SQL.match(call.args[0].value))):
            found.append((call.lineno, f.id))
    for string in (n for n in ast.walk(node) if isinstance(n, ast.JoinedStr)):  # driver SQL built in an f-string
        head = string.values[0] if string.values else None
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and _WRITE_SQL.match(head.value):
            found.append((string.lineno, "sql"))
    return found


def _sql_builders(tree: ast.AST) -> set[str]:
    return {a.asname or a.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("sqlalchemy", "sqlmodel")
            for a in node.names if a.name in ("insert", "update", "delete")}


def _writers() -> dict[str, dict[str, list[tuple[int, str]]]]:
    """file -> top-level function or class -> its writes, for every file outside dashboard/actions that writes."""
    out = {}
    for path in _python_files():
        if path.is_relative_to(ROOT / "dashboard" / "actions"):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        builders = _sql_builders(tree)
        per = {node.name: w for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               if (w := _writes(node, builders))}
        if per:
            out[str(path.relative_to(ROOT))] = per
    return out


def test_writes_are_found():
    tree = ast.parse("from sqlalchemy import insert as ins\n"
                     "def f(session, t):\n    session.add(1); seen.add(2); ins(t)\n    session.commit()\n"
                     "def g(conn):\n    conn.execute(text('UPDATE x SET y = 1')); conn.execute(text('SELECT 1'))\n"
                     "def h(conn, t):\n    conn.exec_driver_sql(f'INSERT INTO {t} VALUES (1)'); f'SELECT {t}'\n")
    assert _writes(tree, _sql_builders(tree)) == [(3, "add"), (3, "ins"), (4, "commit"), (6, "text"), (8, "sql")]


def test_only_actions_write():
    """State changes go through dashboard/actions (which commits, then announces). Outside it only
    init-db and the demo's bulk history write, and the store's write helpers, which add to the
    caller's transaction and never commit, are called by the actions alone."""
    writers = _writers()
    assert set(writers) == set(OUTSIDE_ACTIONS) | STORE_WRITE_HELPERS
    commits = [f"{path}: {name}" for path in STORE_WRITE_HELPERS for name, found in writers[path].items()
               if any(what == "commit" for _, what in found)]
    assert commits == []
    helpers = {_module_name(ROOT / path): set(writers[path]) for path in STORE_WRITE_HELPERS}
    callers = [f"{path.relative_to(ROOT)}: {module}.{name}" for path in _python_files()
               if not path.is_relative_to(ROOT / "dashboard" / "actions")
               and str(path.relative_to(ROOT)) not in OUTSIDE_ACTIONS
               for module, name in _names_used(path, helpers)]
    assert callers == []


def _names_used(path: Path, helpers: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(module, name) of each helper `path` imports by name, or reads as an attribute of the module."""
    aliases: dict[str, str] = {}
    used = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in helpers:
            used += [(node.module, a.name) for a in node.names if a.name in helpers[node.module]]
        elif isinstance(node, ast.ImportFrom) and node.module:
            aliases |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                        if f"{node.module}.{a.name}" in helpers}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname: a.name for a in node.names if a.asname and a.name in helpers}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            module = aliases[node.value.id]
            used += [(module, node.attr)] if node.attr in helpers[module] else []
    return [u for u in used if _module_name(path) != u[0]]
