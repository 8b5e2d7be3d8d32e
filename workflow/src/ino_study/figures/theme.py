"""One publication theme for every figure, drawn with the object API only.

Figures are `matplotlib.figure.Figure` objects with their own Agg canvas: no pyplot, no global
figure registry, so figures can be drawn in several Snakemake job threads of one process. Styling
is applied to each Axes explicitly (no rc_context, which is process-global and not thread-safe).
The only global settings are fixed constants set once at import (the SVG hash salt, SVG text kept
as text, and the metadata that would otherwise carry dates), so SVG and PDF files are byte-identical
run to run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from matplotlib import rcParams  # noqa: E402
import numpy as np
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from ino_study.figures.png_backend import BACKEND as PNG_BACKEND
from ino_study.outputs.io import atomic_write  # noqa: E402

# Constant, process-wide and idempotent: every thread sets the same value.
rcParams["svg.hashsalt"] = "ino-study"
# SVG text as <text> elements in DejaVu Sans, not glyph outlines: editable in Inkscape or Illustrator
# (journals ask for editable text), a third of the size, and about 40% faster to write.
rcParams["svg.fonttype"] = "none"

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
#: Order used for groups: the first curve is blue, the second vermillion, ...
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
GREY = "#7F7F7F"

FONT = {"title": 9.5, "label": 8.5, "tick": 7.5, "small": 7.0, "tiny": 6.0}
FONT_FAMILY = "DejaVu Sans"
LINE = 1.4

METADATA = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

# PNG files are written by pypng rather than Pillow (figures/png_backend.py: the same pixels, a third of
# the encoding time).
SAVE_OPTIONS = {"png": {"backend": PNG_BACKEND}}


@dataclass(frozen=True)
class FigureSettings:
    """From config `figures`: resolution, file formats and width."""

    dpi: int = 300
    formats: tuple[str, ...] = ("png", "svg")
    width_in: float = 7.0

    @classmethod
    def from_config(cls, figures: dict) -> "FigureSettings":
        return cls(dpi=int(figures.get("dpi", 300)), formats=tuple(figures.get("formats", ("png", "svg"))),
                   width_in=float(figures.get("width_in", 7)))


def new_figure(settings: FigureSettings, aspect: float = 0.62) -> Figure:
    """A blank figure `width_in` wide and `aspect * width_in` tall, on its own Agg canvas."""
    fig = Figure(figsize=(settings.width_in, settings.width_in * aspect), dpi=settings.dpi)
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, grid_axis: str | None = "y") -> Axes:
    """The theme: no top/right spines, light grid, fixed font sizes."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(0.8)
    # labelfontfamily applies to the tick labels made later too (asking for them now would lay
    # out the default ticks once more for nothing)
    ax.tick_params(labelsize=FONT["tick"], width=0.8, length=3, labelfontfamily=FONT_FAMILY)
    # plain numbers, no offset or multiplier text ("1e6") at the top of the y axis: clinicians read
    # 1500000 at a glance, and `set_title` can then place titles once (nothing under them to avoid)
    ax.ticklabel_format(style="plain", useOffset=False)
    if grid_axis:
        ax.grid(axis=grid_axis, color="#E5E5E5", linewidth=0.6)
        ax.set_axisbelow(True)
    return ax


def survival_axes(ax: Axes, ticks, marker_months: float, colour: str) -> None:
    """Survival scale in % (0-100), x from 0 to the last tick, and the dashed marker line."""
    ax.axvline(marker_months, color=colour, linestyle="--", linewidth=0.8, zorder=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, ticks[-1] if len(ticks) else 1)
    ax.set_xticks(ticks)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_yticklabels([f"{int(v * 100)}" for v in np.linspace(0, 1, 6)])


def plain_number(value: float, _position: object = None) -> str:
    """0.001, 0.5, 2, 100: a tick label as a plain decimal (no 10^x, no trailing zeros)."""
    return np.format_float_positional(value, trim="-")


def plain_log_ticks(axis: Axis, steps: tuple[float, ...] = (1.0,)) -> None:
    """Log-scale ticks at `steps` x 10^k, labelled as plain numbers (0.01, 0.5, 2).

    Read by clinicians at a glance, unlike 10^-2, and no TeX-like typesetting to run (matplotlib's
    default log labels go through mathtext: about 0.9 s per process for the first figure)."""
    axis.set_major_locator(LogLocator(base=10, subs=steps))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_formatter(NullFormatter())


