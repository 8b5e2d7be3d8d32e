"""Kaplan-Meier figures: step curve, confidence band, censor marks, numbers at risk, 12-month and median markers.

Every number drawn comes from the statistics package (km_fit, km_at, km_median, risk_table) with the
configured interval type, the same calls that write survival_estimates.csv and median_survival.csv,
and is returned as a long data frame (results/figures/data/<figure>.csv) so that tests compare the
figure with the tables through numbers. Vectorised: 100,000 patients draw in well under a second.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from ino_study.endpoints.labels import Labels
from ino_study.figures.theme import (
    FONT, GREY, LABEL_BACKING, LINE, PALETTE, FigureSettings, label_axes, new_figure, style_axes, survival_axes,
    fit_to_canvas, footnote, separate, text_width_points, wrap_to_width,
)
from ino_study.figures.placement import avoid_overlaps
from ino_study.figures.words import Words
from ino_study.outputs.formats import PERCENT_DECIMALS
from ino_study.statistics.kaplan_meier import km_at, km_fit, km_median, risk_table

DATA_COLUMNS = ["element", "group", "time_months", "value", "ci_lower", "ci_upper", "n"]
ENDPOINT_NAMES = {"OS": "Overall survival", "EFS": "Event-free survival", "DOR": "Duration of response"}
#: The time origin of each endpoint's x axis (default: the first InO dose).
TIME_AXIS = {"DOR": "Months since first CR/CRi"}
MARKER_MONTHS = 12.0
RISK_STEP_MONTHS = 6.0


def risk_times(max_time: float, step: float = RISK_STEP_MONTHS) -> np.ndarray:
    """0, 6, 12, ... up to the last follow-up time (at least 0 and one step)."""
    last = max(step, math.ceil(max_time / step) * step) if np.isfinite(max_time) else step
    return np.arange(0.0, last + step / 2, step)


def _curve_rows(fit, group: str) -> pd.DataFrame:
    tab = fit.table
    start = pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_lower": [1.0], "ci_upper": [1.0],
                          "n_risk": [fit.n]})
    rows = pd.concat([start, tab[["time", "survival", "ci_lower", "ci_upper", "n_risk"]]], ignore_index=True)
    return pd.DataFrame({"element": "curve", "group": group, "time_months": rows["time"],
                         "value": rows["survival"], "ci_lower": rows["ci_lower"],
                         "ci_upper": rows["ci_upper"], "n": rows["n_risk"]})


def km_figure_data(time: np.ndarray, event: np.ndarray, groups: np.ndarray | None, conf_level: float,
                   conf_type: str, marker_months: float = MARKER_MONTHS) -> pd.DataFrame:
    """The numbers of one KM figure: curves, censor marks, numbers at risk, 12-month and median markers."""
    time, event = np.asarray(time, float), np.asarray(event, int)
    labels = np.full(time.shape, "all", dtype=object) if groups is None else np.asarray(groups, dtype=object)
    ticks = risk_times(float(np.nanmax(time)) if time.size else 0.0)
    parts = []
    for group in sorted(pd.unique(labels)):
        mask = labels == group
        t, e = time[mask], event[mask]
        fit = km_fit(t, e, conf_level, conf_type)
        parts.append(_curve_rows(fit, group))
        tab = fit.table
        cens = tab[tab["n_censor"] > 0]
        parts.append(pd.DataFrame({"element": "censor", "group": group, "time_months": cens["time"],
                                   "value": cens["survival"], "n": cens["n_censor"]}))
        risk = risk_table(t, e, ticks)
        parts.append(pd.DataFrame({"element": "at_risk", "group": group, "time_months": risk["time"],
                                   "value": risk["n_risk"], "n": risk["n_risk"]}))
        at = km_at(fit, [marker_months]).iloc[0]
        parts.append(pd.DataFrame([{"element": "timepoint", "group": group, "time_months": marker_months,
                                    "value": at["survival"], "ci_lower": at["ci_lower"],
                                    "ci_upper": at["ci_upper"], "n": at["n_risk"]}]))
        median, lower, upper = km_median(fit)
        parts.append(pd.DataFrame([{"element": "median", "group": group, "time_months": median, "value": 0.5,
                                    "ci_lower": lower, "ci_upper": upper, "n": int(mask.sum())}]))
    return pd.concat(parts, ignore_index=True).reindex(columns=DATA_COLUMNS)


def draw_no_patients(settings: FigureSettings, endpoint: str) -> Figure:
    """An empty Kaplan-Meier panel saying that the endpoint has no patients (e.g. DOR without responders)."""
    say = settings.words
    fig = new_figure(settings, aspect=0.6)
    ax = style_axes(fig.add_axes((0.11, 0.13, 0.86, 0.74)), grid_axis="y", language=say.language)
    name = say(ENDPOINT_NAMES.get(endpoint, endpoint))
    label_axes(ax, say(TIME_AXIS.get(endpoint, "Months since first InO dose")), f"{name} (%)", name)
    ax.set_xlim(0, 24)
    ax.set_ylim(0, 1.02)
    message = wrap_to_width(say("No patients: no {name} to estimate in this cohort.", name=name.lower()),
                            0.9 * 0.86 * fig.get_figwidth() * 72, FONT["label"])  # within the plot
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=FONT["label"], color=GREY)
    return fit_to_canvas(fig)


def _pct(say: Words, value: float) -> str:
    """A survival probability in %, with the decimals of the survival table."""
    return say.percent(value, PERCENT_DECIMALS["survival_summary"])


def _estimate(say: Words, point: pd.Series, separator: str = " ") -> str:
    """'12 mo: 40.3%' and its interval '(14.8%-65.7%)', `separator` between them."""
    estimate = say("{months} mo: {estimate}", months=say.count(int(point["time_months"])),
                   estimate=_pct(say, point["value"]))
    return f"{estimate}{separator}({say.range(_pct(say, point['ci_lower']), _pct(say, point['ci_upper']))})"


def _median(say: Words, months: float) -> str:
    return say("median {months} mo", months=say.number(months, ".1f"))


def thin_marks(times: np.ndarray, x_max: float, width_px: int) -> np.ndarray:
    """Indices of at most one mark per pixel column of an x axis 0..x_max `width_px` pixels wide (the
    first mark of each column, in time order)."""
    times = np.asarray(times, float)
    if not times.size:
        return np.arange(0)
    columns = np.clip(np.floor(times / max(x_max, 1e-12) * width_px), 0, max(width_px - 1, 0)).astype(np.int64)
    order = np.argsort(times, kind="stable")
    _, first = np.unique(columns[order], return_index=True)
    return np.sort(order[first])


def axes_width_px(fig: Figure, ax, dpi: float) -> int:
    """The axes' width in pixels of the figure saved at `dpi` (figure width x axes fraction x dpi)."""
    return max(1, int(math.floor(fig.get_figwidth() * ax.get_position().width * dpi)))


