"""Real alert receivers for tests, on 127.0.0.1: an aiosmtpd mail handler, an HTTP webhook
receiver (http.server in a thread), and reference data with alert targets of a test's own."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import shutil
import threading
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope

from server.reference import DEMO


class Mailbox:
    """aiosmtpd handler: keeps every message it is handed."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[EmailMessage] = asyncio.Queue()

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Envelope) -> str:
        self.messages.put_nowait(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"


@dataclass
class Receiver:
    """An HTTP webhook receiver: answers `status`, and when told to, calls back the alert's
    acknowledgement URL as a mobile terminal would once its crew presses a key."""

    status: int = 200
    call_back: bool = False
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    acks: list[int] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/alert"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if receiver.call_back and receiver.status == 200:
                    with urllib.request.urlopen(json.loads(body)["ack_url"], timeout=5) as answer:
                        receiver.acks.append(answer.status)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()



def reference_with_targets(directory: Path, rows: list[str]) -> Path:
    """The demo's reference data with these alert targets only."""
    shutil.copytree(DEMO, directory, dirs_exist_ok=True)
    (directory / "alert_targets.csv").write_text("code,name,type,config,units,active\n" + "\n".join(rows) + "\n",
                                                 encoding="utf-8")  # fmt: skip
    return directory
