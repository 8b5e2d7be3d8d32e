"""Forest plot of the univariable Cox hazard ratios in cox.csv.

The hazard ratios are drawn by seaborn (`pointplot`, one row per model, coloured by endpoint, on a
log axis); their confidence intervals come from the Cox table and are drawn with matplotlib's
`hlines` (seaborn takes no precomputed intervals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ino_study.endpoints.labels import Labels
from ino_study.figures.theme import (
    FONT, GREY, PALETTE, FigureSettings, fit_to_canvas, label_axes, new_figure, plain_log_ticks, style_axes,
    text_width_points, wrap_to_width,
)
from ino_study.figures.words import Words

DATA_COLUMNS = ["label", "endpoint", "covariate", "group_by", "reference", "hr", "hr_ci_lower", "hr_ci_upper",
                "p_value", "n", "n_events"]


def forest_data(cox: pd.DataFrame) -> pd.DataFrame:
    """Rows of cox.csv with a hazard ratio, labelled 'endpoint: level vs reference'."""
    rows = cox[cox["hr"].notna()].copy()
    level = [c[len(g):] if isinstance(c, str) and c.startswith(g) else c
             for c, g in zip(rows["covariate"], rows["group_by"])]
    rows["label"] = [f"{e}: {g} {lv} vs {r}" for e, g, lv, r in zip(rows["endpoint"], rows["group_by"], level,
                                                                    rows["reference"])]
    return rows.reindex(columns=DATA_COLUMNS).reset_index(drop=True)


def display_labels(data: pd.DataFrame, labels: Labels, say: Words = Words()) -> list[str]:
    """The y labels as printed: 'OS: Prior HSCT, Yes vs No' from the dictionary's labels (the data
    CSV's `label` column keeps the machine names), in the language of `say` (`labels` already in it)."""
    out = []
    for row in data.itertuples():
        covariate, by = row.covariate, row.group_by
        level = covariate[len(by):] if isinstance(covariate, str) and covariate.startswith(by) else covariate
        out.append(say("{endpoint}: {variable}, {level} vs {reference}", endpoint=say(row.endpoint),
                       variable=labels.variable(by), level=labels.level(by, level),
                       reference=labels.level(by, row.reference)))
    return out


def draw_forest(data: pd.DataFrame, settings: FigureSettings, conf_level: float,
                labels: Labels | None = None) -> Figure:
    say = settings.words
    labels = say.labels(labels if labels is not None else Labels())
    # row labels and estimates wrapped at spaces to a share of the width (a narrow figure: the plot keeps room)
    points = settings.width_in * 72
    if len(data):
        data = data.assign(label=[wrap_to_width(label, 0.3 * points, FONT["small"])
                                  for label in display_labels(data, labels, say)])
    # rows of labels longer than three lines (a narrow figure, a longer language) get their height
    lines = max((label.count("\n") + 1 for label in data["label"]), default=1) if len(data) else 1
    fig = new_figure(settings, aspect=max(0.35, 0.15 + 0.07 * len(data) * max(1.0, lines - 2.0)))
    ax = style_axes(fig.add_axes((0.36, 0.16, 0.40, 0.74)), grid_axis="x", language=say.language)
    ax.set_xscale("log")
    if len(data):
        endpoints = list(dict.fromkeys(data["endpoint"]))
        palette = {e: PALETTE[i % len(PALETTE)] for i, e in enumerate(endpoints)}
        # one row per model, top to bottom in the table's order (the first at y = 0, the top)
        sns.pointplot(data, x="hr", y="label", hue="endpoint", order=list(data["label"]), hue_order=endpoints,
                      palette=palette, markers="s", markersize=5, linestyle="none", errorbar=None, legend=False,
                      ax=ax)
        y = np.arange(len(data))
        ax.hlines(y, data["hr_ci_lower"], data["hr_ci_upper"], colors=[palette[e] for e in data["endpoint"]],
                  linewidth=1.2, zorder=1.5)
        for yi, row in zip(y, data.itertuples()):
            interval = say.range(say.number(row.hr_ci_lower, ".2f"), say.number(row.hr_ci_upper, ".2f"))
            estimate, p = f"{say.number(row.hr, '.2f')} ({interval})", say.p_label(row.p_value)
            text = f"{estimate}; {p}"
            if text_width_points(text, FONT["tiny"]) > 0.2 * points:  # a narrow figure: the p under the ratio
                text = f"{estimate}\n{p}"
            ax.text(1.02, yi, text, transform=ax.get_yaxis_transform(), va="center", fontsize=FONT["tiny"])
        low = min(0.5, float(data["hr_ci_lower"].min()) * 0.8)
        high = max(2.0, float(data["hr_ci_upper"].max()) * 1.25)
        ax.set_xlim(low, high)
    ax.axvline(1.0, color=GREY, linestyle="--", linewidth=0.8)
    plain_log_ticks(ax.xaxis, steps=(1.0, 2.0, 5.0), language=say.language)
    ax.tick_params(axis="y", labelsize=FONT["small"])
    ax.set_ylim(len(data) - 0.3, -0.7)
    label_axes(ax, say("Hazard ratio ({level} CI, log scale)", level=say.level(conf_level)), "",
               say("Univariable Cox models"))
    return fit_to_canvas(fig)
