"""Project layout rules, checked over the source of every installed package:

* no module imports another module's private (``_name``) names;
* nothing under ``api/`` imports ``stream_processors`` (the API reads state through the
  shared packages, never through a worker's code);
* nothing installed imports ``bench`` or ``tests``, which are not installed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("producer", "stream_processors", "api", "schemas", "ops", "database", "messaging")
NOT_INSTALLED = ("bench", "tests")

# The exceptions, each entry (file, imported module, name), with the reason.
ALLOWED_PRIVATE_IMPORTS = {
    # faust-streaming keeps the current event in a private context variable; reaching into
    # faust's internals is what the one faust patch module is for (see the comment there)
    ("messaging/faust_patches.py", "faust.streams", "_current_event"),
}
ALLOWED_API_WORKER_IMPORTS: set[tuple[str, str]] = set()
ALLOWED_NOT_INSTALLED_IMPORTS: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository root, '/'-separated
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


def _imports(folders: tuple[str, ...] = PACKAGES) -> Iterator[Import]:
    for path in _source_files(folders):
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if isinstance(node, ast.ImportFrom):
                names = tuple(alias.name for alias in node.names)
                yield Import(relative, _absolute(path, node), names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(relative, alias.name, ())


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_packages_are_found() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in _source_files()}
    assert "producer/readers/xlsx/__init__.py" in files
    assert "api/errors.py" in files


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


def test_the_api_does_not_import_the_workers() -> None:
    found = {
        (imp.file, imp.module)
        for imp in _imports()
        if imp.file.startswith("api/") and _top(imp.module) == "stream_processors"
    }
    assert found - ALLOWED_API_WORKER_IMPORTS == set()


def test_nothing_installed_imports_bench_or_tests() -> None:
    found = {(imp.file, imp.module) for imp in _imports() if _top(imp.module) in NOT_INSTALLED}
    assert found - ALLOWED_NOT_INSTALLED_IMPORTS == set()


def test_the_allow_lists_name_only_what_still_exists() -> None:
    """An entry whose violation is gone must leave its list, so the lists only shrink."""
    imports = list(_imports())
    private = {(i.file, i.module, n) for i in imports for n in i.names}
    plain = {(i.file, i.module) for i in imports}
    assert private >= ALLOWED_PRIVATE_IMPORTS
    assert plain >= ALLOWED_API_WORKER_IMPORTS
    assert plain >= ALLOWED_NOT_INSTALLED_IMPORTS
