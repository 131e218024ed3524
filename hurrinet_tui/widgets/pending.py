"""Commands the server has not answered yet: each with its age, and a key to take one back.

Shown above the status bar only while there is something to show (link.pending(): commands
waiting for the link, or unanswered for a second or more, and refusals of commands that had to
wait, against the line that caused them). F11 focuses it; ↑/↓ pick a row; Delete cancels the
command (or dismisses the refusal); Esc goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

from ..link import ServerLink
from ..outbox import Row

MAX_ROWS = 5


def age(seconds: float) -> str:
    return f"{seconds:3.0f} s" if seconds < 100 else f"{seconds / 60:3.0f} m"


class PendingCommands(Widget, can_focus=True):
    BINDINGS = [
        Binding("delete,backspace,x", "cancel", "Cancel command"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("escape", "leave", "Back", show=False),
    ]

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.rows: list[Row] = []
        self.cursor = 0
        self.came_from: Widget | None = None  # where Esc (or the last row going) returns focus

    def take_focus(self, came_from: Widget | None) -> None:
        if self.rows:
            self.came_from = came_from
            self.focus()

    def on_mount(self) -> None:
        self.link.outbox_listeners.append(self.refresh_rows)
        self.set_interval(1.0, self.refresh_rows)  # ages move; a command turns a second old
        self.refresh_rows()

    def on_unmount(self) -> None:
        if self.refresh_rows in self.link.outbox_listeners:
            self.link.outbox_listeners.remove(self.refresh_rows)

    def refresh_rows(self) -> None:
        self.rows = self.link.pending()
        self.cursor = max(0, min(self.cursor, len(self.rows) - 1))
        shown = bool(self.rows)
        if self.display != shown:
            self.display = shown
            if not shown and self.has_focus:
                self.action_leave()
        self.refresh(layout=True)

    def render(self) -> Text:
        waiting = [r for r in self.rows if r.refusal is None]
        refused = len(self.rows) - len(waiting)
        text = Text()
        head = f" ⧗ {len(waiting)} command{'s' * (len(waiting) != 1)} not yet answered"
        if not self.link.status.connected:
            head += " — they go out, in order, when the link is back"
        if refused:
            head += f"; {refused} refused after waiting"
        text.append(head, style="bold")
        text.append("   F11 then Del cancels" if not self.has_focus else "   Del cancels · Esc back", style="dim")
        first = max(0, min(self.cursor - MAX_ROWS + 1, len(self.rows) - MAX_ROWS))
        for index, row in enumerate(self.rows[first : first + MAX_ROWS], start=first):
            style = "reverse" if self.has_focus and index == self.cursor else ""
            text.append("\n")
            if row.refusal is not None:
                text.append(f"  ✗ {row.label}: {row.refusal}", style=f"{style} bold".strip())
                continue
            state = "sent, no answer yet" if row.sent else "waiting for the link"
            text.append(f"  {age(row.age_s)}  {row.label}", style=style)
            text.append(f"  {state}", style=f"{style} dim".strip())
        if len(self.rows) > MAX_ROWS:
            text.append(f"\n  … {len(self.rows) - MAX_ROWS} more (↑/↓)", style="dim")
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        self.cursor = max(0, min(self.cursor + step, len(self.rows) - 1))
        self.refresh()

    def action_cancel(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.cursor]
        self.link.cancel(row.command_id)
        self.refresh_rows()

    def action_leave(self) -> None:
        if self.came_from is not None and self.came_from.is_attached:
            self.came_from.focus()
        else:
            self.screen.focus_next()
        self.came_from = None
