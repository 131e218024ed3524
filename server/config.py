"""Server settings: defaults, then a TOML file, then HURRINET_* environment variables, then
command-line options (each overrides the one before)."""

from __future__ import annotations

import difflib
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
    # The archive store (docs/archive.md): empty is `hurrinet-archive.db` beside a SQLite
    # database, or the schema hurrinet_archive of any other; the archiver runs this often (0: never).
    archive_url: str = ""
    archive_interval_s: float = 600.0

    @property
    def database(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / "hurrinet.db")


class ConfigError(ValueError):
    """A settings file that cannot be used as it is, with the reason in the operator's words."""


def _coerce(name: str, text: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("int", int):
        return int(text)
    if kind in ("float", float):
        return float(text)
    if kind in ("bool", bool):
        if isinstance(text, bool):
            return text
        if str(text).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(text).lower() in ("1", "true", "yes", "on")
        raise ValueError(f"not true or false: {text!r}")
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
        values.update(_read_file(Path(config_file), names))
    for name in names:
        if f"HURRINET_{name.upper()}" in environ:
            values[name] = _checked(f"HURRINET_{name.upper()}", name, environ[f"HURRINET_{name.upper()}"])
    values.update({k: _coerce(k, v) for k, v in (overrides or {}).items() if v is not None})
    return replace(Settings(), **values)


def _checked(where: str, name: str, value: Any) -> Any:
    try:
        return _coerce(name, value)
    except ValueError:
        kind = {f.name: f.type for f in fields(Settings)}[name]
        raise ConfigError(f"{where}: {name} must be {_KIND_SAID.get(str(kind), str(kind))}, not {value!r}") from None


_KIND_SAID = {"int": "a whole number", "float": "a number", "bool": "true or false", "Path": "a path", "str": "text"}


def _read_file(path: Path, names: list[str]) -> dict[str, Any]:
    """A settings file's values; every key it has must be a setting (a misspelt one would
    otherwise be ignored while the server runs on the default), each named in the error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the settings file ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    unknown = sorted(set(data) - set(names))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, names, n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise ConfigError(f"{path}: unknown settings {', '.join(hints)}; the settings are {', '.join(names)}")
    return {k: _checked(str(path), k, v) for k, v in data.items()}
