"""Rates with exact intervals (response, MRD, VOD/SOS) and adverse events by worst CTCAE grade."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ino_study.figures.theme import FONT, PALETTE, FigureSettings, label_axes, new_figure, style_axes

RATE_MEASURES = (("CR/CRi (responders)", "evaluable", "CR/CRi\n(of evaluable)"),
                 ("MRD-negative", "analysed", "MRD-negative\n(of all)"),
                 ("MRD-negative", "responders", "MRD-negative\n(of responders)"),
                 ("VOD/SOS", "standard dose + HSCT after InO", "VOD/SOS\n(standard dose + HSCT)"))
#: CTCAE grade colours: light to dark, colour-blind-safe (Okabe-Ito), grade 5 black.
GRADE_COLOURS = {1: "#56B4E9", 2: "#009E73", 3: "#E69F00", 4: "#D55E00", 5: "#000000"}


def rate_data(response: pd.DataFrame) -> pd.DataFrame:
    """The rows of the response table that the bar figure draws (same numbers as response.csv)."""
    rows = []
    for measure, population, label in RATE_MEASURES:
        hit = response[(response["measure"] == measure) & (response["population"] == population)]
        if len(hit):
            rows.append(hit.iloc[0].to_dict() | {"label": label})
    return pd.DataFrame(rows)[["label", "measure", "population", "count", "denominator", "percent",
                               "ci_lower_pct", "ci_upper_pct"]]


def draw_rates(data: pd.DataFrame, settings: FigureSettings, conf_level: float) -> Figure:
    fig = new_figure(settings, aspect=0.55)
    ax = style_axes(fig.add_axes((0.10, 0.20, 0.86, 0.70)), grid_axis="y")
    x = np.arange(len(data))
    pct = data["percent"].to_numpy(float)
    err = np.vstack([pct - data["ci_lower_pct"].to_numpy(float), data["ci_upper_pct"].to_numpy(float) - pct])
    ax.bar(x, pct, width=0.6, color=[PALETTE[i % len(PALETTE)] for i in range(len(data))], zorder=2)
    ax.errorbar(x, pct, yerr=err, fmt="none", ecolor="black", elinewidth=1.0, capsize=4, zorder=3)
    for xi, row in zip(x, data.itertuples()):
        ax.text(xi, row.ci_upper_pct + 2, f"{row.percent:.1f}%\n{row.count}/{row.denominator}", ha="center",
                va="bottom", fontsize=FONT["small"])
    ax.set_xticks(x)
    ax.set_xticklabels(data["label"], fontsize=FONT["small"])
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    label_axes(ax, "", "% of patients", f"Response, MRD and VOD/SOS ({conf_level:.0%} Clopper-Pearson CI)")
    return fig


def draw_adverse_events(counts: pd.DataFrame, settings: FigureSettings, n_patients: int) -> Figure:
    """Stacked horizontal bars: patients per term by their worst grade (long `counts` from grade_counts)."""
    wide = counts.pivot_table(index="term", columns="worst_grade", values="n_patients", fill_value=0)
    wide = wide.reindex(columns=sorted(GRADE_COLOURS), fill_value=0)
    wide = wide.assign(_total=wide.sum(axis=1)).sort_values(["_total"], kind="stable")
    wide = wide.loc[sorted(wide.index, key=lambda t: (wide.loc[t, "_total"], [-ord(c) for c in t]))]
    wide = wide.drop(columns="_total")
    fig = new_figure(settings, aspect=max(0.45, 0.12 + 0.05 * len(wide)))
    ax = style_axes(fig.add_axes((0.36, 0.12, 0.50, 0.80)), grid_axis="x")
    y = np.arange(len(wide))
    left = np.zeros(len(wide))
    for grade, colour in GRADE_COLOURS.items():
        values = wide[grade].to_numpy(float)
        ax.barh(y, values, left=left, color=colour, height=0.7, label=f"Grade {grade}", zorder=2)
        left += values
    for yi, total in zip(y, left):
        ax.text(total + 0.1, yi, f"{int(total)} ({100 * total / n_patients:.0f}%)" if n_patients else "",
                va="center", fontsize=FONT["tiny"])
    ax.set_yticks(y)
    ax.set_yticklabels(wide.index, fontsize=FONT["small"])
    ax.set_xlim(0, max(1.0, float(left.max()) * 1.25) if len(left) else 1)
    label_axes(ax, f"Patients (worst grade per term; N = {n_patients})", "", "Adverse events by CTCAE grade")
    ax.legend(handles=[Patch(color=c, label=f"Grade {g}") for g, c in GRADE_COLOURS.items()], frameon=False,
              loc="lower left", bbox_to_anchor=(1.0, 0.0), prop={"size": FONT["small"]})
    return fig