def draw_km(data: pd.DataFrame, settings: FigureSettings, endpoint: str, conf_type: str, conf_level: float,
            group_title: str | None = None, logrank_p: float | None = None, group_by: str | None = None,
            labels: Labels | None = None, logrank_label: str = "Log-rank p") -> Figure:
    """Draw a KM figure from `km_figure_data` output (one curve per group).

    `logrank_label`: how the p value is named ("Stratified log-rank p" for a test with `stratify_by`).

    `group_by`: the comparison variable; its label (`labels`, the analysis-dataset dictionary with the
    config's overrides) is in the title and its levels' labels in the legend and the risk table.
    `group_title`: the title's wording instead of the label. Above `settings.censor_marks_max`
    censorings in a curve its censor marks are thinned to one per pixel column of the axes (at the
    saved dpi) and the footnote says so."""
    say = settings.words
    labels = say.labels(labels if labels is not None else Labels())
    groups = list(dict.fromkeys(data.loc[data["element"] == "curve", "group"]))
    shown = {g: (labels.level(group_by, g) if group_by else str(g)) for g in groups}
    if group_title is None and group_by:
        group_title = labels.variable_in_text(group_by)
    n_groups = len(groups)
    fig = new_figure(settings, aspect=0.62 + 0.045 * n_groups)
    grid = fig.add_gridspec(2, 1, height_ratios=[5.2, 0.55 + 0.38 * n_groups], hspace=0.32,
                            left=0.16, right=0.97, top=0.92, bottom=0.08)
    ax = style_axes(fig.add_subplot(grid[0]), grid_axis="y", language=say.language)
    risk_ax = fig.add_subplot(grid[1], sharex=ax)
    ticks = np.sort(data.loc[data["element"] == "at_risk", "time_months"].unique())
    x_max = float(ticks[-1]) if len(ticks) else 1.0
    width_px = axes_width_px(fig, ax, settings.dpi)
    thinned = False
    estimates, medians, at_risk, summaries = [], [], [], []
    for index, group in enumerate(groups):
        colour = PALETTE[index % len(PALETTE)] if n_groups > 1 else PALETTE[0]
        rows = data[data["group"] == group]
        curve = rows[rows["element"] == "curve"]
        n = int(curve["n"].iloc[0])
        label = f"{shown[group] if n_groups > 1 else say('All patients')} (n = {say.count(n)})"
        t = curve["time_months"].to_numpy(float)
        ax.step(t, curve["value"], where="post", color=colour, linewidth=LINE, label=label, zorder=3)
        lower = curve["ci_lower"].to_numpy(float)
        upper = curve["ci_upper"].to_numpy(float)
        ok = np.isfinite(lower) & np.isfinite(upper)
        ax.fill_between(t[ok], np.clip(lower[ok], 0, 1), np.clip(upper[ok], 0, 1), step="post", color=colour,
                        alpha=0.15 if n_groups == 1 else 0.10, linewidth=0, zorder=1)
        cens = rows[rows["element"] == "censor"]
        if cens["n"].sum() > settings.censor_marks_max:
            cens = cens.iloc[thin_marks(cens["time_months"].to_numpy(float), x_max, width_px)]
            thinned = True
        ax.plot(cens["time_months"], cens["value"], linestyle="none", marker="+", markersize=6,
                markeredgewidth=1.0, color=colour, zorder=4)
        point = rows[rows["element"] == "timepoint"].iloc[0]
        if np.isfinite(point["value"]):
            ax.plot([point["time_months"]], [point["value"]], marker="o", markersize=3.5, color=colour, zorder=5)
            estimates.append(ax.text(point["time_months"], point["value"], _estimate(say, point, "\n"),
                                     transform=offset_copy(ax.transData, fig, 5, 3, units="points"),
                                     bbox=LABEL_BACKING, fontsize=FONT["tiny"], color=colour, ha="left",
                                     va="bottom", zorder=6, in_layout=False))
        median = rows[rows["element"] == "median"].iloc[0]
        if np.isfinite(median["time_months"]):
            ax.plot([0, median["time_months"]], [0.5, 0.5], color=colour, linestyle=":", linewidth=0.8)
            ax.plot([median["time_months"]] * 2, [0, 0.5], color=colour, linestyle=":", linewidth=0.8)
            # right of the vertical median line, above the x axis; moved up past other labels if needed
            medians.append(ax.text(median["time_months"], 0.0, _median(say, median["time_months"]),
                                   transform=offset_copy(ax.transData, fig, 3, 3, units="points"),
                                   bbox=LABEL_BACKING, fontsize=FONT["tiny"], color=colour, ha="left",
                                   va="bottom", zorder=6, in_layout=False))
        summaries.append("; ".join(
            ([_estimate(say, point)] if np.isfinite(point["value"]) else [])
            + ([_median(say, median["time_months"])] if np.isfinite(median["time_months"]) else [])))
        at_risk.append((shown[group] if n_groups > 1 else say("All"), colour,
                        [rows[(rows["element"] == "at_risk") & (rows["time_months"] == tick)]["value"].iloc[0]
                         for tick in ticks]))
    labelled = numbers_at_risk(fig, risk_ax, ticks, at_risk, words=say)
    survival_axes(ax, ticks, MARKER_MONTHS, GREY, labelled)
    name = say(ENDPOINT_NAMES.get(endpoint, endpoint))
    title = name if group_title is None else say("{name} by {group}", name=name, group=group_title)
    label_axes(ax, say(TIME_AXIS.get(endpoint, "Months since first InO dose")), f"{name} (%)", title)
    note = say("Shaded: {level} CI ({conf_type}); + censored", level=say.level(conf_level), conf_type=say(conf_type))
    if thinned:
        note += "\n" + say("(marks thinned to one per pixel column above {n})",
                           n=say.count(settings.censor_marks_max))
    if logrank_p is not None and np.isfinite(logrank_p):
        note = say.p_label(logrank_p, logrank_label) + "\n" + note
    note_text = ax.text(0.99, 0.98, note, transform=ax.transAxes, ha="right", va="top", fontsize=FONT["small"])
    legend = ax.legend(frameon=False, loc="upper right", prop={"size": FONT["small"]},
                       bbox_to_anchor=(1.0, 0.98 - _height_fraction(fig, ax, note, FONT["small"]) - 0.02))

    def lay_out() -> None:
        fit_to_canvas(fig)  # a narrow figure: the axes shrink to keep their text on the canvas
        separate(fig, ax, risk_ax)  # the x axis's label clear of the table's title
        note_text.set_text(wrap_to_width(note, 0.97 * ax.get_position().width * fig.get_figwidth() * 72,
                                         FONT["small"]))  # within the plot's width
        legend.set_bbox_to_anchor((1.0, 0.98 - _height_fraction(fig, ax, note_text.get_text(), FONT["small"]) - 0.02),
                                  ax.transAxes)
        survival_axes(ax, ticks, MARKER_MONTHS, GREY, numbers_at_risk(fig, risk_ax, ticks, at_risk,
                                                                      grow_margin=False, words=say))

    lay_out()
    # the 12-month estimates, then the medians: each as near its point as the other labels allow;
    # where the plot has no room for them all (many groups in a narrow figure), they go to a footnote
    if not avoid_overlaps(fig, estimates + medians, obstacles=[note_text, legend], within=ax.get_window_extent()):
        for text in estimates + medians:
            text.remove()
        footnote(fig, "; ".join(f"{shown[g] if n_groups > 1 else say('All patients')}: {summary}"
                                for g, summary in zip(groups, summaries) if summary) + ".")
        lay_out()
    return fig


