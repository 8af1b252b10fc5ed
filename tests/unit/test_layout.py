"""Project layout rules, checked over the source of every installed package:

* the imports between top-level packages are exactly the edges of ``ALLOWED_EDGES``, each
  with the reason it exists: the shared rooms (``schemas``, ``files``, ``messaging``,
  ``database``) import only rooms below them, no stage (``producer``, ``stream_processors``,
  ``api``) imports another, and only ``ops``, the command line on top, starts the stages.
  Imports inside functions count, and so does a module named in a string for a dynamic
  import (``"api.app:create_app"``). On failure the test prints the whole import graph;
* no module imports another module's private (``_name``) names;
* nothing installed imports ``bench`` or ``tests``, which are not installed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "schemas",
    "files",
    "messaging",
    "database",
    "producer",
    "stream_processors",
    "api",
    "ops",
)
NOT_INSTALLED = ("bench", "tests")

# (importer, imported): why. The only imports allowed between top-level packages.
ALLOWED_EDGES: dict[tuple[str, str], str] = {
    # the rooms: each imports only rooms below it
    ("files", "schemas"): "the spool's folder and an upload's tier come from settings; ParseError",
    ("messaging", "schemas"): "names from settings, and the records it sends",
    ("messaging", "files"): "an upload's file is fetched from Kafka into the spool, owner-only",
    ("database", "schemas"): "tables from the dataset model, rows from the wire records",
    ("database", "files"): "the SQLite file is created owner-only",
    # the stages: each reads and writes through the rooms, never through another stage
    ("producer", "schemas"): "settings, upload records, chunk headers, the dataset model, "
    "locales and amounts as shown (locale detection)",
    ("producer", "files"): "the spooled upload: its format, its chunk plan, a workbook's sheets",
    ("producer", "messaging"): "reads uploads, sends chunks and job events",
    ("producer", "database"): "the tenant's saved column mappings; parks an upload that "
    "needs its columns mapped; the spool's sweep asks which jobs have ended",
    ("stream_processors", "schemas"): "settings, chunk headers, results, the dataset model",
    ("stream_processors", "messaging"): "topic names, the results publisher, faust's patches",
    ("stream_processors", "database"): "the chunk store and its ledger, dead letters",
    ("api", "schemas"): "settings, upload records and statuses, the dataset model",
    ("api", "files"): "the spool, and an upload's format and row estimate for its tier",
    ("api", "messaging"): "sends uploads, reads progress",
    ("api", "database"): "idempotency keys, row-error reports",
    # the command line on top
    ("ops", "schemas"): "settings and records for every command",
    ("ops", "files"): "the CLI's local upload spools its file",
    ("ops", "messaging"): "topics, replay, dead letters",
    ("ops", "database"): "migrations, replay's ledger check, dead letters",
    ("ops", "producer"): "bulkflow producer runs the producer service; reparse publishes a job",
    ("ops", "stream_processors"): "bulkflow worker/aggregator run the apps; replay drives "
    "the worker's ChunkHandler and routes its output as the worker does",
    ("ops", "api"): "bulkflow api runs uvicorn on api.app:create_app",
}

# The exceptions, each entry (file, imported module, name), with the reason.
ALLOWED_PRIVATE_IMPORTS = {
    # faust-streaming keeps the current event in a private context variable; reaching into
    # faust's internals is what the one faust patch module is for (see the comment there)
    ("messaging/faust_patches.py", "faust.streams", "_current_event"),
}
ALLOWED_NOT_INSTALLED_IMPORTS: set[tuple[str, str]] = set()
# a module named in a string, as uvicorn and importlib take them: 'api.app:create_app'
_MODULE_STRING = re.compile(r"^([a-z_]+)(\.[a-z_]+)+(:[A-Za-z_]+)?$")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository root, '/'-separated
    line: int
    module: str  # absolute, relative imports resolved
    names: tuple[str, ...]  # the names taken from it; () for a plain `import module`


def _source_files(folders: tuple[str, ...] = PACKAGES) -> Iterator[Path]:
    for package in folders:
        folder = ROOT / package
        if folder.is_dir():
            yield from sorted(folder.rglob("*.py"))


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package.pop()  # a module's relative imports start from its package
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports(folders: tuple[str, ...] = PACKAGES, *, strings: bool = False) -> Iterator[Import]:
    """Every import statement, at any depth; with ``strings``, modules named in strings too."""
    for path in _source_files(folders):
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if isinstance(node, ast.ImportFrom):
                names = tuple(alias.name for alias in node.names)
                yield Import(relative, node.lineno, _absolute(path, node), names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(relative, node.lineno, alias.name, ())
            elif strings and isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _MODULE_STRING.match(node.value)
                if match and match[1] in PACKAGES:
                    yield Import(relative, node.lineno, node.value.partition(":")[0], ())


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _top(module: str) -> str:
    return module.split(".")[0]


def package_edges() -> dict[tuple[str, str], list[Import]]:
    """(importer, imported) -> the imports that make the edge, between top-level packages."""
    edges: dict[tuple[str, str], list[Import]] = {}
    for imp in _imports(strings=True):
        edge = (_top(imp.file.replace("/", ".")), _top(imp.module))
        if edge[1] in PACKAGES and edge[0] != edge[1]:
            edges.setdefault(edge, []).append(imp)
    return edges


def render_graph(edges: dict[tuple[str, str], list[Import]]) -> str:
    """The package import graph, a line per edge, marked when it is not allowed."""
    lines = ["the import graph between packages (importer -> imported: imports, first one):"]
    for (importer, imported), found in sorted(
        edges.items(), key=lambda e: (PACKAGES.index(e[0][0]), PACKAGES.index(e[0][1]))
    ):
        mark = "  " if (importer, imported) in ALLOWED_EDGES else "!!"
        first = found[0]
        lines.append(
            f"{mark} {importer} -> {imported}: {len(found)}, "
            f"{first.file}:{first.line} imports {first.module}"
        )
    return "\n".join(lines)


def test_the_packages_are_found() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in _source_files()}
    assert "producer/readers/xlsx/__init__.py" in files
    assert "api/http_errors.py" in files
    assert {p for p in PACKAGES if (ROOT / p / "__init__.py").is_file()} == set(PACKAGES)


def test_packages_import_each_other_only_by_the_allowed_edges() -> None:
    edges = package_edges()
    unexpected = {
        f"{imp.file}:{imp.line} imports {imp.module}"
        for edge, found in edges.items()
        if edge not in ALLOWED_EDGES
        for imp in found
    }
    assert not unexpected, "\n".join([*sorted(unexpected), "", render_graph(edges)])


def test_every_allowed_edge_is_used() -> None:
    """An edge no import makes any more leaves the list, so the list stays exact."""
    edges = package_edges()
    unused = sorted(set(ALLOWED_EDGES) - set(edges))
    assert not unused, f"unused edges {unused}\n\n{render_graph(edges)}"


def test_the_allowed_edges_point_one_way() -> None:
    """No cycle: each package imports only packages before it in PACKAGES."""
    backwards = [
        edge for edge in ALLOWED_EDGES if PACKAGES.index(edge[1]) >= PACKAGES.index(edge[0])
    ]
    assert not backwards


def test_the_import_graph_is_printed_with_a_mark_on_what_is_not_allowed() -> None:
    wrong = Import("schemas/x.py", 3, "producer.readers", ())
    graph = render_graph({("schemas", "producer"): [wrong], ("api", "schemas"): [wrong]})
    assert "!! schemas -> producer: 1, schemas/x.py:3 imports producer.readers" in graph
    assert "   api -> schemas: 1," in graph


def test_no_private_names_imported_across_modules() -> None:
    # the whole project: the package, and the benchmarks, tests and examples beside it
    everywhere = (*PACKAGES, *NOT_INSTALLED, "examples")
    found = {
        (imp.file, imp.module, name)
        for imp in _imports(everywhere)
        for name in imp.names
        if _private(name) and _top(imp.module) in everywhere
    }
    found |= {
        (imp.file, imp.module, part)
        for imp in _imports(everywhere)
        if not imp.names
        for part in imp.module.split(".")
        if _private(part)
    }
    assert found - ALLOWED_PRIVATE_IMPORTS == set()


def test_nothing_installed_imports_bench_or_tests() -> None:
    found = {(imp.file, imp.module) for imp in _imports() if _top(imp.module) in NOT_INSTALLED}
    assert found - ALLOWED_NOT_INSTALLED_IMPORTS == set()


def test_the_allow_lists_name_only_what_still_exists() -> None:
    """An entry whose violation is gone must leave its list, so the lists only shrink."""
    imports = list(_imports())
    private = {(i.file, i.module, n) for i in imports for n in i.names}
    plain = {(i.file, i.module) for i in imports}
    assert private >= ALLOWED_PRIVATE_IMPORTS
    assert plain >= ALLOWED_NOT_INSTALLED_IMPORTS
