"""Transplant figures: landmark OS by HSCT before the landmark, and cumulative incidence (REL, VOD/SOS).

The numbers printed on these figures are taken from the statistics tables themselves
(results/tables/landmark.csv: log-rank p, n, events, survival at the table's timepoints;
results/tables/cumulative_incidence.csv: the 12-month cumulative incidence), and the step curves from
the same functions that wrote those tables (landmark curves: :func:`km_fit` on the landmark data set
of :mod:`ino_study.statistics.transplant_analyses`; incidence curves:
results/tables/cumulative_incidence_curves.csv), so a figure equals its table. Each figure's numbers
are returned as a long data frame (results/figures/data/<figure>.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.figures.km import numbers_at_risk, risk_times
from ino_study.figures.placement import avoid_overlaps
from ino_study.figures.theme import (
    DESIGN_WIDTH_IN, FONT, GREY, LABEL_BACKING, LINE, PALETTE, FigureSettings, fit_to_canvas, label_axes,
    new_figure, separate, style_axes, survival_axes, wrap_title, wrap_to_width,
)
from ino_study.statistics.comparisons import landmark
from ino_study.statistics.kaplan_meier import km_fit, risk_table
from ino_study.statistics.transplant_analyses import CAUSES, LANDMARK_GROUPS, _endpoint_days

LANDMARK_COLUMNS = ["element", "landmark_days", "group", "time_months", "value", "ci_lower", "ci_upper", "n"]
CIF_COLUMNS = ["element", "endpoint", "cause", "time_months", "value", "ci_lower", "ci_upper", "n"]
MARKER_MONTHS = 12.0
GROUP_LABELS = {"no": "No HSCT by landmark", "yes": "HSCT by landmark"}
RISK_LABELS = {"no": "No HSCT", "yes": "HSCT"}
CIF_TITLES = {"REL": "Cumulative incidence of relapse and non-relapse mortality",
              "VOD": "Cumulative incidence of VOD/SOS after HSCT (competing: death)"}
CIF_XLABELS = {"REL": "Months since first InO dose", "VOD": "Months since HSCT"}
NO_PATIENTS = {"REL": "No patients: no responders at risk of relapse in this cohort.",
               "VOD": "No patients: no patient was transplanted after InO in this cohort."}


# ---------------------------------------------------------------------------------------------------------
# landmark


def landmark_figure_data(adtte: pd.DataFrame, adsl: pd.DataFrame, table: pd.DataFrame, conf_level: float,
                         conf_type: str) -> pd.DataFrame:
    """Numbers of the landmark figure, one block per landmark of `table` (landmark.csv).

    Elements: ``curve`` (KM from the landmark, time in months since the landmark), ``at_risk``
    (every 6 months), ``timepoint`` and ``summary`` (n, events) copied from the table, and
    ``logrank_p`` copied from the table.
    """
    frame = _endpoint_days(adtte, adsl, "OS")
    parts = []
    for lm in sorted(pd.unique(table["landmark_days"].astype(int))):
        rows = table[table["landmark_days"].astype(int) == lm]
        exposed = np.where(np.isnan(frame["hsct_days"]), False, frame["hsct_days"] <= lm)
        data = landmark(frame["days"], frame["event"], lm, np.where(exposed, "yes", "no"))
        months = data["time"].to_numpy(float) / DAYS_PER_MONTH
        ticks = risk_times(float(months.max()) if months.size else 0.0)
        for group in LANDMARK_GROUPS:
            mask = (data["group"] == group).to_numpy()
            t, e = months[mask], data["event"].to_numpy(int)[mask]
            if t.size:
                fit = km_fit(t, e, conf_level, conf_type)
                tab = fit.table
                curve = pd.DataFrame({"time_months": np.r_[0.0, tab["time"]], "value": np.r_[1.0, tab["survival"]],
                                      "ci_lower": np.r_[1.0, tab["ci_lower"]], "ci_upper": np.r_[1.0, tab["ci_upper"]],
                                      "n": np.r_[fit.n, tab["n_risk"]]})
                risk = risk_table(t, e, ticks)["n_risk"].to_numpy(int)
            else:
                curve = pd.DataFrame(columns=["time_months", "value", "ci_lower", "ci_upper", "n"])
                risk = np.zeros(ticks.size, int)
            parts.append(curve.assign(element="curve", landmark_days=lm, group=group))
            parts.append(pd.DataFrame({"element": "at_risk", "landmark_days": lm, "group": group,
                                       "time_months": ticks, "value": risk, "n": risk}))
            grow = rows[rows["group"] == group]
            parts.append(pd.DataFrame({"element": "timepoint", "landmark_days": lm, "group": group,
                                       "time_months": grow["time_months_after_landmark"].to_numpy(float),
                                       "value": grow["survival"].to_numpy(float),
                                       "ci_lower": grow["ci_lower"].to_numpy(float),
                                       "ci_upper": grow["ci_upper"].to_numpy(float),
                                       "n": grow["n_risk"].to_numpy(int)}))
            n = int(grow["n"].iloc[0]) if len(grow) else 0
            events = int(grow["events"].iloc[0]) if len(grow) else 0
            parts.append(pd.DataFrame([{"element": "summary", "landmark_days": lm, "group": group,
                                        "value": events, "n": n}]))
        p = float(rows["logrank_p"].iloc[0]) if len(rows) else float("nan")
        parts.append(pd.DataFrame([{"element": "logrank_p", "landmark_days": lm, "group": "all", "value": p}]))
    if not parts:
        return pd.DataFrame([{"element": "no_landmarks"}]).reindex(columns=LANDMARK_COLUMNS)
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True).reindex(columns=LANDMARK_COLUMNS)


def draw_landmark(data: pd.DataFrame, settings: FigureSettings, conf_type: str, conf_level: float) -> Figure:
    """One panel per landmark: KM OS from the landmark by HSCT at or before it, numbers at risk, log-rank p."""
    say = settings.words
    landmarks = [int(v) for v in pd.unique(data["landmark_days"].dropna())]
    n_panels = max(1, len(landmarks))
    # side by side at double-column width; one under the other in a narrower figure
    stacked = n_panels > 1 and settings.width_in < 0.75 * DESIGN_WIDTH_IN
    if stacked:
        fig = new_figure(settings, aspect=0.62 * n_panels)
        grid = fig.add_gridspec(2 * n_panels, 1, height_ratios=[5.0, 1.3] * n_panels, hspace=0.45,
                                left=0.09, right=0.98, top=0.9, bottom=0.04)
    else:
        fig = new_figure(settings, aspect=0.62 if n_panels > 1 else 0.7)
        grid = fig.add_gridspec(2, n_panels, height_ratios=[5.0, 1.3], hspace=0.38, wspace=0.28,
                                left=0.09, right=0.98, top=0.86, bottom=0.06)
    if not landmarks:
        ax = fig.add_subplot(grid[0, 0])
        ax.axis("off")
        ax.text(0.5, 0.5, say("No landmarks configured"), ha="center", va="center", fontsize=FONT["label"])
        return fig
    panels = []
    for column, lm in enumerate(landmarks):
        block = data[data["landmark_days"] == lm]
        plot_cell, risk_cell = (grid[2 * column, 0], grid[2 * column + 1, 0]) if stacked else (
            grid[0, column], grid[1, column])
        ax = style_axes(fig.add_subplot(plot_cell), grid_axis="y", language=say.language)
        risk_ax = fig.add_subplot(risk_cell, sharex=ax)
        first = column == 0 or stacked  # a panel at the left edge: row labels and y label
        ticks = np.sort(block.loc[block["element"] == "at_risk", "time_months"].unique())
        at_risk, estimates = [], []
        for index, group in enumerate(LANDMARK_GROUPS):
            colour = PALETTE[index]
            rows = block[block["group"] == group]
            curve = rows[rows["element"] == "curve"]
            summary = rows[rows["element"] == "summary"].iloc[0]
            label = say("{group} (n = {n}, {deaths} deaths)", group=say(GROUP_LABELS[group]),
                        n=say.count(summary["n"]), deaths=say.count(summary["value"]))
            if len(curve):
                t = curve["time_months"].to_numpy(float)
                ax.step(t, curve["value"], where="post", color=colour, linewidth=LINE, label=label, zorder=3)
                lower, upper = curve["ci_lower"].to_numpy(float), curve["ci_upper"].to_numpy(float)
                ok = np.isfinite(lower) & np.isfinite(upper)
                ax.fill_between(t[ok], np.clip(lower[ok], 0, 1), np.clip(upper[ok], 0, 1), step="post",
                                color=colour, alpha=0.10, linewidth=0, zorder=1)
            else:
                ax.plot([], [], color=colour, linewidth=LINE, label=label)
            point = rows[(rows["element"] == "timepoint") & np.isclose(rows["time_months"], MARKER_MONTHS)]
            if len(point) and np.isfinite(point["value"].iloc[0]):
                value = float(point["value"].iloc[0])
                ax.plot([MARKER_MONTHS], [value], marker="o", markersize=3.5, color=colour, zorder=5)
                estimates.append(ax.text(MARKER_MONTHS, value, say.percent(value), fontsize=FONT["tiny"],
                                         color=colour, va="bottom",
                                         transform=offset_copy(ax.transData, fig, 4, 3, units="points"),
                                         bbox=LABEL_BACKING, in_layout=False))
            counts = [rows[(rows["element"] == "at_risk") & (rows["time_months"] == tick)]["value"] for tick in ticks]
            at_risk.append((say(RISK_LABELS[group]) if first else "", colour,
                            [c.iloc[0] if len(c) else 0 for c in counts]))
        p = float(block.loc[block["element"] == "logrank_p", "value"].iloc[0])
        p_text = ax.text(0.98, 0.98, say.p_label(p, "Log-rank p"), transform=ax.transAxes, ha="right",
                         va="top", fontsize=FONT["small"])
        survival_axes(ax, ticks, MARKER_MONTHS, GREY, numbers_at_risk(fig, risk_ax, ticks, at_risk, words=say))
        label_axes(ax, say("Months since day {day}", day=say.count(lm)),
                   f"{say('Overall survival')} (%)" if first else "", say("Landmark day {day}", day=say.count(lm)))
        legend = ax.legend(frameon=False, loc="lower left", prop={"size": FONT["tiny"]})
        panels.append((ax, risk_ax, ticks, at_risk, estimates, [legend, p_text]))
    title = say("Overall survival from landmark by HSCT at or before it (shaded: {level} CI, {conf_type})",
                level=say.level(conf_level), conf_type=say(conf_type))
    fig.suptitle(wrap_title(fig, title, 0.01), fontsize=FONT["title"], fontweight="bold", x=0.01, ha="left")
    fit_to_canvas(fig)  # a narrow figure: the axes shrink to keep their text on the canvas
    for index, (ax, risk_ax, *_rest) in enumerate(panels):
        separate(fig, ax, risk_ax)  # the x axis's label clear of the table's title
        if stacked and index + 1 < len(panels):
            separate(fig, risk_ax, panels[index + 1][0], move="lower")  # the next panel's title
    for ax, risk_ax, ticks, at_risk, estimates, obstacles in panels:
        survival_axes(ax, ticks, MARKER_MONTHS, GREY, numbers_at_risk(fig, risk_ax, ticks, at_risk,
                                                                      grow_margin=False, words=say))
        avoid_overlaps(fig, estimates, obstacles=obstacles, within=ax.get_window_extent())
    return fig


# ---------------------------------------------------------------------------------------------------------
# cumulative incidence


def cif_figure_data(curves: pd.DataFrame, table: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """Numbers of one cumulative incidence figure: the step ``curve`` rows of
    cumulative_incidence_curves.csv and the ``timepoint`` rows of cumulative_incidence.csv for
    `endpoint`; a single ``no_patients`` row when the endpoint has no rows."""
    c = curves[curves["endpoint"] == endpoint]
    t = table[table["endpoint"] == endpoint]
    if c.empty and t.empty:
        return pd.DataFrame([{"element": "no_patients", "endpoint": endpoint, "n": 0}]).reindex(columns=CIF_COLUMNS)
    parts = [pd.DataFrame({"element": "curve", "endpoint": endpoint, "cause": c["cause"],
                           "time_months": c["time_months"], "value": c["estimate"], "ci_lower": c["ci_lower"],
                           "ci_upper": c["ci_upper"]}),
             pd.DataFrame({"element": "timepoint", "endpoint": endpoint, "cause": t["cause"],
                           "time_months": t["time_months"], "value": t["estimate"], "ci_lower": t["ci_lower"],
                           "ci_upper": t["ci_upper"], "n": t["n_risk"]})]
    return pd.concat(parts, ignore_index=True).reindex(columns=CIF_COLUMNS)


def twelve_month(data: pd.DataFrame, cause: str) -> pd.Series | None:
    """The 12-month row of `cause` in cif_figure_data output (None when not tabulated)."""
    hit = data[(data["element"] == "timepoint") & (data["cause"] == cause)
               & np.isclose(data["time_months"].astype(float), MARKER_MONTHS)]
    return hit.iloc[0] if len(hit) else None


def draw_cif(data: pd.DataFrame, settings: FigureSettings, endpoint: str, conf_level: float) -> Figure:
    """Step curves with CI bands for the event and the competing event; 12-month values labelled."""
    say = settings.words
    fig = new_figure(settings, aspect=0.6)
    ax = style_axes(fig.add_axes((0.11, 0.13, 0.86, 0.74)), grid_axis="y", language=say.language)
    label_axes(ax, say(CIF_XLABELS.get(endpoint, "Months")), f"{say('Cumulative incidence')} (%)",
               say(CIF_TITLES.get(endpoint, endpoint)))
    ax.set_ylim(0, 1.02)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_yticklabels([f"{int(v * 100)}" for v in np.linspace(0, 1, 6)])
    if (data["element"] == "no_patients").any():
        ax.set_xlim(0, 24)
        message = wrap_to_width(say(NO_PATIENTS.get(endpoint, "No patients.")), 0.9 * 0.86 * fig.get_figwidth() * 72,
                                FONT["label"])  # within the plot
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=FONT["label"],
                color="#444444")
        return fit_to_canvas(fig)
    curves = data[data["element"] == "curve"]
    causes = [label for _, label in CAUSES.get(endpoint, ())] or list(dict.fromkeys(curves["cause"]))
    last = float(curves["time_months"].max()) if len(curves) else 1.0
    estimates = []
    for index, cause in enumerate(causes):
        colour = PALETTE[index % len(PALETTE)]
        curve = curves[curves["cause"] == cause]
        if curve.empty:
            continue
        t = curve["time_months"].to_numpy(float)
        ax.step(t, curve["value"], where="post", color=colour, linewidth=LINE, label=say(cause), zorder=3)
        lower, upper = curve["ci_lower"].to_numpy(float), curve["ci_upper"].to_numpy(float)
        ok = np.isfinite(lower) & np.isfinite(upper)
        ax.fill_between(t[ok], np.clip(lower[ok], 0, 1), np.clip(upper[ok], 0, 1), step="post", color=colour,
                        alpha=0.12, linewidth=0, zorder=1)
        row = twelve_month(data, cause)
        if row is not None and np.isfinite(row["value"]):
            ax.plot([MARKER_MONTHS], [row["value"]], marker="o", markersize=3.5, color=colour, zorder=5)
            text = say("{months} mo: {estimate}", months=say.count(MARKER_MONTHS), estimate=say.percent(row["value"]))
            estimates.append(ax.text(MARKER_MONTHS, row["value"], f"{text} ({say.ci(row['ci_lower'], row['ci_upper'])})",
                                     fontsize=FONT["tiny"],
                                     color=colour, va="bottom",
                                     transform=offset_copy(ax.transData, fig, 5, 4, units="points"),
                                     bbox=LABEL_BACKING, in_layout=False))
    ax.axvline(MARKER_MONTHS, color=GREY, linestyle="--", linewidth=0.8, zorder=2)
    ax.set_xlim(0, max(last, MARKER_MONTHS) * 1.02)
    note = ax.text(0.99, 0.98, say("Aalen-Johansen; shaded: {level} CI (log)", level=say.level(conf_level)),
                   transform=ax.transAxes, ha="right", va="top", fontsize=FONT["small"])
    legend = ax.legend(frameon=False, loc="upper left", prop={"size": FONT["small"]})
    fit_to_canvas(fig)  # a narrow figure: the axes shrink to keep their text on the canvas
    renderer = fig.canvas.get_renderer()
    entries = [text.get_window_extent(renderer) for text in legend.get_texts()]
    if any(note.get_window_extent(renderer).overlaps(box) for box in entries):  # a long note: wrapped right of them
        room = (ax.get_window_extent(renderer).x1 - max(box.x1 for box in entries)) * 72 / fig.dpi - 4
        note.set_text(wrap_to_width(note.get_text(), room, FONT["small"]))
    avoid_overlaps(fig, estimates, obstacles=[note, legend], within=ax.get_window_extent())
    return fig