def minor_ticks_in_view(axis: Axis) -> None:
    """Fix the axis' minor ticks at the positions its minor locator gives now, leaving out those outside
    the view: call once the limits are final.

    A log axis' minor locator also returns positions in the decades around the view, and matplotlib
    makes a tick for each (five artists) before it skips those outside at every save: the MRD figure
    made 80 minor ticks and drew 46, the forest plot 30 and 8. The ticks drawn are the same
    (tests/test_figures.py); saving the two figures (PNG and SVG) takes about 0.1 s (15%) less CPU."""
    low, high = sorted(axis.get_view_interval())
    scale = axis.get_transform()
    start, end = scale.transform([low, high])
    tolerance = 1e-10 * (end - start)  # matplotlib's own test of "in view" allows the same rounding
    positions = axis.get_minor_locator().tick_values(low, high)
    inside = [float(p) for p, t in zip(positions, scale.transform(positions))
              if start - tolerance <= t <= end + tolerance]
    axis.set_minor_locator(FixedLocator(inside))


def label_axes(ax: Axes, xlabel: str = "", ylabel: str = "", title: str = "") -> None:
    ax.set_xlabel(xlabel, fontsize=FONT["label"], family=FONT_FAMILY)
    ax.set_ylabel(ylabel, fontsize=FONT["label"], family=FONT_FAMILY)
    if title:
        set_title(ax, title, fontsize=FONT["title"], family=FONT_FAMILY, loc="left", fontweight="bold")


def set_title(ax: Axes, title: str, **kwargs) -> None:
    """`ax.set_title` at the top of the axes, placed once.

    Left to itself, matplotlib places a title anew at every save (PNG, then SVG): it lays out every
    y tick label, once per title slot, to lift the title above an offset text ("1e6") or tick labels
    at the top. The theme has neither (`style_axes` turns the offset text off; tick labels are at the
    bottom or left, or fixed labels), so the title goes where matplotlib would put it anyway, at
    y = 1 plus the title pad (the same pixels), and drawing the figures costs about 5-10% less CPU."""
    ax.set_title(title, y=1.0, **kwargs)


@functools.lru_cache(maxsize=4096)
def text_width_points(text: str, size: float) -> float:
    """The width of `text` set in FONT_FAMILY at `size` points, in points (matplotlib's font metrics)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    width, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(family=FONT_FAMILY, size=size),
                                                             ismath=False)
    return float(width)


def wrap_to_width(text: str, width_points: float, size: float) -> str:
    """Break `text` at spaces into lines at most `width_points` wide (greedy); its own line breaks stay.

    Written here because matplotlib's `wrap=True` measures every growing prefix of a line again at
    every save (PNG, then SVG): 0.4 s for the literature figure's footnote alone. This measures each
    word once; a line is as wide as its words and spaces (kerning across a space is ignored, hence
    the margin the caller leaves). A word wider than the line gets a line of its own."""
    space = text_width_points(" ", size)
    lines = []
    for paragraph in text.split("\n"):
        words: list[str] = []
        width = 0.0
        for word in paragraph.split(" "):
            word_width = text_width_points(word, size)
            if words and width + space + word_width > width_points:
                lines.append(" ".join(words))
                words, width = [], 0.0
            width += (space if words else 0.0) + word_width
            words.append(word)
        lines.append(" ".join(words))
    return "\n".join(lines)


#: Where a footnote starts (figure fraction) and how much of the width it may use.
FOOTNOTE_X, FOOTNOTE_WIDTH = 0.01, 0.97


def footnote(fig: Figure, text: str) -> None:
    """A small note under the plot (sampling statement, data source, citation), wrapped to the figure."""
    lines = wrap_to_width(text, FOOTNOTE_WIDTH * fig.get_figwidth() * 72, FONT["tiny"])
    fig.text(FOOTNOTE_X, 0.005, lines, fontsize=FONT["tiny"], family=FONT_FAMILY, color="#444444", ha="left",
             va="bottom")


def save_figure(fig: Figure, paths: Iterable[str | Path], dpi: int) -> None:
    """Save to every path (format from the suffix), deterministically and atomically."""
    for path in paths:
        fmt = Path(path).suffix.lstrip(".").lower()
        atomic_write(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=dpi,
                                                             metadata=METADATA.get(fmt), facecolor="white",
                                                             **SAVE_OPTIONS.get(fmt, {})))
