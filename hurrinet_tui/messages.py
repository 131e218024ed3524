"""App-wide Textual messages: what the app tells its screens (instead of probing them)."""

from __future__ import annotations

from textual.message import Message

from .link import LinkStatus
from .preferences import Preferences
from .replica import Update


class ReplicaChanged(Message):
    """The replica changed (a burst of events becomes one of these)."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update


class LinkStatusChanged(Message):
    def __init__(self, status: LinkStatus) -> None:
        super().__init__()
        self.status = status


class PreferencesLoaded(Message):
    """The user's saved preferences, once the server has named the user."""

    def __init__(self, preferences: Preferences) -> None:
        super().__init__()
        self.preferences = preferences
