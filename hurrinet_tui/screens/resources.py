"""Shelters, medical, supplies and water: capacity, use and status live from the replica; for an
incident, its needs and their allocations, made and released from the keyboard; and the
server's resource suggestions (`recommend.resources`), accepted one `resource.allocate` a line.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from ..advice import RESOURCE_TYPES, InputError, default_quantity, free_room, parse_need, still_needed, whole_number
from ..link import CommandFailed
from ..replica import Entity, Update
from ..widgets.grid import VirtualGrid
from ..widgets.resource_grids import NeedGrid, ResourceGrid, SuggestionGrid
from .advisory import AdvisoryScreen, ref, refusal

FILTER_CYCLE = ("", *RESOURCE_TYPES)  # "" shows every type


class ResourcesScreen(AdvisoryScreen):
    BINDINGS = [
        *(Binding(str(n), f"filter('{t}')", t.capitalize(), show=False) for n, t in enumerate(RESOURCE_TYPES, 1)),
        Binding("0", "filter('')", "All types", show=False),
        Binding("f", "cycle_filter", "Next type"),
        Binding("x", "toggle_service", "Out of service"),
        Binding("n", "add_need", "Add need"),
        Binding("delete,backspace", "release", "Release"),
        Binding("R", "suggest", "Suggestions"),
        Binding("A", "accept_all_suggestions", "Accept all"),
    ]
    HINTS = "1-4 0 type  x service  n need  ⏎ allocate  Del release  R suggest  A all  Esc"

    def __init__(self, app_state, incident_id: str | None = None, **kwargs) -> None:
        super().__init__(app_state, incident_id, **kwargs)
        self.resources = ResourceGrid(self.replica, incident_id, id="resources")
        self.needs = NeedGrid(self.replica, incident_id, id="needs") if incident_id else None
        self.suggestions = SuggestionGrid(self.replica, all_incidents=incident_id is None, id="suggestions")
        self.unserved: list[Entity] = []
        self.title_line, self.needs_title = Static(id="res-title"), Static(id="needs-title")
        self.suggest_title, self.unserved_lines = Static(id="suggest-title"), Static(id="suggest-unserved")
        self.prompt_label, self.prompt = Static(id="prompt-label"), Input(id="prompt")
        self._prompt_action: Callable[[str], None] | None = None
        self._prompt_return: Widget | None = None

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.resources
        if self.needs is not None:
            yield self.needs_title
            yield self.needs
        with Vertical(id="suggest-box"):
            yield self.suggest_title
            yield self.suggestions
            yield self.unserved_lines
        with Horizontal(id="prompt-row"):
            yield self.prompt_label
            yield self.prompt
        yield from self.footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.resources.rebuild()
        if self.needs is not None:
            self.needs.rebuild()
        self.show_titles()
        self.resources.focus()

    # --- the replica changed ----------------------------------------------------------------------
    def apply(self, update: Update) -> None:
        if not self.is_mounted:  # pushed screens hear every update, even before they are composed
            return
        if update.full or self.incident_id in update.incidents:
            self.resources.rebuild()  # the incident may have moved: nearest first again
        elif update.resources:
            self.resources.update_resources(update.resources)
        if self.needs is not None and (update.full or self.incident_id in update.incidents or update.resources):
            self.needs.rebuild()  # allocation rows show resource names; a handful of rows
        if self.suggesting and (update.full or update.resources or update.incidents):
            self.suggestions.recheck()
            self.schedule_requery()
        self.show_titles()

    def show_titles(self) -> None:
        shown = self.resources.filter_text.lower() or "all types"
        self.title_line.update(Text.assemble(
            ("Resources", "bold"), f" — {shown} ({len(self.resources.keys)} shown; 1-4 a type, 0 all, f next)"))  # fmt: skip
        if self.needs is not None:
            incident = self.replica.incidents.get(self.incident_id)
            about = " · ".join(filter(None, [incident.get("incident_type"), incident.get("incident_priority"),
                                             incident["state"]])) if incident else "no longer on the board"  # fmt: skip
            self.needs_title.update(Text.assemble(
                ("Needs of ", "bold"), (ref(self.incident_id), "bold"), f"  {about}"))  # fmt: skip

    # --- filter ------------------------------------------------------------------------------------
    def action_filter(self, resource_type: str) -> None:
        self.resources.set_view(filter_text=resource_type)
        self.show_titles()

    def action_cycle_filter(self) -> None:
        following = (FILTER_CYCLE.index(self.resources.filter_text) + 1) % len(FILTER_CYCLE)
        self.action_filter(FILTER_CYCLE[following])

    # --- out of service -------------------------------------------------------------------------------
    def action_toggle_service(self) -> None:
        resource = self.resources.current()
        if resource is None:
            self.say("no resource selected", error=True)
            return
        if self.may_change():
            self.set_service(resource, not resource.get("out_of_service", False))

    @work(group="commands")
    async def set_service(self, resource: Entity, out: bool) -> None:
        args = {"resource_id": resource["id"], "out_of_service": out}
        try:
            await self.link.command("resource.update", args)
        except CommandFailed as error:
            self.say(f"✗ {resource['name']}: {refusal(error)}", error=True)
            return
        self.say(f"✓ {resource['name']} {'out of service' if out else 'back in service'}", ok=True)

    # --- needs -------------------------------------------------------------------------------------
    def action_add_need(self) -> None:
        if self.needs is None:
            self.say("open resources from an incident to add its needs (no incident selected)", error=True)
            return
        self.ask("New need (type quantity, e.g. shelter 40):", "", self._need_typed)

    def _need_typed(self, text: str) -> None:
        try:
            resource_type, quantity = parse_need(text)
        except InputError as error:
            self.say(f"✗ need: {error}", error=True)
            return
        if self.may_change():
            self.send_need(resource_type, quantity)

    @work(group="commands")
    async def send_need(self, resource_type: str, quantity: int) -> None:
        args = {"incident_id": self.incident_id, "resource_type": resource_type, "quantity": quantity}
        try:
            value = await self.link.command("incident.add_need", args)
        except CommandFailed as error:
            self.say(f"✗ need {resource_type} {quantity}: {refusal(error)}", error=True)
            return
        if self.needs is not None:
            self.needs.rebuild()  # the event came before the result: the need is in the replica
            self.needs.move_to_need(value["need_id"])
        self.action_filter(resource_type)
        self.say(f"✓ {ref(self.incident_id)} needs {resource_type} {quantity} — Enter on a resource allocates", ok=True)

    @on(VirtualGrid.Selected, "#needs")
    def need_opened(self) -> None:
        """Enter on a need: show the resources of its type, ready to allocate from."""
        need = self.needs.current_need() if self.needs else None
        if need is not None:
            self.action_filter(need["resource_type"])
            self.resources.focus()

    # --- allocating and releasing -------------------------------------------------------------------
    @on(VirtualGrid.Selected, "#resources")
    def resource_chosen(self) -> None:
        resource = self.resources.current()
        if self.needs is None:
            self.say("open resources from an incident to allocate to its needs (no incident selected)", error=True)
            return
        need = self.needs.current_need()
        if resource is None or need is None:
            self.say("add a need first (n), then Enter on a resource allocates to it", error=True)
            return
        label = f"Quantity ({still_needed(need)} to go, {free_room(resource)} free):"
        self.ask(label, str(default_quantity(need, resource)), lambda text: self._quantity_typed(resource, need, text))
        self.say(f"from {resource['name']} to the {need['resource_type']} need — Enter confirms, Esc cancels")

    def _quantity_typed(self, resource: Entity, need: Entity, text: str) -> None:
        try:
            quantity = whole_number("quantity", text)
        except InputError as error:
            self.say(f"✗ allocate: {error}", error=True)
            return
        if self.may_change():
            self.allocate([(resource["id"], resource["name"], need["id"], quantity)])

    @work(group="commands")
    async def allocate(self, lines: list[tuple[str, str, str, int]]) -> None:
        """One `resource.allocate` per line; every line's outcome is said."""
        done, failed = [], []
        for resource_id, name, need_id, quantity in lines:
            args = {"resource_id": resource_id, "need_id": need_id, "quantity": quantity}
            try:
                await self.link.command("resource.allocate", args)
            except CommandFailed as error:
                failed.append(f"✗ {quantity} from {name}: {refusal(error)}")
                continue
            done.append(f"{quantity} from {name}")
        parts = failed + ([f"✓ allocated {'; '.join(done)}"] if done else [])
        self.say("  ".join(parts), error=bool(failed), ok=not failed)

    def action_release(self) -> None:
        allocation = self.needs.current_allocation() if self.needs and self.needs.has_focus else None
        if allocation is None:
            self.say("select an allocation (a ↳ row of the needs table, Tab gets there) to release it", error=True)
            return
        if self.may_change():
            self.release(allocation)

    @work(group="commands")
    async def release(self, allocation: Entity) -> None:
        resource = self.replica.resources.get(allocation["resource_id"])
        name = resource["name"] if resource else "the resource"
        try:
            await self.link.command("resource.release", {"allocation_id": allocation["id"]})
        except CommandFailed as error:
            self.say(f"✗ release {allocation['quantity']} at {name}: {refusal(error)}", error=True)
            return
        self.say(f"✓ released {allocation['quantity']} at {name}", ok=True)

    # --- suggestions ----------------------------------------------------------------------------------
    @property
    def suggesting(self) -> bool:
        return self.has_class("-suggesting")

    def action_suggest(self) -> None:
        """R shows the suggestions (and asks the server); R again hides them."""
        if self.suggesting:
            self.remove_class("-suggesting")
            self.resources.focus()
            return
        self.add_class("-suggesting")
        self.suggest_title.update(Text("Suggested resources: asking…", style="italic"))
        self.suggestions.focus()
        self.requery()

    @work(exclusive=True, group="resource-query")
    async def requery(self, announce: bool = False) -> None:
        if not self.suggesting:
            if announce:
                self.say("resources and needs are live; r asks again for the suggestions R shows")
            return
        if not self.queried():
            return
        args = {"incident_id": self.incident_id} if self.incident_id else {}
        try:
            value = await self.link.command("recommend.resources", args)
        except CommandFailed as error:
            self.say(f"✗ suggestions: {refusal(error)}", error=True)
            return
        self.unserved = value["unserved"]
        self.suggestions.show(value["recommendations"])
        whose = f"for {ref(self.incident_id)}" if self.incident_id else "for every open need"
        self.suggest_title.update(Text.assemble(
            ("Suggested resources ", "bold"), f"{whose} — Enter accepts a line, A all, R hides"))  # fmt: skip
        lines = [self._unserved_line(u) for u in self.unserved]
        self.unserved_lines.update(Text("\n".join(lines)))
        if announce:
            self.say(f"✓ asked again: {len(self.suggestions.rows)} suggested, {len(lines)} unmet", ok=True)

    def _unserved_line(self, unserved: Entity) -> str:
        head = "" if self.incident_id else f"{ref(unserved['incident_id'])} "
        kind = unserved.get("kind")
        what = f"{kind} {unserved['missing']} unmet" if kind else "unmet"
        return f"{head}{what} — {unserved['reason']}"

    @on(VirtualGrid.Selected, "#suggestions")
    def suggestion_chosen(self) -> None:
        row = self.suggestions.current()
        if row is not None:
            self.accept_suggestions([row])

    def action_accept_all_suggestions(self) -> None:
        if not self.suggesting:
            self.say("R shows the suggestions first", error=True)
            return
        self.accept_suggestions([self.suggestions.rows[k] for k in self.suggestions.keys])

    def accept_suggestions(self, rows: list[Entity]) -> None:
        fresh = [r for r in rows if self.suggestions.key(r) not in self.suggestions.stale]
        if not fresh:
            self.say("nothing to accept: " + ("those suggestions no longer fit (r asks again)" if rows
                                               else "no suggestion here"), error=True)  # fmt: skip
            return
        if self.may_change():
            self.allocate([(r["resource_id"], r["resource_name"], r["need_id"], r["quantity"]) for r in fresh])

    # --- the inline prompt ----------------------------------------------------------------------------
    def ask(self, label: str, value: str, then: Callable[[str], None]) -> None:
        self._prompt_action, self._prompt_return = then, self.focused
        self.prompt_label.update(Text(label))
        prompt = self.prompt
        prompt.value = value
        self.add_class("-prompting")
        prompt.focus()  # the proposed value arrives selected: typing replaces it, Enter takes it

    @on(Input.Submitted, "#prompt")
    def prompt_submitted(self, message: Input.Submitted) -> None:
        action = self._prompt_action
        self._close_prompt()
        if action is not None:
            action(message.value)

    def _close_prompt(self) -> None:
        self._prompt_action = None
        self.remove_class("-prompting")
        if self._prompt_return is not None:
            self._prompt_return.focus()

    def action_close(self) -> None:
        if self.has_class("-prompting"):
            self._close_prompt()
            self.say("cancelled")
            return
        super().action_close()
