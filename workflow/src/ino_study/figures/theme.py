"""One publication theme for every figure: seaborn's theme with a colour-blind-safe palette.

Figures are `matplotlib.figure.Figure` objects with their own Agg canvas (no pyplot, no global figure
registry), drawn with seaborn's plotting functions where seaborn is the natural tool (`ax=` the Axes
of the figure) and with matplotlib's Axes methods otherwise. `use_theme` sets the theme with
`seaborn.set_theme`, that is in matplotlib's rcParams, process-wide: each Snakemake job is a process of
its own, and every figure of the process uses the same theme. The theme also fixes the SVG hash salt
and keeps SVG text as text; `save_figure` leaves out the metadata that would carry dates, so SVG and
PDF files are byte-identical run to run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ino_study.outputs.io import atomic_write

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
#: The theme's palette, the Okabe-Ito colours in the order used for groups: the first curve is blue,
#: the second vermillion, ...
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
GREY = "#7F7F7F"

#: A white backing under labels drawn on curves (time-point estimates, medians), so that a label
#: moved over a curve stays legible; its margin (0.1 x the font size) is less than half the gap left
#: between stacked labels (figures.placement), so one label's backing never covers another's text.
LABEL_BACKING = {"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.8, "edgecolor": "none"}
FONT = {"title": 9.5, "label": 8.5, "tick": 7.5, "small": 7.0, "tiny": 6.0}
#: A fixed font for every figure (journals ask for one; DejaVu Sans has Cyrillic too).
FONT_FAMILY = "DejaVu Sans"
LINE = 1.4

#: On top of seaborn's "paper" context and "ticks" style: the sizes of this project's figures, no
#: top or right spine, a light grid where `style_axes` asks for one, SVG text as <text> elements
#: (editable in Inkscape or Illustrator, as journals ask) and a fixed SVG hash salt (stable ids).
THEME_RC = {
    "font.size": FONT["label"],
    "axes.titlesize": FONT["title"],
    "axes.labelsize": FONT["label"],
    "xtick.labelsize": FONT["tick"],
    "ytick.labelsize": FONT["tick"],
    "legend.fontsize": FONT["small"],
    "legend.title_fontsize": FONT["small"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3,
    "ytick.major.size": 3,
    "xtick.minor.width": 0.6,
    "ytick.minor.width": 0.6,
    "xtick.minor.size": 2,
    "ytick.minor.size": 2,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.formatter.useoffset": False,
    "svg.hashsalt": "ino-study",
    "svg.fonttype": "none",
    # TrueType (Type 42) fonts embedded in PDF (and PostScript): text stays text, editable in
    # Illustrator or Inkscape, as journals ask; the default Type 3 fonts are drawn glyphs
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}

#: Journal column widths (inches) that `figures.width_in` may name instead of a number.
WIDTH_PRESETS = {"single": 3.5, "double": 7.0}
#: The resolutions journals accept for TIFF figures; figures.dpi must be in this range with tiff.
TIFF_DPI = (300, 600)

METADATA = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def use_theme() -> None:
    """Set the figures' theme (process-wide, idempotent): seaborn's paper context and ticks style,
    the Okabe-Ito palette, DejaVu Sans and THEME_RC."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, font=FONT_FAMILY, rc=THEME_RC)


@dataclass(frozen=True)
class FigureSettings:
    """From config `figures`: resolution, file formats, width, and the number of censorings per
    Kaplan-Meier curve above which the censor marks are thinned to one per pixel column."""

    dpi: int = 300
    formats: tuple[str, ...] = ("png", "svg")
    width_in: float = 7.0
    censor_marks_max: int = 500

    @classmethod
    def from_config(cls, figures: dict) -> "FigureSettings":
        """From config `figures`; `width_in` a number or a preset of WIDTH_PRESETS ("single", "double")."""
        width = figures.get("width_in", 7)
        if isinstance(width, str) and width not in WIDTH_PRESETS:
            raise ValueError(f"config figures.width_in: {width!r} is neither a width in inches nor one of "
                             f"{', '.join(WIDTH_PRESETS)}")
        settings = cls(dpi=int(figures.get("dpi", 300)), formats=tuple(figures.get("formats", ("png", "svg"))),
                       width_in=float(WIDTH_PRESETS.get(width, width)),
                       censor_marks_max=int(figures.get("censor_marks_max", 500)))
        if "tiff" in settings.formats and not TIFF_DPI[0] <= settings.dpi <= TIFF_DPI[1]:
            raise ValueError(f"config figures.dpi: {settings.dpi} with tiff among figures.formats; TIFF figures "
                             f"are written at {TIFF_DPI[0]}-{TIFF_DPI[1]} dpi")
        return settings


