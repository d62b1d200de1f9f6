"""The cell grid of the in-Discord Vary (Region) editor, and the selection painted on it.

A `Grid` splits the image into cols x rows cells labelled "A1" (top left) .. "E4": letters are
columns, numbers rows. A `Selection` is an immutable set of (col, row) cells that carries its
grid, so that invert/grow/shrink and serialisation need nothing else.

Discord allows 5 action rows of 5 buttons. `grid_for` keeps cols <= 5, rows <= 5 and
cols * rows <= 20, so at least 5 button slots remain for controls (a spare column or row).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Cell = tuple[int, int]

PRESETS = ("centre", "left", "right", "top", "bottom", "oval")

_LABEL = re.compile(r"^([A-Z])([1-9])$")
_SERIAL = re.compile(r"^([1-9])x([1-9]):(0|[1-9a-f][0-9a-f]{0,20})$")
# Reward for more cells against squarer cells: 1:1 -> 4x4, 16:9 -> 5x3, 2:3 -> 3x5.
_CELL_COUNT_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Grid:
    cols: int
    rows: int

    def __post_init__(self) -> None:
        if not (1 <= self.cols <= 9 and 1 <= self.rows <= 9):
            raise ValueError(f"grid {self.cols}x{self.rows} out of range 1..9")

    @property
    def size(self) -> int:
        return self.cols * self.rows

    def cells(self) -> Iterator[Cell]:
        """Row by row, left to right: the order of buttons and of the bitmask."""
        for row in range(self.rows):
            for col in range(self.cols):
                yield col, row

    def contains(self, cell: Cell) -> bool:
        col, row = cell
        return 0 <= col < self.cols and 0 <= row < self.rows

    def label(self, cell: Cell) -> str:
        self._check(cell)
        return f"{chr(ord('A') + cell[0])}{cell[1] + 1}"

    def parse_label(self, label: str) -> Cell:
        match = _LABEL.match(label.strip().upper())
        if match is None:
            raise ValueError(f"bad cell label {label!r}")
        cell = (ord(match[1]) - ord("A"), int(match[2]) - 1)
        self._check(cell)
        return cell

    def cell_box(self, cell: Cell, width: int, height: int) -> tuple[int, int, int, int]:
        """Pixel box (left, top, right, bottom; right/bottom exclusive) of a cell.

        Integer boundaries shared by the mask and the preview, so both agree to the pixel and
        the cells tile the image without gaps.
        """
        self._check(cell)
        col, row = cell
        return (
            col * width // self.cols,
            row * height // self.rows,
            (col + 1) * width // self.cols,
            (row + 1) * height // self.rows,
        )

    def _check(self, cell: Cell) -> None:
        if not self.contains(cell):
            raise ValueError(f"cell {cell} outside grid {self.cols}x{self.rows}")


def grid_for(
    width: int, height: int, max_cells: int = 20, *, max_cols: int = 5, max_rows: int = 5
) -> Grid:
    """The grid with the most, squarest cells for an image of this aspect ratio."""
    if width <= 0 or height <= 0:
        raise ValueError(f"bad image size {width}x{height}")
    aspect = width / height
    best: tuple[float, int, int] | None = None
    for cols in range(1, max_cols + 1):
        for rows in range(1, max_rows + 1):
            if cols * rows > max_cells:
                continue
            cell_aspect = aspect * rows / cols
            score = abs(math.log(cell_aspect)) - _CELL_COUNT_WEIGHT * math.log(cols * rows)
            candidate = (round(score, 9), cols, rows)
            if best is None or candidate < best:
                best = candidate
    if best is None:
        raise ValueError("max_cells, max_cols and max_rows allow no grid")
    return Grid(best[1], best[2])


@dataclass(frozen=True, slots=True)
class Selection:
    """Cells marked for regeneration. Every operation returns a new selection."""

    grid: Grid
    cells: frozenset[Cell] = frozenset()

    def __post_init__(self) -> None:
        for cell in self.cells:
            self.grid._check(cell)

    @classmethod
    def empty(cls, grid: Grid) -> Selection:
        return cls(grid)

    @classmethod
    def full(cls, grid: Grid) -> Selection:
        return cls(grid, frozenset(grid.cells()))

    @classmethod
    def of(cls, grid: Grid, cells: Iterable[Cell]) -> Selection:
        return cls(grid, frozenset(cells))

    @classmethod
    def preset(cls, grid: Grid, name: str) -> Selection:
        """A named starting shape (see PRESETS), decided by each cell's centre.

        Halves include the middle column/row of an odd grid; the oval is the ellipse inscribed
        in the central 84 % of the image. A preset is never empty.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}")
        chosen = set()
        for col, row in grid.cells():
            x = (col + 0.5) / grid.cols  # cell centre in 0..1
            y = (row + 0.5) / grid.rows
            inside = {
                "centre": 0.25 <= x <= 0.75 and 0.25 <= y <= 0.75,
                "left": x <= 0.5,
                "right": x >= 0.5,
                "top": y <= 0.5,
                "bottom": y >= 0.5,
                "oval": ((x - 0.5) / 0.42) ** 2 + ((y - 0.5) / 0.42) ** 2 <= 1.0,
            }[name]
            if inside:
                chosen.add((col, row))
        if not chosen:  # a 1-wide grid: fall back to the middle cell
            chosen.add((grid.cols // 2, grid.rows // 2))
        return cls(grid, frozenset(chosen))

    def __len__(self) -> int:
        return len(self.cells)

    def __contains__(self, cell: object) -> bool:
        return cell in self.cells

    @property
    def is_empty(self) -> bool:
        return not self.cells

    @property
    def is_full(self) -> bool:
        return len(self.cells) == self.grid.size

    def labels(self) -> list[str]:
        """Selected cells' labels in button order."""
        return [self.grid.label(c) for c in self.grid.cells() if c in self.cells]

    def toggle(self, cell: Cell) -> Selection:
        self.grid._check(cell)
        return Selection(self.grid, self.cells ^ {cell})

    def invert(self) -> Selection:
        return Selection(self.grid, frozenset(self.grid.cells()) - self.cells)

    def clear(self) -> Selection:
        return Selection(self.grid)

    def grow(self) -> Selection:
        """Add every cell's 4-neighbours."""
        grown = set(self.cells)
        for cell in self.cells:
            grown.update(n for n in _neighbours(cell) if self.grid.contains(n))
        return Selection(self.grid, frozenset(grown))

    def shrink(self) -> Selection:
        """Drop cells with an unselected 4-neighbour.

        The image border does not count as unselected: "left half" shrinks away from the right
        half, not from the image edge, and a full selection stays full.
        """
        kept = {
            cell
            for cell in self.cells
            if all(n in self.cells for n in _neighbours(cell) if self.grid.contains(n))
        }
        return Selection(self.grid, frozenset(kept))

    def to_str(self) -> str:
        """Compact, canonical form "<cols>x<rows>:<hex bitmask>", e.g. "4x4:660" (bit = row *
        cols + col); at most 25 characters, safe in a custom_id."""
        bits = 0
        for cell in self.cells:
            bits |= 1 << (cell[1] * self.grid.cols + cell[0])
        return f"{self.grid.cols}x{self.grid.rows}:{bits:x}"

    @classmethod
    def from_str(cls, text: str) -> Selection:
        """Strict inverse of `to_str`; raises ValueError on anything else."""
        match = _SERIAL.match(text)
        if match is None:
            raise ValueError(f"bad selection {text!r}")
        grid = Grid(int(match[1]), int(match[2]))
        bits = int(match[3], 16)
        if bits >> grid.size:
            raise ValueError(f"selection {text!r} has cells outside its grid")
        return cls(grid, frozenset(c for i, c in enumerate(grid.cells()) if bits >> i & 1))


def _neighbours(cell: Cell) -> tuple[Cell, Cell, Cell, Cell]:
    col, row = cell
    return (col - 1, row), (col + 1, row), (col, row - 1), (col, row + 1)
