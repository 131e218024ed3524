"""HurriNetApp: the workstation. Wires the link to the screens; the screens do the rest.

Around them the app keeps the shell: the idle lock, the theme, and the user's preferences.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.notifications import SeverityLevel

from . import themes
from .idle import DEFAULT_MINUTES, IdleClock
from .keymap import app_bindings
from .link import LinkStatus, ServerLink
from .messages import LinkStatusChanged, PreferencesLoaded, ReplicaChanged
from .palette import DispatchCommands
from .preferences import Preferences, file_name
from .replica import Update
from .screens.advisory import AdvisoryScreen
from .screens.detail import DetailScreen
from .screens.help import HelpScreen
from .screens.lock import LockScreen
from .screens.main import MainScreen
from .screens.map import MapScreen
from .screens.sign_in import SignInScreen
from .screens.supervisor import SupervisorScreen
from .widgets.incident_detail import IncidentDetail

HERE = Path(__file__).parent
DEFAULT_IDLE_LOCK_S = DEFAULT_MINUTES * 60
# While locked no app action runs: the rest could show what the lock hides, and quitting would
# let anyone at the desk end the shift's session (the lock offers no way out but unlocking).
ALLOWED_WHILE_LOCKED: frozenset[str] = frozenset()
# Before sign-in there is nothing to protect and no session to keep: quitting ends the browser's.
ALLOWED_WHILE_SIGNING_IN: frozenset[str] = frozenset({"quit"})
FOLLOW_THE_REPLICA = (MainScreen, DetailScreen, AdvisoryScreen, MapScreen, SupervisorScreen, LockScreen)

log = logging.getLogger("hurrinet.workstation")


def _now() -> datetime:
    return datetime.now(UTC)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


@dataclass
class AppState:
    link: ServerLink
    now: Callable[[], datetime] = _now
    simulation_running: bool | None = None  # None: not known (F9 then pauses, the safe guess)
    pending: Update = field(default_factory=Update)
    flushing: bool = False
    # In memory until the server names the user; then the user's file (see load_preferences).
    preferences: Preferences = field(default_factory=Preferences)


class HurriNetApp(App):
    TITLE = "HurriNet Dispatch"
    CSS_PATH = [HERE / "app.tcss", *sorted((HERE / "widgets").glob("*.tcss")), *sorted((HERE / "screens").glob("*.tcss")),
                HERE / "monochrome.tcss"]  # fmt: skip
    COMMANDS = App.COMMANDS | {DispatchCommands}
    BINDINGS = app_bindings()

    def __init__(
        self,
        link: ServerLink,
        now: Callable[[], datetime] = _now,
        simulation: bool | None = None,
        start_link: bool = True,
        *,
        idle_lock_s: float | None = DEFAULT_IDLE_LOCK_S,
        monochrome: bool = False,
        config_theme: str | None = None,
        preferences_dir: Path | None = None,
        lock_hint: str = "",
        sign_in: bool = False,
    ) -> None:
        """`idle_lock_s`: lock after this long without input (None or 0: never). `monochrome`:
        grey scale for this session whatever the preferences say (NO_COLOR does the same).
        `config_theme`: the machine's default theme, until the user's own preference is known.
        `preferences_dir`: where per-user preferences live (None: kept in memory only).
        `sign_in`: open on the sign-in screen, with a link that has no token yet (`hurrinet web`):
        the link starts once the screen has a token the server took."""
        super().__init__()
        self.state = AppState(link, now, simulation)
        self.start_link = start_link
        self.main_screen = MainScreen(self.state)
        self.idle = IdleClock(idle_lock_s) if idle_lock_s else None
        self.lock_screen: LockScreen | None = None
        self.lock_hint = lock_hint
        self.signing_in = sign_in
        self.preferences_dir = preferences_dir
        self.preferences_user: str | None = None
        self._early_preferences: dict[str, str | None] = {}
        self._held_notifications: list[tuple[str, dict[str, Any]]] = []
        self._saving_failed = False
        self._theme_from_code = False
        self.register_theme(themes.MONOCHROME_THEME)
        self.forced_theme = themes.MONOCHROME if monochrome or self.no_color else None
        self._use_theme(self.forced_theme or config_theme or themes.DEFAULT)

    async def on_mount(self) -> None:
        link = self.state.link
        link.status_listeners.append(self._status_changed)
        link.update_listeners.append(self._replica_changed)
        await self.push_screen(self.main_screen)  # mounted before it is told the preferences
        if link.status.user:
            self.load_preferences(link.status.user)
        if self.signing_in:
            await self.push_screen(SignInScreen(self.state), callback=self._signed_in)
            return
        if self.start_link:
            link.start()
        self._arm_idle_lock()

    def _signed_in(self, _result: None) -> None:
        self.signing_in = False
        if self.idle is not None:
            self.idle.touch()  # idle from now on, not from the page's opening
        self._arm_idle_lock()

    def _arm_idle_lock(self) -> None:
        if self.idle is not None:
            self.set_timer(self.idle.limit_s, self._check_idle)

    async def on_unmount(self) -> None:
        await self.state.link.close()

    async def on_event(self, event: events.Event) -> None:
        # Every key and mouse event passes here first: stamping a time is all it may cost.
        if self.idle is not None and isinstance(event, (events.Key, events.MouseEvent, events.Paste)):
            self.idle.touch()
        await super().on_event(event)

    # --- from the link (same event loop, outside Textual's message flow) ----------------------
    def _status_changed(self, status: LinkStatus) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, LockScreen):
                screen.show_status(status)
            else:
                screen.post_message(LinkStatusChanged(status))
        if status.user and self.preferences_user is None:
            self.load_preferences(status.user)

    def _replica_changed(self, update: Update) -> None:
        # A burst of events becomes one repaint: collect, then flush once the burst is read.
        self.state.pending.merge(update)
        if not self.state.flushing:
            self.state.flushing = True
            self.call_later(self._flush_updates)

    def _flush_updates(self) -> None:  # not `_flush`: Textual has one (stdout capture)
        # Screens under the lock are updated too, so unlocking shows the board as it is now.
        update, self.state.pending, self.state.flushing = self.state.pending, Update(), False
        for screen in self.screen_stack:
            # Only the screens that show the replica: a message to Textual's default screen under
            # them made every event repaint the whole screen (a full frame instead of one row).
            if isinstance(screen, FOLLOW_THE_REPLICA):
                screen.post_message(ReplicaChanged(update))

    # --- the idle lock ------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.lock_screen is not None

    def _check_idle(self) -> None:
        if self.idle is None or self.locked:
            return  # armed again on unlock
        left = self.idle.remaining()
        if left > 0:
            self.set_timer(left, self._check_idle)
        else:
            self.lock(f"Locked after {_duration(self.idle.limit_s)} without a key or the mouse.")

    def action_lock(self) -> None:
        self.lock("Locked with Ctrl+L.")

    def lock(self, reason: str) -> None:
        """Cover everything until the token is typed again; the link stays up underneath."""
        if self.locked:
            return
        self.clear_notifications()  # a toast is drawn over any screen, the lock included
        self.lock_screen = LockScreen(self.state, reason, self.lock_hint)
        self.push_screen(self.lock_screen, callback=self._unlocked)

    def _unlocked(self, _result: None) -> None:
        self.lock_screen = None
        held, self._held_notifications = self._held_notifications, []
        for message, options in held:
            self.notify(message, **options)
        if self.idle is not None:
            self.idle.touch()
            self.set_timer(self.idle.limit_s, self._check_idle)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.signing_in:
            return action in ALLOWED_WHILE_SIGNING_IN
        return not self.locked or action in ALLOWED_WHILE_LOCKED

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:  # fmt: skip
        options = {"title": title, "severity": severity, "timeout": timeout, "markup": markup}
        if self.locked:
            self._held_notifications.append((message, options))  # shown once unlocked
            return
        super().notify(message, **options)

    # --- theme --------------------------------------------------------------------------------
    def _use_theme(self, name: str) -> None:
        """A theme the workstation picks (start-up, preferences), as opposed to the user's choice."""
        self._theme_from_code = True
        try:
            self.theme = name
        finally:
            self._theme_from_code = False

    def validate_theme(self, name: str) -> str:
        # Textual chooses its NO_COLOR filter once, for the truecolour theme the app starts with;
        # through it an ANSI theme's "terminal default" colours come out black on black.
        if self.no_color and self.available_themes[name].ansi:
            return themes.MONOCHROME
        return name

    def watch_theme(self, name: str) -> None:
        # Text styles instead of colour cues: in grey, without colour, and in the terminal's 16
        # colours too (there the cursor, "available" and "on scene" are all the same green).
        low_colour = name == themes.MONOCHROME or self.no_color or self.available_themes[name].ansi
        self.set_class(low_colour, "-monochrome")
        if not self._theme_from_code:  # Ctrl+T or the palette's theme list: the user chose
            self.update_preferences(theme=name)

    def action_next_theme(self) -> None:
        self.theme = themes.next_theme(self.theme, ansi=not self.no_color)
        self.notify(f"Theme: {themes.label(self.theme)} (Ctrl+T for the next)", timeout=3)

    # --- preferences --------------------------------------------------------------------------
    def load_preferences(self, user: str) -> None:
        """The user's preferences, once the server has said who the user is."""
        self.preferences_user = user
        kept = self.state.preferences
        if self.preferences_dir is not None:
            self.state.preferences = Preferences.load(self.preferences_dir / file_name(user))
        preferences = self.state.preferences
        if preferences.problem:
            log.warning("preferences ignored: %s", preferences.problem)
            self.notify(f"Your saved preferences could not be read and are ignored: {preferences.problem}",
                        severity="warning", markup=False)  # fmt: skip
        if self._early_preferences and preferences is not kept:
            # Chosen in the moments before the server named the user: newer than the file.
            preferences.change(**self._early_preferences)
            self._save_preferences()
        self._early_preferences = {}
        if preferences.theme and not self.forced_theme:
            try:
                self._use_theme(themes.theme_name(preferences.theme))
            except themes.UnknownTheme as error:
                self.notify(f"Saved theme ignored: {error}", severity="warning", markup=False)
        for screen in self.screen_stack:
            screen.post_message(PreferencesLoaded(preferences))

    def update_preferences(self, **changes: str | None) -> None:
        """Change preferences (e.g. `layout="triage"`) and keep them in the user's file."""
        if not self.state.preferences.change(**changes):
            return
        if self.preferences_user is None:
            self._early_preferences.update(changes)
        self._save_preferences()

    def _save_preferences(self) -> None:
        try:
            self.state.preferences.save()
        except OSError as error:
            log.warning("preferences not saved: %s", error)
            if not self._saving_failed:  # said once: a full disk would say it on every key
                self._saving_failed = True
                self.notify(f"Preferences are not being saved: {error}", severity="warning", markup=False)

    # --- actions ----------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_detail(self, incident_id: str | None) -> None:
        detail = IncidentDetail(self.state.link.replica, self.main_screen.zone, self.state.link)
        detail.incident_id = incident_id
        self.push_screen(DetailScreen(detail))
