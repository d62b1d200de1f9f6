"""The two-level cell grid of the "Paint here" editor, and its state as kept in the session.

Why two levels: a classic Discord message has at most 5 action rows of 5 buttons, and a select
menu fills a row alone. The editor needs a row of tools (Invert, Clear, Grow, Shrink, Continue)
and the menu, which leaves 3 rows of 5 buttons: 15 cells at most, only 3 x 3 for a square.

- The coarse grid (`paint_grid`) has at most 5 x 3 cells, as square as the aspect ratio
  allows: 1:1 -> 3 x 3, 4:3 -> 4 x 3, 3:2 and 16:9 -> 5 x 3, 21:9 -> 5 x 2, 2:3, 3:4 and
  9:16 -> 2 x 3. Its cells are labelled "A1" (top left) .. "E3".
- Every coarse cell splits into 3 x 3 sub-cells numbered like a phone keypad, "B2·1" (top
  left of B2) .. "B2·9" (bottom right). These form the fine grid (9 x 9 for a square, 15 x 9 for
  3:2 and 16:9, 6 x 9 for 2:3), the one that is selected, stored and turned into the mask: the
  sub-cells of a cell tile it exactly, to the pixel (Grid.cell_box).

The whole-image view has one button per coarse cell: a tap selects all of its sub-cells, or
none when all were selected; a partly selected cell shows as such (`Mark` "some"). "Refine B2"
in the menu shows B2 enlarged with one button per sub-cell; "Whole image" goes back. Shapes,
Invert, Clear, Grow and Shrink act on the whole fine grid in either view; a shape goes back to
the whole image.

Grow and Shrink move along a ladder of shapes around the last shape drawn by hand (a tap, a
shape, Invert or Clear): Grow adds the ring of sub-cells around the selection, Shrink removes
its edge (the image border does not count as an edge). The state keeps that hand-drawn shape
and the number of steps, so Grow then Shrink, and Shrink then Grow, give back exactly the same
selection, holes and gaps included, and shrinking a single cell away is undone by Grow. A press
that would change nothing is ignored; that is the one case not undone: Grow with every cell
selected does nothing, so a Shrink after it takes a real step back (likewise Shrink with
nothing left, then Grow).

Stored form (RegionSession.selection): the fine selection as "<cols>x<rows>:<hex bitmask>"
(`Selection.to_str`), then ";g<±steps>:<hex bitmask of the hand-drawn shape>" while Grow/Shrink
steps are pending, then ";z<coarse cell index>" while a cell is being refined; for example
"9x9:e07038;z4". A selection stored before the two levels ("3x3:10", on the coarse grid) reads
as the same area on the fine grid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot.imaging.grid import Cell, Grid, Selection, grid_for

#: Each coarse cell splits into SPLIT x SPLIT sub-cells.
SPLIT = 3
MAX_COLS, MAX_ROWS = 5, 3
SUB_MARK = "·"
Mark = Literal["all", "some", "none"]

_HEX = r"0|[1-9a-f][0-9a-f]{0,156}"
_STATE = re.compile(
    rf"^(?P<selection>[^;]{{1,200}})(?:;g(?P<steps>[+-][1-9][0-9]?):(?P<base>{_HEX}))?"
    r"(?:;z(?P<zoom>0|[1-9][0-9]?))?$"
)


def paint_grid(width: int, height: int) -> Grid:
    """The coarse grid of the editor for an image of this size (see the module docstring)."""
    return grid_for(width, height, MAX_COLS * MAX_ROWS, max_cols=MAX_COLS, max_rows=MAX_ROWS)


def fine_grid(coarse: Grid) -> Grid:
    return Grid(coarse.cols * SPLIT, coarse.rows * SPLIT)


def sub_cells(coarse_cell: Cell) -> list[Cell]:
    """The fine cells of a coarse cell in keypad order: row by row, left to right."""
    col, row = coarse_cell
    return [(col * SPLIT + i % SPLIT, row * SPLIT + i // SPLIT) for i in range(SPLIT * SPLIT)]


@dataclass(frozen=True, slots=True)
class CellButton:
    """One cell button of the current view: its index (the "c<n>" op), label and state."""

    index: int
    label: str
    mark: Mark


@dataclass(frozen=True, slots=True)
class PaintState:
    """The editor's state. Every operation returns a new state; `selection` is the mask."""

    coarse: Grid
    selection: Selection
    base: Selection | None = None  # the hand-drawn shape while Grow/Shrink steps are pending
    steps: int = 0  # Grow minus Shrink presses since it was drawn
    zoom: Cell | None = None  # the coarse cell being refined, or None for the whole image

    def __post_init__(self) -> None:
        fine = fine_grid(self.coarse)
        if self.selection.grid != fine or (self.base is not None and self.base.grid != fine):
            raise ValueError(f"a selection off the fine grid {fine}")
        if (self.base is None) != (self.steps == 0):
            raise ValueError("Grow/Shrink steps need their base shape, and only they do")
        if self.zoom is not None:
            self.coarse._check(self.zoom)

    @classmethod
    def new(cls, coarse: Grid) -> PaintState:
        return cls(coarse, Selection.empty(fine_grid(coarse)))

    @property
    def fine(self) -> Grid:
        return self.selection.grid

    # -- reading ------------------------------------------------------------------------

    def sub_label(self, cell: Cell) -> str:
        """ "B2·5" for the centre sub-cell of B2."""
        coarse = (cell[0] // SPLIT, cell[1] // SPLIT)
        number = (cell[1] % SPLIT) * SPLIT + cell[0] % SPLIT + 1
        return f"{self.coarse.label(coarse)}{SUB_MARK}{number}"

    def mark(self, coarse_cell: Cell) -> Mark:
        chosen = sum(cell in self.selection for cell in sub_cells(coarse_cell))
        return "all" if chosen == SPLIT * SPLIT else "some" if chosen else "none"

    def buttons(self) -> list[CellButton]:
        """The cell buttons of the current view, in button order."""
        if self.zoom is None:
            return [
                CellButton(i, self.coarse.label(cell), self.mark(cell))
                for i, cell in enumerate(self.coarse.cells())
            ]
        return [
            CellButton(i, self.sub_label(cell), "all" if cell in self.selection else "none")
            for i, cell in enumerate(sub_cells(self.zoom))
        ]

    def labels(self) -> list[str]:
        """What is selected, for the message: "B2" for a whole coarse cell, else its selected
        sub-cells ("C2·1", "C2·4"), in button order."""
        out: list[str] = []
        for cell in self.coarse.cells():
            mark = self.mark(cell)
            if mark == "all":
                out.append(self.coarse.label(cell))
            elif mark == "some":
                out += [self.sub_label(s) for s in sub_cells(cell) if s in self.selection]
        return out

    # -- editing ------------------------------------------------------------------------

    def press(self, index: int) -> PaintState:
        """The cell button `index` of the current view; ValueError for one it does not have."""
        if self.zoom is None:
            cells = list(self.coarse.cells())
            if not 0 <= index < len(cells):
                raise ValueError(f"no cell {index} on {self.coarse}")
            subs = set(sub_cells(cells[index]))
            chosen = self.selection.cells
            return self._drawn(chosen - subs if subs <= chosen else chosen | subs)
        if not 0 <= index < SPLIT * SPLIT:
            raise ValueError(f"no sub-cell {index}")
        return self._drawn(self.selection.cells ^ {sub_cells(self.zoom)[index]})

    def preset(self, name: str) -> PaintState:
        """A shape on the fine grid, shown on the whole image."""
        return replace(self._drawn(Selection.preset(self.fine, name).cells), zoom=None)

    def invert(self) -> PaintState:
        return self._drawn(self.selection.invert().cells)

    def clear(self) -> PaintState:
        return self._drawn(frozenset())

    def grow(self) -> PaintState:
        return self._step(+1)

    def shrink(self) -> PaintState:
        return self._step(-1)

    def zoom_to(self, cell: Cell | None) -> PaintState:
        return replace(self, zoom=cell)

    def _drawn(self, cells: frozenset[Cell]) -> PaintState:
        return PaintState(self.coarse, Selection(self.fine, cells), zoom=self.zoom)

    def _step(self, delta: int) -> PaintState:
        base = self.base if self.base is not None else self.selection
        steps = self.steps + delta
        shown = _rung(base, steps)
        if shown == self.selection:  # nothing to add or take away: not a step
            return self
        return PaintState(self.coarse, shown, base if steps else None, steps, self.zoom)

    # -- storage ------------------------------------------------------------------------

    def to_str(self) -> str:
        text = self.selection.to_str()
        if self.base is not None:
            text += f";g{self.steps:+d}:{_bits(self.base)}"
        if self.zoom is not None:
            text += f";z{self.zoom[1] * self.coarse.cols + self.zoom[0]}"
        return text

    @classmethod
    def from_str(cls, text: str, coarse: Grid) -> PaintState:
        """The stored state for an image with this coarse grid. ValueError for a malformed
        string or a selection of another grid; pending steps or a zoom that do not fit are
        dropped (the selection shown is what counts)."""
        match = _STATE.match(text)
        if match is None:
            raise ValueError(f"bad editor state {text!r}")
        stored = Selection.from_str(match["selection"])
        fine = fine_grid(coarse)
        state = cls(coarse, _fit(stored, fine))
        if match["steps"]:
            head = f"{stored.grid.cols}x{stored.grid.rows}:"
            base = _fit(Selection.from_str(head + match["base"]), fine)
            steps = int(match["steps"])
            if _rung(base, steps) == state.selection:
                state = replace(state, base=base, steps=steps)
        if match["zoom"] is not None and int(match["zoom"]) < coarse.size:
            state = replace(state, zoom=list(coarse.cells())[int(match["zoom"])])
        return state


def stored_selection(text: str) -> Selection:
    """The selection of a stored state, on the grid it was stored on, without knowing the
    image (whether it is empty or full is the same on every grid); ValueError if malformed."""
    match = _STATE.match(text)
    if match is None:
        raise ValueError(f"bad editor state {text!r}")
    return Selection.from_str(match["selection"])


def _rung(base: Selection, steps: int) -> Selection:
    shown = base
    for _ in range(abs(steps)):
        shown = shown.grow() if steps > 0 else shown.shrink()
    return shown


def _fit(selection: Selection, fine: Grid) -> Selection:
    return selection if selection.grid == fine else selection.regrid(fine)


def _bits(selection: Selection) -> str:
    return selection.to_str().split(":", 1)[1]