def _height_fraction(fig: Figure, ax, text: str, size: float) -> float:
    """The height of `text` (its lines at matplotlib's line spacing 1.2) as a fraction of the axes' height."""
    return (text.count("\n") + 1) * 1.2 * size / (fig.get_figheight() * ax.get_position().height * 72)


def numbers_at_risk(fig: Figure, risk_ax, ticks: np.ndarray, rows: list[tuple[str, str, list]],
                    size: float = FONT["small"], grow_margin: bool = True, words: Words = Words()) -> np.ndarray:
    """The numbers-at-risk table under a survival plot: one row per (label, colour, counts at
    `ticks`), top to bottom, with thousands separators. Where the counts would run into each other,
    only every k-th time is labelled (k the smallest that leaves a gap of at least 4 points); the
    row labels stand clear of the first column, and (`grow_margin`) the left margin of the axes'
    grid grows when a row label needs it. Drawn again (after the axes moved), it replaces the
    numbers drawn before. `words`: the language of the counts and the title. Returns the times
    labelled (the survival axes' ticks)."""
    for text in list(risk_ax.texts):
        text.remove()
    texts = [[words.count(c) for c in counts] for _, _, counts in rows]
    widest = max((text_width_points(t, size) for row in texts for t in row), default=0.0)
    first = max((text_width_points(row[0], size) for row in texts if row), default=0.0)
    pad = first / 2 + 4.0
    # room on the left for the row labels: the grid's left margin grows when a label needs it
    fig_points = fig.get_figwidth() * 72
    label_room = max((text_width_points(label, size) for label, _, _ in rows), default=0.0) + pad + 3.0
    grid = risk_ax.get_subplotspec().get_gridspec()
    if grow_margin and label_room > risk_ax.get_position().x0 * fig_points:
        grid.update(left=grid.left + label_room / fig_points - risk_ax.get_position().x0)
        for axes in fig.axes:  # GridSpec.update moves the axes of pyplot's figures only
            spec = axes.get_subplotspec()
            if spec is not None and spec.get_gridspec() is grid:
                axes.set_position(spec.get_position(fig))
    span = float(ticks[-1] - ticks[0]) if len(ticks) > 1 else 0.0
    width_points = fig.get_figwidth() * risk_ax.get_position().width * 72
    step_points = width_points * float(ticks[1] - ticks[0]) / span if span else width_points
    every = max(1, math.ceil((widest + 4.0) / step_points)) if step_points > 0 else 1
    keep = np.arange(len(ticks)) % every == 0
    n_rows = len(rows)
    for index, (_, colour, _) in enumerate(rows):
        for tick, text, kept in zip(ticks, texts[index], keep):
            if kept:
                risk_ax.text(tick, n_rows - 1 - index, text, ha="center", va="center", fontsize=size, color=colour)
    risk_ax.set_ylim(-0.6, n_rows - 0.4)
    risk_ax.set_yticks(range(n_rows))
    risk_ax.set_yticklabels([label for label, _, _ in reversed(rows)], fontsize=size)
    for side in ("top", "right", "left", "bottom"):
        risk_ax.spines[side].set_visible(False)
    risk_ax.tick_params(axis="both", length=0, labelsize=size, pad=pad)
    # no x axis under the counts: the curves' axis above gives the times
    risk_ax.xaxis.set_visible(False)
    risk_ax.set_title(words("Number at risk"), fontsize=size, loc="left")
    return np.asarray(ticks)[keep]
