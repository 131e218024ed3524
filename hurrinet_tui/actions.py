"""Every action of the main screen, declared once (pure, no Textual).

The key bindings (`keymap.py`), the command-line verbs (`command_line.py`), the command palette
(`palette.py`) and the help screen (`screens/help.py`) are all made from `ACTIONS`, so a key, a
verb and its description cannot drift apart. A row says where its key works (`scope`), what it
needs selected, and whether it destroys something (then the dispatcher is asked first).

Where a key works, and why:
- `app`: anywhere, even over the lock's covering screens (quit, lock, theme).
- `screen`: anywhere on the main screen, also while typing in a form: function and Ctrl keys only,
  so no letter typed into a field can ever reach them.
- `lists`: while the board or the roster has focus (printable keys).
- `board`: while the board has focus; it acts on the incident under the cursor.
- `roster`: while the roster has focus; it acts on the unit under the cursor.
A printable key is never bound in `app` or `screen` (tests/tui/test_actions.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPES = ("app", "screen", "lists", "board", "roster")


@dataclass(frozen=True)
class Action:
    name: str  # unique; the binding's action parameter
    help: str  # one line on the help screen
    key: str | None = None  # Textual key names, comma-separated ("colon,space"); None: no key
    key_display: str = ""  # how the help, palette and footer write the key ("F2", ":")
    label: str = ""  # the footer's short label
    scope: str = "screen"
    verb: str | None = None  # the command-line verb
    aliases: tuple[str, ...] = ()
    usage: str = ""  # the verb's syntax
    palette: str = ""  # the palette's text ("": not offered there)
    needs: str | None = None  # "incident" (board), "unit" (roster), "call" (call form) or None
    destructive: bool = False  # asks for an explicit yes before it acts
    # What the key or palette entry does: the first of these that is set. A local verb (one the
    # workstation answers itself, like `rec`) runs the `method` too.
    method: str = ""  # a screen (or, in `app` scope, an app) action
    fill: str = ""  # put this on the command line, cursor after it, for the dispatcher to finish
    line: str = ""  # run this command line ("{unit}": the callsign under the roster's cursor)
    priority: bool = False  # works inside a text field too (Ctrl keys of the call on the line)
    show: bool = True  # in the footer


ACTIONS: tuple[Action, ...] = (
    # --- anywhere -------------------------------------------------------------------------------
    Action("quit", "quit the workstation", "ctrl+q", "^Q", "Quit", "app", method="quit", priority=True),
    Action("lock", "lock the workstation now", "ctrl+l", "^L", "Lock", "app", method="lock", priority=True,
           palette="Lock the workstation now"),
    Action("theme", "next theme: colour, grey, terminal colours (remembered)", "ctrl+t", "^T", "Theme", "app",
           method="next_theme", priority=True, show=False),
    Action("palette", "command palette: what fits the selection", "ctrl+p", "^P", "Palette", "app",
           method="command_palette", priority=True),
    # --- on the main screen, also inside a form ----------------------------------------------------
    Action("help", "every key and command (this screen)", "f1", "F1", "Help", verb="help", aliases=("?",),
           usage="help", method="app.help", palette="List keys and commands"),
    Action("focus_board", "the board (incidents)", "f2", "F2", "Board", method="focus_board", show=False),
    Action("focus_roster", "the roster (units)", "f3", "F3", "Roster", method="focus_roster", show=False),
    Action("focus_detail", "the incident's detail (again: its next tab)", "f4", "F4", "Detail",
           method="focus_detail", show=False),
    Action("layout_call", "layout: call taking", "f5", "F5", "Call layout", method="preset('call')", show=False,
           palette="Call-taking layout"),
    Action("layout_incident", "layout: incident", "f6", "F6", "Incident layout", method="preset('incident')",
           show=False, palette="Incident layout"),
    Action("layout_board", "layout: board", "f7", "F7", "Board layout", method="preset('board')", show=False,
           palette="Board layout"),
    Action("layout_roster", "layout: roster", "f8", "F8", "Roster layout", method="preset('roster')", show=False,
           palette="Roster layout"),
    Action("simulation", "pause or resume the demo simulation", "f9", "F9", "Simulation", verb="sim",
           aliases=("simulation",), usage="sim", method="simulation", palette="Pause or resume the demo simulation",
           show=False),
    Action("confirm_timed_out", "confirm by hand the dispatch that just timed out", "f10", "F10", "Confirm timeout",
           method="confirm_timed_out", show=False),
    Action("resources", "resources, and the selected incident's needs and allocations", "f12", "F12", "Resources",
           verb="res", aliases=("resources",), usage="res", method="resources", palette="Resources", show=False),
    Action("supervisor", "supervisor: response times against targets, waiting, utilisation, overdue flags",
           "ctrl+s", "^S", "Supervisor", verb="sup", aliases=("supervisor", "stats"), usage="sup",
           method="supervisor", palette="Supervisor: response times, waiting, overdue", show=False),
    Action("pending", "the commands waiting for the link (↑/↓ pick, Del cancels, Esc back)", "f11", "F11",
           "Pending", method="focus_pending", palette="Commands waiting for the link", show=False),
    Action("retry", "reconnect now", "ctrl+r", "^R", "Retry", method="retry", palette="Reconnect now", show=False),
    Action("new_call", "take a new call (or `call #CALL`: bring an active call back)", "ctrl+n", "^N", "Call",
           verb="call", aliases=("nc",), usage="call [#CALL]", method="new_call", palette="Take a new call",
           priority=True),
    Action("end_call", "end the call on the line (its outcome, and the reason for it, must be set)", "ctrl+e",
           "^E", "End call", verb="ec", aliases=("endcall",), usage="ec", method="end_call", needs="call",
           palette="End the call", priority=True, show=False),
    Action("incident_from_call", "create an incident from the call on the line", "ctrl+o", "^O", "Incident",
           verb="ci", aliases=("fromcall",), usage="ci", method="incident_from_call", needs="call",
           palette="Create an incident from the call", priority=True, show=False),
    Action("attach_call", "attach the call on the line to the selected incident", "ctrl+b", "^B", "Attach",
           verb="at", aliases=("attach",), usage="at [#INC]", method="attach_call", needs="call",
           palette="Attach the call to the selected incident", priority=True, show=False),
    Action("copy_location", "copy the call's location to its incident", "ctrl+y", "^Y", "Location → incident",
           verb="cpl", aliases=("copylocation",), usage="cpl", method="copy_location", needs="call",
           palette="Copy the call's location to its incident", priority=True, show=False),
    Action("detach_call", "detach the call on the line from its incident", verb="dt", aliases=("detach",),
           usage="dt", line="dt", needs="call", palette="Detach the call from its incident"),
    Action("dismiss_vicinity", "leave the vicinity view (incidents near the call) for the whole board", "escape",
           "Esc", "Whole board", method="dismiss_vicinity", show=False),
    # --- the board and the roster ---------------------------------------------------------------------
    Action("command_line", "command line (Tab completes, ↑/↓ history, Esc back)", "colon,space", ":", "Command",
           "lists", method="command_line"),
    Action("find", "find: filter the board and roster (empty: clear)", "slash", "/", "Find", "lists", verb="f",
           aliases=("find", "filter"), usage="f [TEXT]", fill="f ", palette="Find (filter board and roster)"),
    Action("ended", "show or hide ended incidents", "e", "e", "Ended", "lists", verb="ended",
           aliases=("showended",), usage="ended", line="ended", palette="Show or hide ended incidents", show=False),
    Action("sort", "sort the focused list by the next column (the header marks it)", "s", "s", "Sort", "lists",
           method="sort", show=False),
    Action("map", "the live map: incidents, units, the selected incident and its recommended units", "m", "m",
           "Map", "lists", verb="map", usage="map", method="map", palette="Live map", show=False),
    Action("archive", "the archive: search ended incidents moved off the board, read one whole (read only)", "A",
           "A", "Archive", "lists", verb="arc", aliases=("archive",), usage="arc [WORDS]", method="archive",
           palette="Search the archive", show=False),
    Action("recommend", "recommended units and the suggested type for the selected incident", "w", "w",
           "Recommend", "lists", verb="rec", aliases=("recommend",), usage="rec", method="recommend", needs="incident",
           palette="Recommend units", show=False),
    Action("recommend_all", "recommendations for every waiting incident (a surge)", "W", "W", "All waiting",
           "lists", verb="wait", aliases=("waiting",), usage="wait", method="recommend_all",
           palette="Recommendations for every waiting incident", show=False),
    # --- an incident (the board) -----------------------------------------------------------------------
    Action("new_incident", "new incident (`ni flood a @ castries market // water rising`)", "n", "n", "New",
           "board", verb="ni", aliases=("new",), usage="ni [TYPE] [A–D|N] [@ PLACE] [// DESCRIPTION]", fill="ni ",
           palette="New incident"),
    Action("assign", "assign units (er/os: already en route/on scene)", "a", "a", "Assign", "board", verb="as",
           aliases=("assign",), usage="as [#INC] UNIT… [er|os]", fill="as ", needs="incident",
           palette="Assign units"),
    Action("dispatch", "dispatch assigned units (all if none named)", "d", "d", "Dispatch", "board", verb="d",
           aliases=("dispatch",), usage="d [#INC] [UNIT…]", line="d", needs="incident",
           palette="Dispatch the assigned units"),
    Action("close", "close the incident (asks first; refused, naming them, while units are on it)", "c", "c",
           "Close", "board", verb="cl", aliases=("close",), usage="cl [#INC]", line="cl", needs="incident",
           palette="Close the incident", destructive=True),
    Action("set_type", "set the incident type", "t", "t", "Type", "board", verb="ty", aliases=("type",),
           usage="ty [#INC] TYPE", fill="ty ", needs="incident", palette="Set the type"),
    Action("set_priority", "set the priority", "p", "p", "Priority", "board", verb="pr", aliases=("priority",),
           usage="pr [#INC] A–D|N", fill="pr ", needs="incident", palette="Set the priority"),
    Action("locate", "set the location from the gazetteer", "g", "g", "Locate", "board", verb="lo",
           aliases=("locate", "location"), usage="lo [#INC] PLACE", fill="lo ", needs="incident",
           palette="Set the location"),
    Action("set_state", "move the incident's state", "S", "S", "State", "board", verb="st", aliases=("state",),
           usage="st [#INC] queued|active|monitored", fill="st ", needs="incident", palette="Move the state"),
    Action("note", "add a note to the incident log", "l", "l", "Note", "board", verb="no", aliases=("note",),
           usage="no [#INC] TEXT", fill="no ", needs="incident", palette="Add a note"),
    # --- a unit (the roster) --------------------------------------------------------------------------
    Action("assign_unit", "assign this unit to the selected incident", "a", "a", "Assign", "roster",
           line="as {unit}", needs="unit", palette="Assign this unit to the selected incident"),
    Action("available", "available on radio", "v", "v", "Avail radio", "roster", verb="av", aliases=("available",),
           usage="av UNIT…", line="av {unit}", needs="unit", palette="Available on radio"),
    Action("available_station", "available at station", "V", "V", "Avail stn", "roster", verb="avs",
           aliases=("station",), usage="avs UNIT…", line="avs {unit}", needs="unit",
           palette="Available at station"),
    Action("en_route", "en route", "r", "r", "En route", "roster", verb="er", aliases=("enroute",),
           usage="er UNIT…", line="er {unit}", needs="unit", palette="En route"),
    Action("on_scene", "on scene", "o", "o", "On scene", "roster", verb="os", aliases=("onscene",),
           usage="os UNIT…", line="os {unit}", needs="unit", palette="On scene"),
    Action("out_of_service", "out of service (asks first)", "x", "x", "Out of svc", "roster", verb="oos",
           aliases=("outofservice", "unavailable"), usage="oos UNIT…", line="oos {unit}", needs="unit",
           palette="Out of service", destructive=True),
    Action("confirm", "confirm a dispatch by hand (radio contact)", "f", "f", "Confirm", "roster", verb="cf",
           aliases=("confirm",), usage="cf UNIT…", line="cf {unit}", needs="unit",
           palette="Confirm the dispatch by hand"),
    Action("unassign", "undo an assignment before dispatch (asks first)", "u", "u", "Unassign", "roster",
           verb="ua", aliases=("unassign",), usage="ua UNIT…", line="ua {unit}", needs="unit",
           palette="Unassign", destructive=True),
    Action("release", "release from its incident a unit already available over radio (asks first)", "L", "L",
           "Release", "roster", verb="rl", aliases=("release",), usage="rl UNIT…", line="rl {unit}", needs="unit",
           palette="Release from its incident", destructive=True),
    Action("reassign", "move assigned units to another incident (asks first)", "R", "R", "Reassign", "roster",
           verb="ra", aliases=("reassign",), usage="ra UNIT… #INC", fill="ra {unit} #", needs="unit",
           palette="Reassign to another incident", destructive=True),
)  # fmt: skip

BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}
BY_VERB: dict[str, Action] = {a.verb: a for a in ACTIONS if a.verb}
DESTRUCTIVE_VERBS = frozenset(a.verb for a in ACTIONS if a.destructive and a.verb)


def in_scope(scope: str) -> tuple[Action, ...]:
    """The rows whose key works in `scope`."""
    return tuple(a for a in ACTIONS if a.scope == scope and a.key)


def is_printable(key: str) -> bool:
    """Whether a Textual key name is a character a dispatcher types into a field."""
    return len(key) == 1 or key in ("colon", "space", "slash", "question_mark")
