"""One browser tab's workstation: the usual app, opening on the sign-in screen with no token."""

from __future__ import annotations

from ..app import HurriNetApp
from ..link import Backoff, ServerLink


class BrowserWorkstation(HurriNetApp):
    """The workstation as `hurrinet web` runs it for each tab."""

    def _fatal_error(self) -> None:
        # Textual prints a crash's traceback with every frame's local variables, and this
        # process's errors end up in the gateway's output: a local may hold the typed token
        # (the sign-in's, the link's Authorization header). The same traceback, without them.
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self.panic(traceback)


def build_browser_workstation(url: str, **shell) -> BrowserWorkstation:
    """`shell`: HurriNetApp's look-and-lock keywords (idle_lock_s, monochrome, config_theme,
    preferences_dir). The link has no token: the sign-in screen gives it one."""
    link = ServerLink(url, "", backoff=Backoff())
    return BrowserWorkstation(link, sign_in=True, **shell)
