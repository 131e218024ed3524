"""The workstation's config file, `XDG_CONFIG_HOME/hurrinet/workstation.toml` (machine-wide
defaults; a user's own choices live in preferences/):

    token = "…"                  # for `hurrinet connect` when neither --token nor HURRINET_TOKEN
    server = "ws://dispatch.example:8765/ws"   # for `hurrinet connect` without a URL; or a list,
    # server = ["ws://a.example:8765/ws", "ws://b.example:8765/ws"]   failed over in that order
    theme = "monochrome"         # default, monochrome, ansi, or any Textual theme name
    idle_lock_minutes = 30       # 0 turns the idle lock off
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .reconnect import BadServerURL, server_urls


class ConfigError(ValueError):
    pass


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "hurrinet"


def config_file() -> Path:
    return config_dir() / "workstation.toml"


def preferences_dir() -> Path:
    return config_dir() / "preferences"


@dataclass(frozen=True)
class WorkstationConfig:
    token: str | None = None
    theme: str | None = None
    idle_lock_minutes: float | None = None
    server: tuple[str, ...] | None = None  # the server URLs, in the order to fail over between them


def idle_minutes(value: object, where: str) -> float:
    """Minutes of idle time before the lock: a number, 0 or more (0: never lock)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{where} must be a number of minutes, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number of minutes, not {value!r}")
    if value < 0:
        raise ConfigError(f"{where} must be 0 (never lock) or more minutes, not {value}")
    return float(value)


def read_config(path: Path) -> WorkstationConfig:
    """The config in `path` (no file: all defaults); a broken one raises ConfigError naming it,
    and so does a key it does not know (a typo would otherwise be ignored in silence)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return WorkstationConfig()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    known = [f.name for f in fields(WorkstationConfig)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown setting{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                          f"(known: {', '.join(known)})")  # fmt: skip
    for key in ("token", "theme"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise ConfigError(f"{path}: {key} must be a non-empty string, not {data[key]!r}")
    minutes = data.get("idle_lock_minutes")
    if minutes is not None:
        minutes = idle_minutes(minutes, f"{path}: idle_lock_minutes")
    servers = data.get("server")
    if servers is not None:
        servers = servers_from(servers, f"{path}: server")
    return WorkstationConfig(data.get("token"), data.get("theme"), minutes, servers)


def servers_from(value: object, where: str) -> tuple[str, ...]:
    """`server`: one URL, as before, or a list of them (a workstation fails over in that order)."""
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise ConfigError(f"{where} must be a URL or a list of URLs, not {value!r}")
    try:
        return server_urls(urls)
    except BadServerURL as error:
        raise ConfigError(f"{where}: {error}") from None
