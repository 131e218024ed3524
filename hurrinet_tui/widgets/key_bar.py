"""The footer: the keys of what has focus, first, then the screen's; never a key cut in half.

Made from the screen's active bindings (which `keymap.py` makes from the action table), so it
shows exactly what a key would do here: on the board the incident keys, on the roster the unit
keys, in a form only the keys that work there.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

SEPARATOR = "  "


class KeyBar(Widget):
    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def items(self) -> list[tuple[str, str]]:
        """(key as shown, label) for each binding shown, in the order of the focus chain."""
        seen: set[str] = set()
        items = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            items.append((binding.key_display or self.app.get_key_display(binding), binding.description))
        # F1 first: whatever has focus, the way to every other key is always on screen.
        return sorted(items, key=lambda item: item[1] != "Help")

    def render(self) -> Text:
        width = self.size.width
        text = Text(" ")
        for key, label in self.items():
            piece = Text.assemble((key, "bold"), " ", label)
            if text.cell_len + len(SEPARATOR) + piece.cell_len > width:
                break  # whole items or nothing: a label cut short says the wrong thing
            if len(text) > 1:
                text.append(SEPARATOR)
            text.append_text(piece)
        return text
