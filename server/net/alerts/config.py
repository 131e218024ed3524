"""How an alert target is reached, read from the `config` column of `alert_targets.csv`.

The column holds space-separated `key=value` pairs. `smtp=` makes the target an e-mail
target, `url=` a webhook target; anything else (the demo's printer names, phone numbers and
terminal ids, written without `=`) names no transport, and the server then delivers to it by
simulation (demo, tests) or reports it undeliverable. Secrets never sit in the file: the file
names an environment variable that holds them (`password_env=`, `secret_env=`). Pure: no I/O
beyond reading the environment mapping it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.config import ConfigError as SettingsError

DEFAULT_ATTEMPTS = 4
DEFAULT_RETRY_S = 2.0  # first retry after this; each later one waits three times as long
DEFAULT_TIMEOUT_S = 10.0
MAX_ATTEMPTS = 10
_ADDRESS = re.compile(r"^[^@\s,]+@[^@\s,]+$")

SMTP_KEYS = {"smtp", "to", "from", "starttls", "tls", "user", "password_env", "timeout", "attempts", "retry_s"}
WEBHOOK_KEYS = {"url", "to", "secret_env", "timeout", "attempts", "retry_s"}


class ConfigError(SettingsError):
    """A target's config cannot be used; the message names the key and the problem (a kind of
    settings error, so the CLI reports both alike)."""


@dataclass(frozen=True, slots=True)
class Retry:
    attempts: int = DEFAULT_ATTEMPTS
    first_s: float = DEFAULT_RETRY_S

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (2, 3, …): 2 s, 6 s, 18 s, …"""
        return self.first_s * 3 ** (attempt - 2)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool | None = None  # None: use it when the server offers it
    tls: bool = False  # implicit TLS (port 465)
    user: str | None = None
    password: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    retry: Retry = Retry()


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    to: str | None = None  # the phone number or terminal id, passed on to the gateway
    secret: bytes | None = None  # signs each body (X-HurriNet-Signature)
    timeout_s: float = DEFAULT_TIMEOUT_S
    retry: Retry = Retry()


TargetConfig = SmtpConfig | WebhookConfig


def parse(text: str, environ: Mapping[str, str]) -> TargetConfig | None:
    """The transport a config names, None when it names none (a plain label)."""
    if "=" not in text:
        return None
    pairs = _pairs(text)
    if "smtp" in pairs and "url" in pairs:
        raise ConfigError("give either smtp= (e-mail) or url= (webhook), not both")
    if "smtp" in pairs:
        return _smtp(pairs, environ)
    if "url" in pairs:
        return _webhook(pairs, environ)
    raise ConfigError("key=value config names no transport: give smtp=HOST[:PORT] or url=http(s)://…")


def _pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"{word!r} is not key=value")
        if key in pairs:
            raise ConfigError(f"{key} given twice")
        pairs[key] = value
    return pairs


def _unknown(pairs: Mapping[str, str], allowed: set[str], kind: str) -> None:
    unknown = sorted(set(pairs) - allowed)
    if unknown:
        raise ConfigError(f"unknown keys for {kind}: {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")


def _number(pairs: Mapping[str, str], key: str, default: float, low: float, high: float) -> float:
    if key not in pairs:
        return default
    try:
        value = float(pairs[key])
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {pairs[key]!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _flag(pairs: Mapping[str, str], key: str) -> bool | None:
    if key not in pairs:
        return None
    value = pairs[key].lower()
    if value not in ("yes", "no", "true", "false"):
        raise ConfigError(f"{key} must be yes or no, got {pairs[key]!r}")
    return value in ("yes", "true")


def _env(pairs: Mapping[str, str], key: str, environ: Mapping[str, str]) -> str | None:
    if key not in pairs:
        return None
    name = pairs[key]
    if name not in environ:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return environ[name]


def _retry(pairs: Mapping[str, str]) -> Retry:
    attempts = _number(pairs, "attempts", DEFAULT_ATTEMPTS, 1, MAX_ATTEMPTS)
    if attempts != int(attempts):
        raise ConfigError(f"attempts must be a whole number, got {pairs['attempts']!r}")
    return Retry(int(attempts), _number(pairs, "retry_s", DEFAULT_RETRY_S, 0.01, 300))


def _smtp(pairs: Mapping[str, str], environ: Mapping[str, str]) -> SmtpConfig:
    _unknown(pairs, SMTP_KEYS, "e-mail (smtp=)")
    host, _, port_text = pairs["smtp"].rpartition(":") if ":" in pairs["smtp"] else (pairs["smtp"], "", "")
    tls = bool(_flag(pairs, "tls"))
    try:
        port = int(port_text) if port_text else (465 if tls else 25)
    except ValueError:
        raise ConfigError(f"smtp port must be a number, got {port_text!r}") from None
    if not host or not 0 < port < 65536:
        raise ConfigError(f"smtp must be HOST or HOST:PORT, got {pairs['smtp']!r}")
    for key in ("to", "from"):
        if key not in pairs:
            raise ConfigError(f"e-mail needs {key}=ADDRESS")
    recipients = tuple(pairs["to"].split(","))
    for address in (*recipients, pairs["from"]):
        if not _ADDRESS.match(address):
            raise ConfigError(f"{address!r} is not an e-mail address")
    password = _env(pairs, "password_env", environ)
    if (password is None) != ("user" not in pairs):
        raise ConfigError("user= and password_env= go together")
    return SmtpConfig(host, port, pairs["from"], recipients, _flag(pairs, "starttls"), tls, pairs.get("user"),
                      password, _number(pairs, "timeout", DEFAULT_TIMEOUT_S, 0.1, 120), _retry(pairs))  # fmt: skip


def _webhook(pairs: Mapping[str, str], environ: Mapping[str, str]) -> WebhookConfig:
    _unknown(pairs, WEBHOOK_KEYS, "webhook (url=)")
    url = urlsplit(pairs["url"])
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"url must be an http:// or https:// address, got {pairs['url']!r}")
    secret = _env(pairs, "secret_env", environ)
    return WebhookConfig(pairs["url"], pairs.get("to"), secret.encode() if secret is not None else None,
                         _number(pairs, "timeout", DEFAULT_TIMEOUT_S, 0.1, 120), _retry(pairs))  # fmt: skip
