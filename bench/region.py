"""Benchmark of the Vary (Region) editor's hot paths; run: .venv/bin/python bench/region.py

Measures, for 1024 px and 2048 px square sources:
- re-rendering the grid preview after a click (WebP, and JPEG for comparison) with the cached
  base, keyed by the caller ("cached") or by a content hash ("hashkey"), and without any cache
  (baseline "naive": downscale + grid + labels every time);
- building the full-size mask from the selection and encoding it as a PNG data URL.
Prints a table, then one JSON object with every figure as the last line.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageFilter

from bot.imaging import (
    Selection,
    clear_preview_cache,
    encode_mask,
    grid_for,
    mask_from_selection,
    render_region_preview,
)

RUNS = 40


def source(side: int) -> Image.Image:
    """A photo-like test image: smooth gradient with some texture (pure noise flatters no one)."""
    rng = random.Random(side)
    noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    base = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    return Image.blend(base, noise.filter(ImageFilter.GaussianBlur(2)), 0.4)


def measure(action: Callable[[int], object], runs: int = RUNS) -> dict[str, float]:
    action(-1)  # warm-up: first-use costs (font load, cache fill) are not the steady state
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2),
    }


def bench_side(side: int) -> dict[str, dict[str, float]]:
    image = source(side)
    grid = grid_for(side, side)
    cells = list(grid.cells())
    start = Selection.preset(grid, "centre")

    def click(i: int) -> Selection:
        return start.toggle(cells[i % len(cells)]) if i >= 0 else start

    def naive(i: int) -> bytes:
        clear_preview_cache()
        return render_region_preview(image, click(i), key="naive")

    clear_preview_cache()
    key = f"bench-{side}"
    return {
        f"preview_cached_{side}": measure(
            lambda i: render_region_preview(image, click(i), key=key)
        ),
        f"preview_cached_jpeg_{side}": measure(
            lambda i: render_region_preview(image, click(i), key=key, fmt="jpeg")
        ),
        f"preview_cached_hashkey_{side}": measure(lambda i: render_region_preview(image, click(i))),
        f"preview_naive_{side}": measure(naive),
        f"mask_build_encode_{side}": measure(
            lambda i: encode_mask(mask_from_selection(click(i), side, side))
        ),
    }


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    for side in (1024, 2048):
        results.update(bench_side(side))

    print(f"{'case':34s} {'p50 ms':>9s} {'p95 ms':>9s}")
    for name, figures in results.items():
        print(f"{name:34s} {figures['p50_ms']:9.2f} {figures['p95_ms']:9.2f}")
    print(json.dumps({"runs": RUNS, **results}, sort_keys=True))


if __name__ == "__main__":
    main()
