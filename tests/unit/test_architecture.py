"""Layering rules of design.md, checked on the import statements of every module.

The server's folders are its layers, lowest first; a module may import its own layer and the
ones below it, never one above. Relative imports are resolved before they are checked, and
`from server import hub` counts as importing `server.hub`.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. `protocol` stands alone (clients import it); `domain`, `advice` and `exchange` are pure.
LAYERS = ["protocol", "domain", "advice", "exchange", "reference", "storage", "app", "config", "net", "demo", "__main__"]
PURE = {"protocol", "domain", "advice", "exchange"}
IO_FRAMEWORKS = {"websockets", "textual", "sqlmodel", "sqlalchemy", "alembic"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved and `from P import m` read as P.m."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def modules(*parts: str) -> list[Path]:
    base = ROOT.joinpath(*parts)
    return sorted(base.rglob("*.py")) if base.is_dir() else [base]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


SERVER_MODULES = [p for p in modules("server") if "migrations" not in p.parts and p.parent != ROOT / "server"
                  or p.stem in LAYERS]  # fmt: skip


def test_every_server_module_sits_in_a_layer():
    strays = [p for p in modules("server") if "migrations" not in p.parts and layer_of(module_name(p)) is None
              and p != ROOT / "server" / "__init__.py"]  # fmt: skip
    assert not strays, f"modules outside the layer folders: {strays}"


@pytest.mark.parametrize("path", SERVER_MODULES, ids=lambda p: module_name(p))
def test_a_layer_imports_only_itself_and_the_layers_below(path):
    own = layer_of(module_name(path))
    if own is None:
        return
    above = set(LAYERS[LAYERS.index(own) + 1 :])
    reaching_up = sorted(n for n in imported(path) if layer_of(n) in above)
    assert not reaching_up, f"{module_name(path)} ({own}) imports {reaching_up} from a higher layer"


@pytest.mark.parametrize("path", [p for p in SERVER_MODULES if layer_of(module_name(p)) in PURE],
                         ids=lambda p: module_name(p))  # fmt: skip
def test_pure_layers_import_no_io_frameworks(path):
    frameworks = {n.split(".")[0] for n in imported(path)} & IO_FRAMEWORKS
    assert not frameworks, f"{module_name(path)} imports {sorted(frameworks)}"


def test_protocol_module_stands_alone():
    assert not {n for n in imported(ROOT / "server" / "protocol.py") if n.startswith("server")}


@pytest.mark.parametrize("path", modules("server"), ids=lambda p: module_name(p))
def test_server_never_imports_the_workstation(path):
    assert not {n for n in imported(path) if n.split(".")[0] == "hurrinet_tui"}, path


@pytest.mark.parametrize("path", modules("hurrinet_tui"), ids=lambda p: module_name(p))
def test_workstation_imports_only_the_protocol_from_the_server(path):
    server = {n for n in imported(path) if n.split(".")[0] == "server"}
    stray = {n for n in server if n not in ("server", "server.protocol") and not n.startswith("server.protocol.")}
    assert not stray, f"{module_name(path)} imports {sorted(stray)}"


def test_the_checker_sees_relative_and_package_imports(tmp_path, monkeypatch):
    """The two holes of the old check: relative imports, and `from server import hub`."""
    pkg = ROOT / "server" / "domain"
    sample = pkg / "_layering_probe.py"
    sample.write_text("from ..net import hub\nfrom server import app\n")
    try:
        names = imported(sample)
    finally:
        sample.unlink()
    assert "server.net.hub" in names and "server.app" in names
    assert layer_of("server.net.hub") == "net" and layer_of("server.app") == "app"


@pytest.mark.parametrize("path", modules("hurrinet_tui", "link.py") + modules("hurrinet_tui", "replica.py"))
def test_link_and_replica_import_no_textual(path):
    assert "textual" not in {n.split(".")[0] for n in imported(path)}, path
