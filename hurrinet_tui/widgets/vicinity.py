"""What is already going on near the call on the line: a banner above the board.

Once the call has coordinates (or they change) the server is asked what is active around them;
the banner says it, and posts `Changed` so the screen narrows the board to those incidents.
It never takes focus: the call taker keeps typing.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from ..command_line import short_id
from ..format import refusal
from ..link import CommandFailed, ServerLink


class VicinityBanner(Static):
    class Changed(Message):
        """The incidents near the call, id → metres (None: back to the whole board)."""

        def __init__(self, distances: dict[str, int] | None) -> None:
            super().__init__()
            self.distances = distances

    class Said(Message):
        """A line for the screen's message line (how the check went)."""

        def __init__(self, text: str, error: bool = False) -> None:
            super().__init__()
            self.text, self.error = text, error

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.place: tuple[str, Any, Any] | None = None  # (call id, lat, lon) looked around last
        self.shown = False

    def on_mount(self) -> None:
        self.display = False

    def check(self, call: dict[str, Any] | None) -> None:
        """Look around the call once it has coordinates, and again when they change."""
        coordinates = ((call or {}).get("location") or {}).get("coordinates")
        if call is None or call["state"] == "ended" or not coordinates:
            return
        place = (call["id"], coordinates["lat"], coordinates["lon"])
        if place != self.place:
            self.place = place
            self.query_vicinity(call["id"])

    @work(group="vicinity", exclusive=True)
    async def query_vicinity(self, call_id: str) -> None:
        try:
            value = await self.link.command("call.vicinity", {"call_id": call_id})
        except CommandFailed as error:
            self.post_message(self.Said(f"vicinity check failed: {refusal(error.message, error.code)}", error=True))
            return
        if not value["calls"] and not value["incidents"]:
            self.dismiss()
            self.post_message(self.Changed(None))
            self.post_message(self.Said(f"nothing active within {value['radius_m']:.0f} m of the call"))
            return
        self.show(call_id, value)
        self.notify(f"{len(value['incidents'])} incident(s) and {len(value['calls'])} call(s) near this call — "
                    "the board shows them, Esc returns", title="Vicinity", severity="warning")  # fmt: skip

    def show(self, call_id: str, value: dict[str, Any]) -> None:
        banner = Text()
        banner.append(f" NEAR CALL {short_id(call_id)} ", style="bold reverse")
        banner.append(f"  within {value['radius_m']:.0f} m: {len(value['incidents'])} incident(s), "
                      f"{len(value['calls'])} other call(s) — nearest first · Esc: whole board · ^B attaches the call")  # fmt: skip
        for call in value["calls"][:3]:
            who = call.get("caller_name") or "unknown caller"
            banner.append(f"\n  call {short_id(call['id'])}  {call['distance_m']} m  {who}: {call.get('description') or ''}")
        self.update(banner)
        self.display = self.shown = True
        self.post_message(self.Changed({i["id"]: i["distance_m"] for i in value["incidents"]}))

    def dismiss(self) -> None:
        """Hide the banner (the screen puts the whole board back itself, at once)."""
        self.display = self.shown = False