def new_figure(settings: FigureSettings, aspect: float = 0.62) -> Figure:
    """A blank figure `width_in` wide and `aspect * width_in` tall, on its own Agg canvas, in the theme."""
    use_theme()
    fig = Figure(figsize=(settings.width_in, settings.width_in * aspect), dpi=settings.dpi)
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, grid_axis: str | None = "y") -> Axes:
    """A light grid along `grid_axis` only, and tick labels as plain numbers."""
    # no offset or multiplier text ("1e6") at the top of the y axis: clinicians read 1500000 at a glance
    ax.ticklabel_format(style="plain", useOffset=False)
    if grid_axis:
        ax.grid(axis=grid_axis)
    return ax


def survival_axes(ax: Axes, ticks, marker_months: float, colour: str, labelled=None) -> None:
    """Survival scale in % (0-100), x from 0 to the last tick, ticks at `labelled` (default: `ticks`;
    the times the numbers-at-risk table labels), and the dashed marker line."""
    ax.axvline(marker_months, color=colour, linestyle="--", linewidth=0.8, zorder=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, ticks[-1] if len(ticks) else 1)
    ax.set_xticks(ticks if labelled is None else labelled)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_yticklabels([f"{int(v * 100)}" for v in np.linspace(0, 1, 6)])


def plain_number(value: float, _position: object = None) -> str:
    """0.001, 0.5, 2, 100: a tick label as a plain decimal (no 10^x, no trailing zeros)."""
    return np.format_float_positional(value, trim="-")


def plain_log_ticks(axis: Axis, steps: tuple[float, ...] = (1.0,)) -> None:
    """Log-scale ticks at `steps` x 10^k, labelled as plain numbers (0.01, 0.5, 2), which clinicians
    read at a glance, unlike 10^-2."""
    axis.set_major_locator(LogLocator(base=10, subs=steps))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_formatter(NullFormatter())


def label_axes(ax: Axes, xlabel: str = "", ylabel: str = "", title: str = "") -> None:
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    if title:
        ax.set_title(title, fontsize=FONT["title"], loc="left", fontweight="bold")


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

    Footnotes are wrapped to a set width (FOOTNOTE_WIDTH of the figure, leaving a margin), which
    matplotlib's `wrap=True` does not offer (it wraps at the figure's edge). Each word is measured
    with matplotlib's font metrics; a line is as wide as its words and spaces (kerning across a space
    is ignored, hence the margin). A word wider than the line gets a line of its own."""
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
    fig.text(FOOTNOTE_X, 0.005, lines, fontsize=FONT["tiny"], color="#444444", ha="left", va="bottom")


#: Pillow's options per raster format: TIFF LZW-compressed (lossless, what journals ask for).
PIL_OPTIONS = {"tiff": {"compression": "tiff_lzw"}}


def save_figure(fig: Figure, paths: Iterable[str | Path], dpi: int) -> None:
    """Save to every path (format from the suffix), deterministically and atomically."""
    for path in paths:
        fmt = Path(path).suffix.lstrip(".").lower()
        options = {"pil_kwargs": PIL_OPTIONS[fmt]} if fmt in PIL_OPTIONS else {}
        atomic_write(path, lambda tmp, fmt=fmt, options=options: fig.savefig(
            tmp, format=fmt, dpi=dpi, metadata=METADATA.get(fmt), facecolor="white", **options))
