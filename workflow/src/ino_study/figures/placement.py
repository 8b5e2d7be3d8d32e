"""Labels that never sit on each other: each label is moved up or down, as little as it takes, to a
place where its box meets no other label and no obstacle (a legend, a note), inside a region.

`free_bottoms` is the rule, on plain numbers; `avoid_overlaps` applies it to matplotlib Text artists
already drawn on a figure (their boxes measured by the figure's renderer, in display pixels).
A small function of our own rather than a library (adjustText moves labels in two dimensions by
repulsion, iteratively, and its result depends on iteration counts; here a label keeps its x, so it
stays beside the point it names, and the result is exact and deterministic).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _meets(x0: float, x1: float, y0: float, y1: float, box: Box) -> bool:
    return min(x1, box[2]) - max(x0, box[0]) > 0 and min(y1, box[3]) - max(y0, box[1]) > 0


def free_bottoms(labels: Sequence[Box], obstacles: Iterable[Box] = (), low: float = float("-inf"),
                 high: float = float("inf"), gap: float = 0.0) -> list[float]:
    """The new bottom (y0) of each label box: labels keep their x extent and height; they are placed
    in the given order (the first has the first choice), each at the y nearest its own that meets no
    obstacle and no label placed before it (`gap` apart), with its box inside [low, high] where
    that is possible. A label taller than the room or with no free place keeps its own y, clipped
    into [low, high]."""
    placed: list[Box] = [tuple(map(float, b)) for b in obstacles]
    bottoms = []
    for x0, y0, x1, y1 in labels:
        height = y1 - y0
        top_limit = high - height
        candidates = [y0, low, top_limit]
        for box in placed:
            if min(x1, box[2]) - max(x0, box[0]) > 0:  # shares x with the box: just above or below it
                candidates += [box[3] + gap, box[1] - gap - height]
        free = [c for c in candidates if low <= c <= top_limit and math.isfinite(c)
                and not any(_meets(x0, x1, c - gap / 2, c + height + gap / 2, b) for b in placed)]
        best = min(free, key=lambda c: (abs(c - y0), c)) if free else min(max(y0, low), max(top_limit, low))
        bottoms.append(best)
        placed.append((x0, best, x1, best + height))
    return bottoms


def avoid_overlaps(fig: Figure, texts: Sequence[Text], obstacles: Iterable = (), within: Bbox | None = None,
                   gap_points: float = 1.5) -> None:
    """Move each of `texts` (in order of priority) vertically to the nearest place where it meets
    none of the others nor `obstacles` (artists: legends, other texts; or Bboxes in display
    pixels), inside `within` (display pixels; e.g. an Axes' window extent)."""
    renderer = fig.canvas.get_renderer()
    boxes = [o if isinstance(o, Bbox) else o.get_window_extent(renderer) for o in obstacles]
    extents = [t.get_window_extent(renderer) for t in texts]
    gap = gap_points * fig.dpi / 72
    low, high = (within.y0, within.y1) if within is not None else (float("-inf"), float("inf"))
    bottoms = free_bottoms([tuple(e.extents) for e in extents], [tuple(b.extents) for b in boxes], low, high, gap)
    for text, extent, bottom in zip(texts, extents, bottoms):
        transform = text.get_transform()
        x, y = transform.transform(text.get_position())
        text.set_position(transform.inverted().transform((x, y + bottom - extent.y0)))
