"""A one-line question before anything is destroyed (close, out of service, unassign, …).

Like k9s and lazygit: the question appears in place, the answer is No until the dispatcher
says otherwise. `y` (or ←/→) moves the choice to Yes and the bar then says that Enter means
yes; Enter acts on the choice shown; `n` or Esc cancel. Any other key is swallowed, so text
typed by mistake cannot answer; moving the focus away cancels too.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget


class ConfirmBar(Widget, can_focus=True):
    BINDINGS = [
        Binding("y", "choose(True)", "Yes", show=False),
        Binding("left,right,tab,shift+tab", "toggle", "Switch", show=False, priority=True),
        Binding("enter", "answer", "Answer", show=False),
        Binding("n,escape", "cancel", "No", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question = ""
        self.yes = False
        self._then: Callable[[], None] | None = None
        self._back_to: Widget | None = None

    def on_mount(self) -> None:
        self.display = False

    @property
    def asking(self) -> bool:
        return self._then is not None

    def ask(self, question: str, then: Callable[[], None], back_to: Widget | None = None) -> None:
        """Show `question`; call `then` only on an explicit yes. The focus then goes back to
        `back_to` (default: where it was)."""
        self.question, self.yes, self._then = question, False, then
        self._back_to = back_to or self.app.focused
        self.display = True
        self.refresh()
        self.focus()

    def render(self) -> Text:
        text = Text(f" {self.question} ", style="bold")
        text.append(" No ", style="reverse bold" if not self.yes else "")
        text.append(" ")
        text.append(" Yes ", style="reverse bold" if self.yes else "")
        text.append("   Enter = yes · n/Esc = no" if self.yes else "   y: yes · Enter/n/Esc = no", style="italic")
        return text

    def action_choose(self, yes: bool) -> None:
        self.yes = yes
        self.refresh()

    def action_toggle(self) -> None:
        self.action_choose(not self.yes)

    def action_answer(self) -> None:
        then = self._then if self.yes else None
        self._close()
        if then is not None:
            then()

    def action_cancel(self) -> None:
        self._close()

    def on_key(self, event: events.Key) -> None:
        # Stray typing stops here: it neither answers nor reaches the board behind the bar.
        if event.is_printable and event.key not in ("y", "n"):
            event.stop()
            event.prevent_default()
            self.action_choose(False)

    def on_blur(self) -> None:
        if self.asking:
            self._close(restore_focus=False)

    def _close(self, restore_focus: bool = True) -> None:
        self._then, self.yes = None, False
        self.display = False
        back, self._back_to = self._back_to, None
        if restore_focus and back is not None and back.is_attached:
            back.focus()
