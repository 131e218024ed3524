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


@pytest.mark.parametrize("path", modules("server", "domain") + [p for p in modules("server") if p.stem in ("allocation", "classification")])
def test_pure_domain_imports_no_io_frameworks(path):
    assert not tops(imports_of(path)) & {"websockets", "textual", "sqlmodel", "sqlalchemy", "alembic"}, path


@pytest.mark.parametrize("path", modules("server"))
def test_server_never_imports_the_workstation(path):
    assert "hurrinet_tui" not in tops(imports_of(path)), path


@pytest.mark.parametrize("path", modules("hurrinet_tui"))
def test_workstation_imports_only_the_protocol_from_the_server(path):
    server = {n for n in imports_of(path) if n.split(".")[0] == "server"}
    assert server <= {"server.protocol", "server"}, path


def test_protocol_module_stands_alone():
    assert not {n for n in imports_of(ROOT / "server" / "protocol.py") if n.startswith("server")}
