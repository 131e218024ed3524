"""A braille dot buffer: lines and points at 2×4 dots a terminal cell (pure: no Textual).

Written here rather than taken from drawille: drawille keeps a dict of dicts and returns plain
strings, where the map needs a flat buffer it can copy per frame (the outlines are drawn once
per view, then units are placed over them) and whose cells it can style one by one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Unicode braille: bit of dot (x, y) within a cell, x in 0–1, y in 0–3.
_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
BLANK = 0x2800


class BrailleBuffer:
    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.width, self.height = cols * 2, rows * 4
        self.cells = bytearray(cols * rows)

    def dot(self, x: float, y: float) -> None:
        xi, yi = math.floor(x), math.floor(y)
        if 0 <= xi < self.width and 0 <= yi < self.height:
            self.cells[(yi >> 2) * self.cols + (xi >> 1)] |= _BITS[xi & 1][yi & 3]

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Dots along the segment, one per dot step; nothing for a segment wholly off the canvas."""
        if max(x0, x1) < 0 or min(x0, x1) >= self.width or max(y0, y1) < 0 or min(y0, y1) >= self.height:
            return
        steps = max(int(max(abs(x1 - x0), abs(y1 - y0))), 1)
        dx, dy = (x1 - x0) / steps, (y1 - y0) / steps
        for i in range(steps + 1):
            self.dot(x0 + dx * i, y0 + dy * i)

    def polyline(self, points: Iterable[tuple[float, float]]) -> None:
        previous = None
        for point in points:
            if previous is not None:
                self.line(*previous, *point)
            previous = point

    def char(self, index: int) -> str:
        return chr(BLANK + self.cells[index])

    def rows_text(self) -> list[str]:
        """Each row as text (blank cells as spaces), e.g. for a plain rendering."""
        out = []
        for row in range(self.rows):
            start = row * self.cols
            out.append("".join(chr(BLANK + b) if b else " " for b in self.cells[start : start + self.cols]))
        return out
