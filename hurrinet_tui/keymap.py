"""Textual key bindings made from the action table (`actions.py`): nothing is bound by hand."""

from __future__ import annotations

from textual.binding import Binding

from .actions import ACTIONS, Action, in_scope


def binding(action: Action, target: str = "") -> Binding:
    """The row's key; `target` is the namespace its action runs in ("screen." from a widget)."""
    assert action.key is not None
    run = action.method if action.scope == "app" else f"{target}act('{action.name}')"
    return Binding(action.key, run, action.label, show=action.show, key_display=action.key_display or None,
                   priority=action.priority, id=action.name)  # fmt: skip


def app_bindings() -> list[Binding]:
    return [binding(a) for a in in_scope("app")]


def screen_bindings() -> list[Binding]:
    return [binding(a) for a in in_scope("screen")]


def list_bindings(scope: str) -> list[Binding]:
    """For the board or the roster: its own rows, then those of both lists. They run on the
    screen, so they only fire while that list has focus (never from inside a form)."""
    return [binding(a, "screen.") for a in (*in_scope(scope), *in_scope("lists"))]


def bound_names(bindings: list[Binding]) -> list[str]:
    return [b.id for b in bindings if b.id]


__all__ = ["ACTIONS", "app_bindings", "bound_names", "list_bindings", "screen_bindings"]
