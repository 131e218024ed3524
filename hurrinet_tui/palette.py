"""The command palette (Ctrl+P): the action table's rows, offered only where they fit the selection."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from .actions import ACTIONS, Action
from .command_line import Context, short_id


def offers(context: Context) -> list[tuple[str, Action]]:
    """(title, row) for every row the palette offers with this selection (pure)."""
    selected = {"incident": context.selected_incident, "unit": context.selected_unit, "call": context.call_on_line}
    found = []
    for action in ACTIONS:
        if not action.palette or (action.needs and selected[action.needs] is None):
            continue
        target = ""
        if action.needs == "incident":
            target = f" — incident #{short_id(context.selected_incident)}"
        elif action.needs == "unit":
            target = f" — unit {context.selected_unit}"
        elif action.needs == "call":
            target = f" — call {short_id(context.call_on_line)}"
        found.append((action.palette + target, action))
    return found


def hint(action: Action) -> str:
    """The palette's help line: the key and the command-line form."""
    parts = [f"key {action.key_display}" if action.key else "", f"command: {action.usage}" if action.verb else ""]
    return escape(" · ".join(p for p in parts if p) or action.help)


class DispatchCommands(Provider):
    def _offers(self) -> list[tuple[str, Action]]:
        return offers(self.app.main_screen.context())

    def _callback(self, action: Action):
        if action.scope == "app":
            return partial(self.app.call_next, self.app.run_action, action.method)
        return partial(self.app.main_screen.perform, action)

    async def discover(self) -> Hits:
        for title, action in self._offers():
            yield DiscoveryHit(title, self._callback(action), help=hint(action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in self._offers():
            score = matcher.match(title)
            if action.verb:
                score = max(score, matcher.match(action.verb) * (1.0 if query == action.verb else 0.5))
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._callback(action), help=hint(action))
