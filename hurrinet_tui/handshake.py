"""Whether the server takes a token: one websocket handshake and a clean close, nothing more.

The browser's sign-in screen asks this before it gives the token to the link, because the link
is made to ride out trouble (it reconnects with backoff for a whole shift), while a sign-in must
say at once, in words, that a token was refused and not try it again by itself: every retry of
a bad token counts towards the server's login lockout for the address (server/net/throttle.py),
and behind `hurrinet web` every browser shares one address. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from .reconnect import endpoint, reason_for

OPEN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""  # why not, for the person at the keyboard (never the token itself)
    refused: bool = False  # the server said no to this token: typing it again cannot help


def refusal(status: int, retry_after: str | None, where: str) -> str:
    if status == 401:
        return f"The server at {where} refused this token (HTTP 401): check it and type it again."
    if status == 403:
        return f"The server at {where} refused this account (HTTP 403): it may not connect as a workstation."
    wait = f" in {retry_after} s" if retry_after else " later"
    return (f"Too many failed sign-ins from here: the server at {where} refuses tokens for a while "
            f"(HTTP 429). Try again{wait}.")  # fmt: skip


async def try_token(url: str, token: str, timeout: float = OPEN_TIMEOUT_S) -> Verdict:
    """Open and close one connection with the token; the server checks it at the handshake."""
    host, port, _ = endpoint(url)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with connect(url, additional_headers=headers, open_timeout=timeout, compression=None,
                           close_timeout=2) as connection:  # fmt: skip
            await connection.close()
    except InvalidStatus as error:
        status = error.response.status_code
        if status in (401, 403, 429):
            return Verdict(False, refusal(status, error.response.headers.get("Retry-After"), f"{host}:{port}"), True)
        return Verdict(False, reason_for(error, url))
    except (OSError, TimeoutError, WebSocketException, ValueError) as error:
        return Verdict(False, f"Cannot reach the server ({reason_for(error, url)}). Type the token again to retry.")
    return Verdict(True)
