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
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, ScalarFormatter
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from ino_study.figures.words import Words
from ino_study.outputs.formats import localise_number
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
    Kaplan-Meier curve above which the censor marks are thinned to one per pixel column; and the
    reader's language (config `language`), whose `words` write every text a figure shows."""

    dpi: int = 300
    formats: tuple[str, ...] = ("png", "svg")
    width_in: float = 7.0
    censor_marks_max: int = 500
    language: str = "en"

    @property
    def words(self) -> Words:
        """The figure's texts and numbers in the reader's language (ino_study.figures.words)."""
        return Words(self.language)

    @classmethod
    def from_config(cls, figures: dict, language: str = "en") -> "FigureSettings":
        """From config `figures` (and config `language`); `width_in` a number or a preset of
        WIDTH_PRESETS ("single", "double")."""
        width = figures.get("width_in", 7)
        if isinstance(width, str) and width not in WIDTH_PRESETS:
            raise ValueError(f"config figures.width_in: {width!r} is neither a width in inches nor one of "
                             f"{', '.join(WIDTH_PRESETS)}")
        settings = cls(dpi=int(figures.get("dpi", 300)), formats=tuple(figures.get("formats", ("png", "svg"))),
                       width_in=float(WIDTH_PRESETS.get(width, width)),
                       censor_marks_max=int(figures.get("censor_marks_max", 500)), language=str(language))
        if "tiff" in settings.formats and not TIFF_DPI[0] <= settings.dpi <= TIFF_DPI[1]:
            raise ValueError(f"config figures.dpi: {settings.dpi} with tiff among figures.formats; TIFF figures "
                             f"are written at {TIFF_DPI[0]}-{TIFF_DPI[1]} dpi")
        return settings


#: The width the figures are designed at (the double-column width): a narrower figure is relatively
#: taller, since its text keeps its size in points (height = aspect x the mean of the two widths).
DESIGN_WIDTH_IN = 7.0


def new_figure(settings: FigureSettings, aspect: float = 0.62) -> Figure:
    """A blank figure `width_in` wide, on its own Agg canvas, in the theme: `aspect * width_in` tall at
    DESIGN_WIDTH_IN and wider, `aspect * (width_in + DESIGN_WIDTH_IN) / 2` when narrower."""
    use_theme()
    width = settings.width_in
    height = aspect * (width if width >= DESIGN_WIDTH_IN else (width + DESIGN_WIDTH_IN) / 2)
    fig = Figure(figsize=(width, height), dpi=settings.dpi)
    FigureCanvasAgg(fig)
    return fig


#: The margin (points) `fit_to_canvas` leaves between the text and the canvas's edges.
CANVAS_MARGIN_PT = 2.0


def fit_to_canvas(fig: Figure, rounds: int = 6) -> Figure:
    """Where the axes' text (tick and axis labels, titles, legends, texts) would leave the canvas or
    run into a footnote or the figure's title, move and shrink the axes, all of them by one linear
    map per direction, so that it fits with CANVAS_MARGIN_PT to spare. A figure whose text fits is
    left as it is (so a layout made for 7 in keeps its look; a narrower one is fitted)."""
    renderer = fig.canvas.get_renderer()
    margin = CANVAS_MARGIN_PT * fig.dpi / 72
    canvas = fig.bbox
    for _ in range(rounds):
        axes = [ax for ax in fig.axes if ax.get_visible()]
        if not axes:
            return fig
        content = Bbox.union([ax.get_tightbbox(renderer) for ax in axes])
        frames = Bbox.union([ax.get_window_extent(renderer) for ax in axes])
        bottom, top = canvas.y0, canvas.y1
        for text in fig.texts:  # footnotes under the plot, a figure title over it
            if text.get_visible() and text.get_text().strip():
                box = text.get_window_extent(renderer)
                if (box.y0 + box.y1) / 2 < (frames.y0 + frames.y1) / 2:
                    bottom = max(bottom, box.y1)
                else:
                    top = min(top, box.y0)
        suptitle = getattr(fig, "_suptitle", None)
        if suptitle is not None and suptitle.get_text().strip():
            top = min(top, suptitle.get_window_extent(renderer).y0)
        if (content.x0 >= canvas.x0 and content.x1 <= canvas.x1 and content.y0 >= bottom
                and content.y1 <= top):
            break
        x_map = _span_map(frames.x0, frames.x1, content.x0, content.x1, canvas.x0 + margin, canvas.x1 - margin,
                          content.x0 < canvas.x0, content.x1 > canvas.x1)
        y_map = _span_map(frames.y0, frames.y1, content.y0, content.y1, bottom + margin, top - margin,
                          content.y0 < bottom, content.y1 > top)
        for ax in axes:
            box = ax.get_window_extent(renderer)
            x0, x1 = x_map(box.x0), x_map(box.x1)
            y0, y1 = y_map(box.y0), y_map(box.y1)
            ax.set_position(Bbox.from_extents(x0 / canvas.width, y0 / canvas.height, x1 / canvas.width,
                                              y1 / canvas.height))
            _rewrap(fig, ax, renderer)
    spare_tick_labels(fig)
    return fig


