"""Server settings: defaults, then a TOML file, then HURRINET_* environment variables, then
command-line options (each overrides the one before)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from server.reference import DEMO
from server.storage.database import sqlite_url


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hurrinet"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8765
    data_dir: Path = default_data_dir()
    database_url: str = ""  # empty: SQLite file `hurrinet.db` in data_dir
    reference_dir: Path = DEMO
    compression: bool = True  # offer permessage-deflate; LAN positions may decline it
    alert_delay_s: float = 2.0  # simulated alert delivery acknowledgement delay
    # Targets whose config names no transport (smtp=, url=): simulated (demo, tests) or reported
    # undeliverable. Never on in a real deployment: a simulated acknowledgement is a fake one.
    simulate_alerts: bool = False
    public_url: str = ""  # how crews reach this server for acknowledgement links; empty: http://HOST:PORT
    ack_link_ttl_s: float = 3600.0  # an acknowledgement link stops working after this

    @property
    def database(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / "hurrinet.db")


def _coerce(name: str, text: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("int", int):
        return int(text)
    if kind in ("float", float):
        return float(text)
    if kind in ("bool", bool):
        return text if isinstance(text, bool) else str(text).lower() in ("1", "true", "yes", "on")
    if kind in ("Path", Path):
        return Path(text).expanduser()
    return str(text)


def load_settings(config_file: Path | None = None, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:  # fmt: skip
    environ = os.environ if environ is None else environ
    names = [f.name for f in fields(Settings)]
    values: dict[str, Any] = {}
    config_file = config_file or (Path(environ["HURRINET_CONFIG"]) if environ.get("HURRINET_CONFIG") else None)
    if config_file is not None:
        data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"{config_file}: unknown settings {', '.join(unknown)}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for name in names:
        if f"HURRINET_{name.upper()}" in environ:
            values[name] = _coerce(name, environ[f"HURRINET_{name.upper()}"])
    values.update({k: _coerce(k, v) for k, v in (overrides or {}).items() if v is not None})
    return replace(Settings(), **values)
