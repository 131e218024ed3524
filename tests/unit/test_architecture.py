"""Layering rules of design.md, checked on the import statements of every module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(*parts: str) -> list[Path]:
    base = ROOT.joinpath(*parts)
    return sorted(base.rglob("*.py")) if base.is_dir() else [base]


def tops(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


ADVISORY = ("geo", "allocation", "classification", "recommendations", "vicinity", "geocoding", "lookups")


@pytest.mark.parametrize("path", modules("server", "domain") + [ROOT / "server" / f"{m}.py" for m in ADVISORY])
def test_pure_domain_imports_no_io_frameworks(path):
    assert path.exists(), path
    assert not tops(imports_of(path)) & {"websockets", "textual", "sqlmodel", "sqlalchemy", "alembic"}, path


def server_imports(path: Path) -> set[str]:
    """What a server module imports of the server, relative imports resolved to `server.…`."""
    names: set[str] = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            names.update(f"{base}.{node.module}" if node.module else f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("server"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("server"))
    return names


@pytest.mark.parametrize(
    "module, allowed",
    [
        ("geo", set()),
        ("allocation", {"server.geo"}),  # plain data, numpy and scipy: benchable without a world
        ("classification", {"server.domain"}),
        ("recommendations", {"server.domain", "server.allocation", "server.classification"}),
        ("vicinity", {"server.domain", "server.geo"}),
        ("geocoding", {"server.domain"}),
        ("lookups", {"server.domain", "server.geo", "server.vicinity", "server.geocoding", "server.wire"}),
    ],
)
def test_advisory_modules_import_only_the_domain_and_each_other(module, allowed):
    imported = server_imports(ROOT / "server" / f"{module}.py")
    stray = {n for n in imported if not any(n == a or n.startswith(a + ".") for a in allowed)}
    assert not stray, f"server/{module}.py imports {sorted(stray)}"
    assert tops(imports_of(ROOT / "server" / f"{module}.py")) <= {"__future__", "collections", "dataclasses",
        "typing", "re", "math", "unicodedata", "numpy", "scipy", "server"}  # fmt: skip


@pytest.mark.parametrize("path", modules("server"))
def test_server_never_imports_the_workstation(path):
    assert "hurrinet_tui" not in tops(imports_of(path)), path


@pytest.mark.parametrize("path", modules("hurrinet_tui"))
def test_workstation_imports_only_the_protocol_from_the_server(path):
    server = {n for n in imports_of(path) if n.split(".")[0] == "server"}
    assert server <= {"server.protocol", "server"}, path


def test_protocol_module_stands_alone():
    assert not {n for n in imports_of(ROOT / "server" / "protocol.py") if n.startswith("server")}