def left_title(ax: Axes):
    """The Text artist of the axes' left title, found through public API (matplotlib has no public
    getter for it): the child, not one of the axes' own texts, left-aligned, with the title's text."""
    title = ax.get_title(loc="left")
    own = set(map(id, ax.texts))
    for child in ax.get_children():
        if (isinstance(child, Text) and id(child) not in own and child.get_text() == title
                and child.get_horizontalalignment() == "left"):
            return child
    return None


def _rewrap(fig: Figure, ax: Axes, renderer) -> None:
    """A left title wrapped again to its axes' new place; an x label wider than the canvas wrapped
    to the axes' width."""
    title, artist = ax.get_title(loc="left"), left_title(ax)
    if title and artist is not None and ("\n" in title or artist.get_window_extent(renderer).x1 > fig.bbox.x1):
        artist.set_text(wrap_title(fig, title.replace("\n", " "), ax.get_position().x0))  # its font kept
    label = ax.xaxis.label
    if label.get_text() and label.get_visible():
        box = label.get_window_extent(renderer)
        if box.x0 < fig.bbox.x0 or box.x1 > fig.bbox.x1:
            width = ax.get_position().width * fig.get_figwidth() * 72
            ax.set_xlabel(wrap_to_width(label.get_text().replace("\n", " "), width, label.get_fontsize()))


def spare_tick_labels(fig: Figure, gap_points: float = 2.0) -> None:
    """Where two x tick labels of an axes would touch (a narrow figure), keep every other tick of
    that axes (the first kept), until none do."""
    gap = gap_points * fig.dpi / 72
    for _ in range(4):
        fig.canvas.draw()  # the tick labels laid out
        renderer = fig.canvas.get_renderer()
        crowded = []
        for ax in fig.axes:
            if not (ax.get_visible() and ax.xaxis.get_visible()):
                continue
            low, high = sorted(ax.get_xlim())
            pairs = [(loc, label) for loc, label in zip(ax.xaxis.get_majorticklocs(), ax.get_xticklabels())
                     if low - 1e-9 <= loc <= high + 1e-9]
            boxes = sorted((label.get_window_extent(renderer) for _, label in pairs
                            if label.get_visible() and label.get_text()), key=lambda b: b.x0)
            numeric = all(_is_number(label.get_text()) for _, label in pairs)  # never a category's label
            if numeric and len(pairs) >= 3 and any(b.x0 - a.x1 < gap for a, b in zip(boxes, boxes[1:])):
                crowded.append((ax, [loc for loc, _ in pairs]))
        if not crowded:
            return
        for ax, locs in crowded:
            ax.set_xticks(locs[::2])


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("\u00a0", "").replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def separate(fig: Figure, upper: Axes, lower: Axes, move: str = "upper", gap_points: float = 2.0) -> None:
    """Where the text under `upper` (tick and axis labels) runs into the text over `lower` (its
    title), shorten one of the two axes (`move`: "upper" from its bottom, "lower" from its top) by
    the overlap and `gap_points`."""
    renderer = fig.canvas.get_renderer()
    overlap = (lower.get_tightbbox(renderer).y1 + gap_points * fig.dpi / 72
               - upper.get_tightbbox(renderer).y0) / fig.bbox.height
    if overlap <= 0:
        return
    axes = upper if move == "upper" else lower
    box = axes.get_position()
    if move == "upper":
        axes.set_position(Bbox.from_extents(box.x0, box.y0 + overlap, box.x1, box.y1))
    else:
        axes.set_position(Bbox.from_extents(box.x0, box.y0, box.x1, box.y1 - overlap))


def _span_map(frame_low: float, frame_high: float, content_low: float, content_high: float, low: float,
              high: float, move_low: bool, move_high: bool):
    """The linear map of one direction that takes the axes' frames [frame_low, frame_high] to new
    ends: moved in by what the content overhangs on a side that leaves [low, high], else kept."""
    new_low = low + (frame_low - content_low) if move_low else frame_low
    new_high = high - (content_high - frame_high) if move_high else frame_high
    if new_high - new_low < 0.2 * (frame_high - frame_low):  # never shrink the plots to nothing
        new_high = new_low + 0.2 * (frame_high - frame_low)
    scale = (new_high - new_low) / (frame_high - frame_low) if frame_high > frame_low else 1.0
    return lambda v: new_low + (v - frame_low) * scale


