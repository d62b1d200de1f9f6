"""The cell grid of the in-Discord Vary (Region) editor, and the selection painted on it.

A `Grid` splits the image into cols x rows cells labelled "A1" (top left) .. "E4": letters are
columns, numbers rows. A `Selection` is an immutable set of (col, row) cells that carries its
grid, so that invert/grow/shrink and serialisation need nothing else.

A grid has at most 25 columns and 25 rows: the Discord editor shows a coarse grid of at most
5 x 3 cells as buttons and keeps the selection on a finer grid (bot/imaging/paint.py).
`grid_for` picks the grid with the most, squarest cells within given limits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Cell = tuple[int, int]

PRESETS = ("centre", "left", "right", "top", "bottom", "oval")

_LABEL = re.compile(r"^([A-Z])([1-9])$")
MAX_SIDE = 25
_DIM = r"([1-9]|1[0-9]|2[0-5])"
_SERIAL = re.compile(rf"^{_DIM}x{_DIM}:(0|[1-9a-f][0-9a-f]{{0,156}})$")
#: The oval preset's radius, a share of each side: its area is about a third of the image.
OVAL_RADIUS = 0.34
_THIRD = 1 / 3 - 1e-9  # the middle third, cells on its edges included
# Reward for more cells against squarer cells: 1:1 -> 4x4, 16:9 -> 5x3, 2:3 -> 3x5.
_CELL_COUNT_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Grid:
    cols: int
    rows: int

    def __post_init__(self) -> None:
        if not (1 <= self.cols <= MAX_SIDE and 1 <= self.rows <= MAX_SIDE):
            raise ValueError(f"grid {self.cols}x{self.rows} out of range 1..{MAX_SIDE}")

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
        """A named starting shape (see PRESETS). Never empty.

        Halves include the middle column/row of an odd grid and "centre" is the middle third of
        each side (B2 of a 3 x 3 grid), both decided by each cell's centre. The oval is a
        circle (an ellipse on the image) of radius OVAL_RADIUS of each side, made of the cells
        mostly inside it: about the middle third of the image (31-37 % of it on the editor's
        fine grids from 9:16 to 21:9).
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}")
        chosen = set()
        for col, row in grid.cells():
            x = (col + 0.5) / grid.cols  # cell centre in 0..1
            y = (row + 0.5) / grid.rows
            inside = {
                "centre": _THIRD <= x <= 1 - _THIRD and _THIRD <= y <= 1 - _THIRD,
                "left": x <= 0.5,
                "right": x >= 0.5,
                "top": y <= 0.5,
                "bottom": y >= 0.5,
                "oval": name == "oval" and _in_oval(grid, col, row),
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

    def regrid(self, grid: Grid) -> Selection:
        """The same area on `grid`, whose sides must be multiples of this grid's: each cell
        becomes a block of smaller cells (exact to the pixel, see Grid.cell_box)."""
        if grid.cols % self.grid.cols or grid.rows % self.grid.rows:
            raise ValueError(f"{self.grid} does not divide {grid}")
        fx, fy = grid.cols // self.grid.cols, grid.rows // self.grid.rows
        return Selection.of(grid, ((c, r) for c, r in grid.cells() if (c // fx, r // fy) in self))

    def to_str(self) -> str:
        """Compact, canonical form "<cols>x<rows>:<hex bitmask>", e.g. "4x4:660" (bit = row *
        cols + col); at most 25 characters up to 9 x 9 cells, 43 for the editor's 15 x 9."""
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


def _in_oval(grid: Grid, col: int, row: int, samples: int = 6) -> bool:
    """Whether most of the cell lies inside the oval preset (sampled on a samples² lattice)."""
    inside = 0
    for i in range(samples):
        for j in range(samples):
            x = (col + (i + 0.5) / samples) / grid.cols - 0.5
            y = (row + (j + 0.5) / samples) / grid.rows - 0.5
            inside += x * x + y * y <= OVAL_RADIUS**2
    return 2 * inside > samples * samples


def _neighbours(cell: Cell) -> tuple[Cell, Cell, Cell, Cell]:
    col, row = cell
    return (col - 1, row), (col + 1, row), (col, row - 1), (col, row + 1)
