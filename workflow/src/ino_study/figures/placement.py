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
                   gap_points: float = 1.5) -> bool:
    """Move each of `texts` (in order of priority) vertically to the nearest place where it meets
    none of the others nor `obstacles` (artists: legends, other texts; or Bboxes in display
    pixels), inside `within` (display pixels; e.g. an Axes' window extent); a text that would
    stick out of `within` on the right is first moved left. True when every text found a free
    place (False: the region is too small for them all; they overlap)."""
    renderer = fig.canvas.get_renderer()
    boxes = [tuple((o if isinstance(o, Bbox) else o.get_window_extent(renderer)).extents) for o in obstacles]
    gap = gap_points * fig.dpi / 72
    extents = []
    for text in texts:
        extent = text.get_window_extent(renderer)
        if within is not None and extent.x1 > within.x1:
            _move(text, within.x1 - extent.x1, 0.0)
            extent = text.get_window_extent(renderer)
        extents.append(tuple(extent.extents))
    low, high = (within.y0, within.y1) if within is not None else (float("-inf"), float("inf"))
    bottoms = free_bottoms(extents, boxes, low, high, gap)
    for text, extent, bottom in zip(texts, extents, bottoms):
        _move(text, 0.0, bottom - extent[1])
    placed = [(x0, b, x1, b + y1 - y0) for (x0, y0, x1, y1), b in zip(extents, bottoms)]
    return not any(_meets(a[0], a[2], a[1], a[3], b) for i, a in enumerate(placed) for b in placed[i + 1:] + boxes)


def _move(text: Text, dx: float, dy: float) -> None:
    """Move `text` by (dx, dy) display pixels, in whatever coordinates it is placed."""
    transform = text.get_transform()
    x, y = transform.transform(text.get_position())
    text.set_position(transform.inverted().transform((x + dx, y + dy)))
