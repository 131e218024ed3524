"""The command palette (Ctrl+P): every command, offered only where it fits the selection."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from .command_line import VERBS, Verb

UNIT_VERBS = {"av", "avs", "er", "os", "oos", "cf", "ua", "ra"}
# Verbs complete without more words: the palette runs them; the others fill the command line.
COMPLETE = {"d", "cl", "ended", "sim", "help", "sup"}


class DispatchCommands(Provider):
    def _offers(self) -> list[tuple[str, Verb]]:
        screen = self.app.main_screen
        context = screen.context()
        offers = []
        for verb in VERBS:
            if verb.needs_incident and context.selected_incident is None:
                continue
            if verb.key in UNIT_VERBS and context.selected_unit is None:
                continue
            target = ""
            if verb.needs_incident:
                target = f" — incident #{context.selected_incident[:6]}"
            elif verb.key in UNIT_VERBS:
                target = f" — unit {context.selected_unit}"
            offers.append((f"{verb.summary.capitalize()}{target}", verb))
        return offers

    def _callback(self, verb: Verb):
        screen = self.app.main_screen
        unit = screen.context().selected_unit
        if verb.key in UNIT_VERBS and verb.key != "ra":
            return partial(screen.run_line, f"{verb.key} {unit}")
        if verb.key == "ra":
            return partial(screen.action_prefill, f"ra {unit} #")
        if verb.key in COMPLETE:
            return partial(screen.run_line, verb.key)
        return partial(screen.action_prefill, f"{verb.key} ")

    async def discover(self) -> Hits:
        for title, verb in self._offers():
            yield DiscoveryHit(title, self._callback(verb), help=escape(verb.usage))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, verb in self._offers():
            score = max(matcher.match(title), matcher.match(verb.key) * (1.0 if query == verb.key else 0.5))
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._callback(verb), help=escape(verb.usage))