class LocalisedFormatter(ScalarFormatter):
    """Matplotlib's plain tick labels with the decimal mark of `language` ('2.5' -> '2,5' in Russian)."""

    def __init__(self, language: str) -> None:
        super().__init__(useOffset=False)
        self.language = language

    def __call__(self, x, pos=None) -> str:
        return localise_number(super().__call__(x, pos), self.language)


def style_axes(ax: Axes, grid_axis: str | None = "y", language: str = "en") -> Axes:
    """A light grid along `grid_axis` only, and tick labels as plain numbers (in another language
    than English with its decimal mark)."""
    # no offset or multiplier text ("1e6") at the top of the y axis: clinicians read 1500000 at a glance
    ax.ticklabel_format(style="plain", useOffset=False)
    if language != "en":
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(LocalisedFormatter(language))
            # still the default: a categorical axis (seaborn's bars, the forest plot's rows) replaces it
            axis.isDefault_majfmt = True
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


def plain_log_ticks(axis: Axis, steps: tuple[float, ...] = (1.0,), language: str = "en") -> None:
    """Log-scale ticks at `steps` x 10^k, labelled as plain numbers (0.01, 0.5, 2), which clinicians
    read at a glance, unlike 10^-2; with the decimal mark of `language`."""
    axis.set_major_locator(LogLocator(base=10, subs=steps))
    axis.set_major_formatter(FuncFormatter(lambda value, position: localise_number(plain_number(value), language)))
    axis.set_minor_formatter(NullFormatter())


def label_axes(ax: Axes, xlabel: str = "", ylabel: str = "", title: str = "") -> None:
    """Axis labels and a bold title at the left, the title wrapped at spaces to the room between the
    axes' left edge and the figure's right edge."""
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    if title:
        ax.set_title(wrap_title(ax.figure, title, ax.get_position().x0), fontsize=FONT["title"], loc="left",
                     fontweight="bold")


def wrap_title(fig: Figure, title: str, left: float) -> str:
    """`title` wrapped to the width from `left` (figure fraction) to the figure's right edge, less
    a margin (bold text is measured at 1.15 x the regular width)."""
    room = (1.0 - left - 0.02) * fig.get_figwidth() * 72 / 1.15
    return wrap_to_width(title, room, FONT["title"])


@functools.lru_cache(maxsize=4096)
def text_width_points(text: str, size: float) -> float:
    """The width of `text` set in FONT_FAMILY at `size` points, in points (matplotlib's font metrics)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    width, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(family=FONT_FAMILY, size=size),
                                                             ismath=False)
    return float(width)


def _hyphen_pieces(word: str, width_points: float, size: float) -> list[str]:
    """`word` broken after its hyphens into pieces at most `width_points` wide where it can be (greedy)."""
    parts = [part + "-" for part in word.split("-")[:-1]] + [word.split("-")[-1]]
    pieces = [parts[0]]
    for part in parts[1:]:
        if text_width_points(pieces[-1] + part, size) <= width_points:
            pieces[-1] += part
        else:
            pieces.append(part)
    return pieces


def wrap_to_width(text: str, width_points: float, size: float, hyphenate: float | None = None) -> str:
    """Break `text` at spaces into lines at most `width_points` wide (greedy); its own line breaks stay;
    a word wider than `hyphenate` points (when given) is first broken after its hyphens
    ('МОБ-негативность' in a narrow bar's label).

    Footnotes are wrapped to a set width (FOOTNOTE_WIDTH of the figure, leaving a margin), which
    matplotlib's `wrap=True` does not offer (it wraps at the figure's edge). Each word is measured
    with matplotlib's font metrics; a line is as wide as its words and spaces (kerning across a space
    is ignored, hence the margin). A word wider than the line gets a line of its own."""
    space = text_width_points(" ", size)
    lines = []
    for paragraph in text.split("\n"):
        words: list[str] = []
        width = 0.0
        words_of = paragraph.split(" ")
        if hyphenate is not None:
            words_of = [piece for word in words_of for piece in (
                _hyphen_pieces(word, hyphenate, size) if "-" in word.strip("-")
                and text_width_points(word, size) > hyphenate else [word])]
        for word in words_of:
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
