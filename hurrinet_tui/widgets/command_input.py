"""The command line: always one key (`:`) away, Tab completes, ↑/↓ walk the history."""

from __future__ import annotations

import os

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from ..command_line import complete
from ..replica import Replica


class CommandInput(Input):
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("escape", "leave", "Back to the board", show=False),
    ]

    class Candidates(Message):
        """Several completions: the screen shows them without taking focus."""

        def __init__(self, candidates: list[str]) -> None:
            super().__init__()
            self.candidates = candidates

    class Left(Message):
        pass

    def __init__(self, replica: Replica, **kwargs) -> None:
        # Never select what a prefill key put there: the first letter typed must add to the verb.
        super().__init__(placeholder=": command — F1 lists them (e.g. ni flood a @ castries market)",
                         select_on_focus=False, **kwargs)
        self.replica = replica
        self.history: list[str] = []
        self._position = 0
        self._cycle: list[str] = []

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._position = len(self.history)

    def action_complete(self) -> None:
        if self._cycle and self.value in self._cycle:
            # Tab again: the next candidate.
            self.value = self._cycle[(self._cycle.index(self.value) + 1) % len(self._cycle)]
            self.cursor_position = len(self.value)
            return
        candidates = complete(self.value, self.replica)
        if not candidates:
            self.app.bell()
            return
        if len(candidates) == 1:
            self.value = candidates[0] + " "
            self._cycle = []
        else:
            shared = os.path.commonprefix(candidates)
            self._cycle = candidates if len(shared) <= len(self.value) else []
            self.value = candidates[0] if self._cycle else shared
            self.post_message(self.Candidates(candidates))
        self.cursor_position = len(self.value)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_leave(self) -> None:
        self.value = ""
        self.post_message(self.Left())
