"""The workstation's looks: Textual's own themes plus a grey-scale one that still reads.

Colour is never the only signal: `monochrome.tcss` gives every state that a colour marks a text
style of its own, and the app turns it on with the monochrome theme or when NO_COLOR is set.
"""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES, Theme

DEFAULT = "textual-dark"
MONOCHROME = "hurrinet-monochrome"

# Greys chosen so that each role still differs in lightness from its neighbours: the cursor
# ($accent) from the surface, the header and bars ($panel) from the board, errors brightest.
MONOCHROME_THEME = Theme(
    name=MONOCHROME,
    primary="#a8a8a8",
    secondary="#808080",
    accent="#6a6a6a",
    warning="#d0d0d0",
    error="#ffffff",
    success="#bcbcbc",
    foreground="#e4e4e4",
    background="#000000",
    surface="#121212",
    panel="#303030",
    boost="#1c1c1c",
    dark=True,
)

# Ctrl+T walks these: colour, grey scale, and the terminal's own 16 colours (low-colour
# terminals and consoles where truecolour turns to mud).
CYCLE = (DEFAULT, MONOCHROME, "ansi-dark")

ALIASES = {"default": DEFAULT, "dark": DEFAULT, "light": "textual-light", "monochrome": MONOCHROME,
           "mono": MONOCHROME, "ansi": "ansi-dark", "low-colour": "ansi-dark", "low-color": "ansi-dark"}  # fmt: skip


class UnknownTheme(ValueError):
    pass


def known_themes() -> list[str]:
    return sorted({*ALIASES, *BUILTIN_THEMES, MONOCHROME})


def theme_name(choice: str) -> str:
    """The Textual theme for a name a person wrote (config, preferences): an alias or a theme."""
    wanted = choice.strip().lower()
    if wanted in ALIASES:
        return ALIASES[wanted]
    if wanted in BUILTIN_THEMES or wanted == MONOCHROME:
        return wanted
    raise UnknownTheme(f"unknown theme {choice!r}; choose one of: {', '.join(known_themes())}")


def next_theme(current: str, ansi: bool = True) -> str:
    """The theme after `current` in the cycle; `ansi=False` leaves out the terminal-colour one."""
    cycle = [name for name in CYCLE if ansi or not BUILTIN_THEMES.get(name, MONOCHROME_THEME).ansi]
    return cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else cycle[0]


def label(name: str) -> str:
    return {DEFAULT: "colour", MONOCHROME: "monochrome", "ansi-dark": "terminal colours (16)"}.get(name, name)
