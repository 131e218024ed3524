"""A table that renders only the rows on screen and repaints only the rows that change.

Textual's DataTable repaints itself whole on any cell update and takes seconds to show 10,000
rows (design.md, "What the dependencies cost here"). A dispatch board changes every second, so
this grid keeps nothing but an ordered list of row keys: `render_line` asks the subclass for
the cells of the one row it draws, and a changed row refreshes one line of the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = tuple[str, str | None]  # text and the component class that styles it (None: plain)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the room the fixed columns leave (at least `min_width`)
    min_width: int = 8
    right: bool = False


class VirtualGrid(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES = {"grid--header", "grid--cursor", "grid--cursor-blurred", "grid--empty"}

    cursor: reactive[int] = reactive(0, repaint=False, init=False)
    SORTS: tuple[str, ...] = ("as given",)  # the orders `s` cycles through; subclasses name theirs
    SORT_COLUMN: dict[str, str] = {}  # sort → the column key whose header carries the marker
    SORT_MARK = "▼"

    class Highlighted(Message):
        def __init__(self, grid: VirtualGrid, key: str | None) -> None:
            super().__init__()
            self.grid, self.key = grid, key

        @property
        def control(self) -> VirtualGrid:
            return self.grid

    class Selected(Highlighted):
        pass

    def __init__(self, columns: Sequence[Column], empty_text: str = "nothing to show", **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns = tuple(columns)
        self._empty_text = empty_text
        self.keys: list[str] = []
        self._index: dict[str, int] = {}
        self.sort = self.SORTS[0]
        self.filter_text = ""

    # --- what subclasses provide --------------------------------------------------------------
    def cells(self, key: str) -> Sequence[Cell]:
        raise NotImplementedError

    def rebuild(self) -> None:
        """Order and filter every row again (after a snapshot, a new sort or filter)."""
        raise NotImplementedError

    # --- the view: sort and filter --------------------------------------------------------------
    @property
    def empty_text(self) -> str:
        """What an empty list says; under a filter it says so, for as long as the filter holds."""
        if self.filter_text:
            return f"none match {self.filter_text!r} — / then Enter clears the filter"
        return self._empty_text

    @empty_text.setter
    def empty_text(self, text: str) -> None:
        self._empty_text = text

    def header_label(self, column: Column) -> str:
        marked = self.SORT_COLUMN.get(self.sort) == column.key
        return f"{column.label}{self.SORT_MARK}" if marked else column.label

    def set_view(self, *, filter_text: str | None = None, sort: str | None = None) -> None:
        if filter_text is not None:
            self.filter_text = filter_text
        if sort is not None:
            self.sort = sort
        self.rebuild()

    def next_sort(self) -> str:
        self.set_view(sort=self.SORTS[(self.SORTS.index(self.sort) + 1) % len(self.SORTS)])
        return self.sort

    # --- rows -----------------------------------------------------------------------------------
    @property
    def cursor_key(self) -> str | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    def set_rows(self, keys: list[str]) -> None:
        """Replace the row order, keeping the cursor on the same row when it is still there."""
        previous = self.cursor_key
        self.keys = keys
        self._index = {key: n for n, key in enumerate(keys)}
        self.virtual_size = Size(0, len(keys) + 1)
        target = self._index.get(previous, min(self.cursor, max(len(keys) - 1, 0))) if previous else 0
        self.set_reactive(VirtualGrid.cursor, target)
        self.refresh()
        if self.cursor_key != previous:
            self.post_message(self.Highlighted(self, self.cursor_key))

    def refresh_row(self, key: str) -> None:
        """Repaint one row, if it is on screen."""
        index = self._index.get(key)
        if index is not None and self._visible(index):
            self.refresh_line(index + 1)

    def move_to(self, key: str) -> bool:
        index = self._index.get(key)
        if index is None:
            return False
        self.cursor = index
        return True

    def _visible(self, index: int) -> bool:
        top = int(self.scroll_offset.y)
        return top <= index < top + self.size.height

    # --- cursor -------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        top = int(self.scroll_offset.y)
        rows = max(self.size.height - 1, 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + rows:
            self.scroll_to(y=new - rows + 1, animate=False)
        self.post_message(self.Highlighted(self, self.cursor_key))

    def action_cursor(self, step: int) -> None:
        if self.keys:
            self.cursor = max(0, min(len(self.keys) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        if self.keys:
            self.cursor = len(self.keys) - 1 if end else 0

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    def on_focus(self) -> None:
        self.refresh_line(self.cursor + 1)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor + 1)

    def on_resize(self) -> None:
        self.virtual_size = Size(0, len(self.keys) + 1)

    # --- drawing ------------------------------------------------------------------------------
    def widths(self, total: int) -> list[int]:
        """Column widths for the whole line: fixed ones as given, the flexible ones share the rest."""
        fixed = sum(c.width + 1 for c in self.columns if c.width)
        flexible = [c for c in self.columns if not c.width]
        spare = max(total - fixed - len(flexible), 0)
        share = spare // len(flexible) if flexible else 0
        return [c.width or max(share, c.min_width) for c in self.columns]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("grid--header")
            return self._strip([(self.header_label(c), None) for c in self.columns], base + header, width, header=True)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.keys):
            if index == 0:
                empty = self.get_component_rich_style("grid--empty")
                return Strip([Segment(set_cell_size(f" {self.empty_text}", width), base + empty)], width)
            return Strip.blank(width, base)
        key = self.keys[index]
        style = base
        if index == self.cursor:
            cursor = "grid--cursor" if self.has_focus else "grid--cursor-blurred"
            style = base + self.get_component_rich_style(cursor)
        return self._strip(self.cells(key), style, width, cursor=index == self.cursor)

    def _strip(self, cells: Sequence[Cell], style: Style, width: int, header: bool = False, cursor: bool = False) -> Strip:
        segments = []
        for column, size, (text, component) in zip(self.columns, self.widths(width), cells, strict=False):
            cell_style = style
            if component and not header:
                own = self.get_component_rich_style(component, partial=True)
                # On the cursor row the cursor's colours win (the highlight is never lost); the
                # cell keeps its weight, so A/B still stand out there.
                cell_style = style + Style(bold=own.bold, italic=own.italic) if cursor else style + own
            text = text.rjust(size) if column.right else text
            if cell_len(text) > size:
                text = set_cell_size(text, max(size - 1, 0)) + "…"
            segments.append(Segment(set_cell_size(text, size) + " ", cell_style))
        line = Strip(segments)
        return line.adjust_cell_length(width, style)
