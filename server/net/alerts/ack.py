"""Acknowledgement by signed link: `/ack/<token>` on the server's own HTTP port.

A token is `unit.target.incident.expires.signature`, the signature an HMAC-SHA256 over the
rest with a secret kept in the data directory (made on first start, readable by the server's
user only), so a link cannot be forged or bent to another unit, target or incident, and it
stops working at `expires` (Unix seconds). Nano IDs never contain a dot.

Opening the link shows a page with one button; the button (the same link with `?confirm=yes`)
acknowledges. Mail scanners and link previews open links in mail, and must not acknowledge a
dispatch no one has read. Webhook receivers get the confirming link directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from server.domain.unit_status import UnitState
from server.domain.world import World
from server.net.alerts.delivery import Acknowledge
from server.net.alerts.message import location_words

log = logging.getLogger("hurrinet.alerts")

PREFIX = "/ack/"
SECRET_FILE = "alert-ack.key"


def load_secret(data_dir: Path) -> bytes:
    """The server's link secret, made once per data directory (mode 0600)."""
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32) + "\n")
    return load_secret(data_dir)


@dataclass(frozen=True, slots=True)
class Claim:
    unit_id: str
    target_id: str
    incident_id: str
    expires: int


class BadLink(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class AckLinks:
    secret: bytes
    ttl_s: float = 3600.0
    base_url: str = ""  # where people reach this server, e.g. https://dispatch.example.lc; set once listening

    def _signature(self, body: str) -> str:
        digest = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def token(self, unit_id: str, target_id: str, incident_id: str, now: datetime) -> str:
        expires = int((now + timedelta(seconds=self.ttl_s)).timestamp())
        return self.sign(Claim(unit_id, target_id, incident_id, expires))

    def sign(self, claim: Claim) -> str:
        body = f"{claim.unit_id}.{claim.target_id}.{claim.incident_id}.{claim.expires}"
        return f"{body}.{self._signature(body)}"

    def urls(self, unit_id: str, target_id: str, incident_id: str, now: datetime) -> tuple[str, str]:
        """The page a person opens, and the URL a machine calls to acknowledge."""
        page = f"{self.base_url.rstrip('/')}{PREFIX}{quote(self.token(unit_id, target_id, incident_id, now))}"
        return page, f"{page}?confirm=yes"

    def verify(self, token: str, now: datetime) -> Claim:
        parts = token.split(".")
        if len(parts) != 5 or not parts[3].isdigit():
            raise BadLink(HTTPStatus.FORBIDDEN, "This acknowledgement link is not valid (it may have been cut short).")
        body, signature = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(signature, self._signature(body)):
            raise BadLink(HTTPStatus.FORBIDDEN, "This acknowledgement link is not valid.")
        claim = Claim(parts[0], parts[1], parts[2], int(parts[3]))
        if now.timestamp() > claim.expires:
            raise BadLink(HTTPStatus.GONE, "This acknowledgement link has expired.")
        return claim


@dataclass(frozen=True, slots=True)
class _Answer:
    status: HTTPStatus
    title: str
    text: str
    button: bool = False  # offer the Acknowledge button


@dataclass
class AckPage:
    """The `/ack/` route: checks the link against the world and acknowledges through the hub."""

    links: AckLinks
    world: Callable[[], World]
    now: Callable[[], datetime]
    acknowledge: Acknowledge

    def __call__(self, connection: ServerConnection, request: Request) -> Response:
        url = urlsplit(request.path)
        token = url.path.removeprefix(PREFIX)
        confirm = parse_qs(url.query).get("confirm") == ["yes"]
        try:
            answer = self._answer(token, confirm)
        except BadLink as error:
            answer = _Answer(error.status, "Not acknowledged", f"{error} Call dispatch by radio.")
        log.info("ack link %s: %s", "confirm" if confirm else "open", answer.title)
        response = connection.respond(answer.status, _page(answer, f"{PREFIX}{quote(token)}"))
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        response.headers["Cache-Control"] = "no-store"
        return response

    def _answer(self, token: str, confirm: bool) -> _Answer:
        claim = self.links.verify(token, self.now())
        world = self.world()
        unit = world.units.get(claim.unit_id)
        target = world.alert_targets.get(claim.target_id)
        incident = world.incidents.get(claim.incident_id)
        if unit is None or target is None or incident is None or unit.id not in target.unit_ids:
            raise BadLink(HTTPStatus.GONE, "This alert's unit, target or incident no longer exists.")
        status = world.unit_status.get(unit.id)
        where = f"incident #{incident.id[:6]}"
        if status is None or status.assigned_to_incident_id != incident.id:
            raise BadLink(HTTPStatus.CONFLICT, f"{unit.callsign} is no longer assigned to {where}; nothing to acknowledge.")  # fmt: skip
        if status.state is not UnitState.DISPATCHING:
            return _Answer(HTTPStatus.OK, "Already acknowledged", f"{unit.callsign} is {status.state.replace('_', ' ')} on {where}.")  # fmt: skip
        if not confirm:
            what = " ".join(p for p in (incident.incident_priority, incident.incident_type) if p) or "incident"
            place = location_words(incident.location, {d.code: d.name for d in world.districts.values()})
            return _Answer(HTTPStatus.OK, f"Dispatch of {unit.callsign}",
                           f"{unit.callsign} is dispatched to {where}: {what}, {place}.", button=True)  # fmt: skip
        self.acknowledge(unit.id, target.id)
        state = (self.world().unit_status.get(unit.id) or status).state
        if state is UnitState.DISPATCHING:  # the server refused it; the hub logged why
            raise BadLink(HTTPStatus.CONFLICT, "The server could not record the acknowledgement.")
        return _Answer(HTTPStatus.OK, "Acknowledged", f"{unit.callsign}: dispatch to {where} acknowledged. Dispatch can see it.")  # fmt: skip


def _page(answer: _Answer, action: str) -> str:
    button = (f'<form method="get" action="{html.escape(action)}"><input type="hidden" name="confirm" value="yes">'
              '<button type="submit">Acknowledge dispatch</button></form>') if answer.button else ""  # fmt: skip
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>HurriNet — {html.escape(answer.title)}</title>"
        "<style>body{font:1.2rem system-ui,sans-serif;margin:2rem;max-width:40rem}"
        "button{font-size:1.5rem;padding:1rem 2rem}</style>"
        f"<h1>{html.escape(answer.title)}</h1><p>{html.escape(answer.text)}</p>{button}</html>\n"
    )
