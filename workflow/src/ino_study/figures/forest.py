"""Forest plot of the univariable Cox hazard ratios in cox.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ino_study.figures.theme import FONT, GREY, PALETTE, FigureSettings, label_axes, minor_ticks_in_view, new_figure, \
    plain_log_ticks, style_axes

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


def draw_forest(data: pd.DataFrame, settings: FigureSettings, conf_level: float) -> Figure:
    fig = new_figure(settings, aspect=max(0.35, 0.15 + 0.07 * len(data)))
    ax = style_axes(fig.add_axes((0.36, 0.16, 0.40, 0.74)), grid_axis="x")
    y = np.arange(len(data))[::-1]
    endpoints = list(dict.fromkeys(data["endpoint"]))
    for yi, row in zip(y, data.itertuples()):
        colour = PALETTE[endpoints.index(row.endpoint) % len(PALETTE)]
        ax.plot([row.hr_ci_lower, row.hr_ci_upper], [yi, yi], color=colour, linewidth=1.2)
        ax.plot([row.hr], [yi], marker="s", color=colour, markersize=5)
        ax.text(1.02, yi, f"{row.hr:.2f} ({row.hr_ci_lower:.2f}-{row.hr_ci_upper:.2f}); p = {row.p_value:.3f}",
                transform=ax.get_yaxis_transform(), va="center", fontsize=FONT["tiny"])
    ax.axvline(1.0, color=GREY, linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis, steps=(1.0, 2.0, 5.0))
    if len(data):
        low = min(0.5, float(data["hr_ci_lower"].min()) * 0.8)
        high = max(2.0, float(data["hr_ci_upper"].max()) * 1.25)
        ax.set_xlim(low, high)
    minor_ticks_in_view(ax.xaxis)
    ax.set_yticks(y)
    ax.set_yticklabels(data["label"], fontsize=FONT["small"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    label_axes(ax, f"Hazard ratio ({conf_level:.0%} CI, log scale)", "", "Univariable Cox models")
    return fig
