"""What a dispatcher chose (layout preset, theme, …), kept per user between shifts.

One small JSON file per user, `XDG_CONFIG_HOME/hurrinet/preferences/<user>.json`, written
whole to a temporary file and moved into place, so a crash mid-write leaves the old file, never
half a file. A file that cannot be read is reported and ignored: preferences are a comfort, and
a workstation must open even when they are broken. No Textual here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_NAME = 40  # a preset or theme name; longer is a hand-edit gone wrong
KNOWN = ("layout", "theme")


class PreferencesError(ValueError):
    pass


def file_name(user: str) -> str:
    """A safe, distinct file name for any user name (server names are 1–100 free characters).

    Readable when the name is already plain; otherwise the plain part plus a hash of the real
    name, so `Ana B`, `ana_b` and `ANA_B` never share a file (some file systems ignore case)."""
    if not user:
        raise PreferencesError("preferences need a user name")
    plain = re.sub(r"[^a-z0-9._-]", "_", user.lower()).lstrip(".")[:60] or "user"
    if plain != user:
        plain += "-" + hashlib.sha256(user.encode()).hexdigest()[:10]
    return f"{plain}.json"


def _name(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise PreferencesError(f"{key} must be a name of 1–{MAX_NAME} characters, not {value!r}")
    return value


def parse(text: str) -> dict[str, Any]:
    """The preferences in a file's text, checked; raises PreferencesError saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PreferencesError(f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise PreferencesError(f"expected an object of preferences, found {type(data).__name__}")
    if data.get("format", FORMAT) != FORMAT:
        raise PreferencesError(f"written in format {data.get('format')!r}; this workstation reads format {FORMAT}")
    return {key: (_name(key, value) if key in KNOWN else value) for key, value in data.items() if key != "format"}


def render(values: dict[str, Any]) -> str:
    return json.dumps({"format": FORMAT, **{k: v for k, v in values.items() if v is not None}}, indent=2) + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@dataclass
class Preferences:
    layout: str | None = None  # the layout preset's name; None: the workstation's default
    theme: str | None = None  # a Textual theme name or an alias ("monochrome")
    other: dict[str, Any] = field(default_factory=dict)  # keys a newer workstation wrote: kept
    path: Path | None = None  # None: for this session only (user not known yet, or tests)
    problem: str | None = None  # why the file on disk was ignored, if it was

    @classmethod
    def load(cls, path: Path) -> Preferences:
        """The preferences in `path`; none yet → defaults; unreadable → defaults and `problem`."""
        try:
            values = parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path=path)
        except (OSError, UnicodeDecodeError, PreferencesError) as error:
            return cls(path=path, problem=f"{path}: {error}")
        known = {key: values.pop(key, None) for key in KNOWN}
        return cls(**known, other=values, path=path)

    def values(self) -> dict[str, Any]:
        return {**self.other, **{key: getattr(self, key) for key in KNOWN}}

    def change(self, **changes: str | None) -> bool:
        """Set preferences (None clears one); True when something changed."""
        for key in changes:
            if key not in KNOWN:
                raise PreferencesError(f"unknown preference {key!r}; known: {', '.join(KNOWN)}")
        changed = False
        for key, value in changes.items():
            value = _name(key, value)
            changed |= getattr(self, key) != value
            setattr(self, key, value)
        return changed

    def save(self) -> None:
        """Write them to `path` (nothing to do without one). A file that was ignored as broken is
        kept beside it as `….corrupt` rather than silently overwritten: someone may have edited it."""
        if self.path is None:
            return
        if self.problem and self.path.exists():
            os.replace(self.path, self.path.with_name(self.path.name + ".corrupt"))
        write_atomically(self.path, render(self.values()))
        self.problem = None
