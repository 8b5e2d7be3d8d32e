"""Rates with exact intervals (response, MRD, VOD/SOS) and adverse events by worst CTCAE grade.

The bars are drawn by seaborn (`barplot`; `histplot` with weights, stacked by grade). The exact
(Clopper-Pearson) intervals are computed by the statistics package and drawn with matplotlib's
`errorbar`: seaborn computes its own intervals from raw observations and takes no precomputed ones
(out of its scope, mwaskom/seaborn#910, #3345).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ino_study.figures.theme import (
    FONT, PALETTE, FigureSettings, fit_to_canvas, label_axes, new_figure, style_axes, wrap_to_width,
)
from ino_study.outputs.formats import PERCENT_DECIMALS

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
    say = settings.words
    fig = new_figure(settings, aspect=0.55)
    ax = style_axes(fig.add_axes((0.10, 0.20, 0.86, 0.70)), grid_axis="y", language=say.language)
    if len(data):
        # each bar's label wrapped at spaces to the bar's share of the width (a narrow figure)
        slot = 0.86 * fig.get_figwidth() * 72 / len(data) - 6
        # a word wider than the whole slot (the margin included) is broken after its hyphens
        data = data.assign(label=[wrap_to_width(say.lines(label), slot, FONT["small"], hyphenate=slot + 6)
                                  for label in data["label"]])
        # one bar per row, in the rows' order, each in its own colour of the palette
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(data))]
        sns.barplot(data, x="label", y="percent", hue="label", palette=colours, saturation=1, width=0.6,
                    errorbar=None, legend=False, zorder=2, ax=ax)
        x = np.arange(len(data))
        pct = data["percent"].to_numpy(float)
        err = np.vstack([pct - data["ci_lower_pct"].to_numpy(float), data["ci_upper_pct"].to_numpy(float) - pct])
        ax.errorbar(x, pct, yerr=err, fmt="none", ecolor="black", elinewidth=1.0, capsize=4, zorder=3)
        for xi, row in zip(x, data.itertuples()):
            # the decimals of the response table (Table 2), which holds the same rates
            text = (f"{say.percent(row.percent, PERCENT_DECIMALS['response'], scale=1)}\n"
                    f"{say.count(row.count)}/{say.count(row.denominator)}")
            ax.text(xi, row.ci_upper_pct + 2, text, ha="center",
                    va="bottom", fontsize=FONT["small"])
    ax.tick_params(axis="x", labelsize=FONT["small"])
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    label_axes(ax, "", say("% of patients"),
               say("Response, MRD and VOD/SOS ({level} Clopper-Pearson CI)", level=say.level(conf_level)))
    return fit_to_canvas(fig)


def draw_adverse_events(counts: pd.DataFrame, settings: FigureSettings, n_patients: int) -> Figure:
    """Stacked horizontal bars: patients per term by their worst grade (long `counts` from grade_counts),
    the terms with the most patients at the top, grade 1 at the left."""
    say = settings.words
    wide = counts.pivot_table(index="term", columns="worst_grade", values="n_patients", fill_value=0)
    wide = wide.reindex(columns=sorted(GRADE_COLOURS), fill_value=0)
    totals = wide.sum(axis=1)
    # from the bottom up: fewest patients first, ties in reverse alphabetical order; drawn top to bottom
    terms = sorted(wide.index, key=lambda t: (totals[t], [-ord(c) for c in t]))[::-1]
    fig = new_figure(settings, aspect=max(0.45, 0.12 + 0.05 * len(terms)))
    ax = style_axes(fig.add_axes((0.36, 0.12, 0.50, 0.80)), grid_axis="x", language=say.language)
    if len(terms):
        # the terms in the reader's language (a centre's own term with no catalogue row as recorded)
        shown = [say.data(term) for term in terms]
        long = counts.assign(term=pd.Categorical(counts["term"].map(dict(zip(terms, shown))), categories=shown))
        # seaborn stacks the last hue level at the base: grades from 5 down to 1 put grade 1 at the left
        sns.histplot(long, y="term", hue="worst_grade", weights="n_patients", multiple="stack", discrete=True,
                     shrink=0.7, hue_order=sorted(GRADE_COLOURS, reverse=True), palette=GRADE_COLOURS, alpha=1,
                     linewidth=0, legend=False, zorder=2, ax=ax)
        for yi, term in enumerate(terms):  # the categorical axis puts the first term at the top (y = 0)
            total = float(totals[term])
            # the decimals of the adverse-event table (Table 3), which holds the same counts
            text = say.count_percent(total, n_patients, PERCENT_DECIMALS["adverse_events"]) if n_patients else ""
            ax.text(total + 0.1, yi, text,
                    va="center", fontsize=FONT["tiny"])
    ax.tick_params(axis="y", labelsize=FONT["small"])
    ax.set_xlim(0, max(1.0, float(totals.max()) * 1.25) if len(terms) else 1)
    label_axes(ax, say("Patients (worst grade per term; N = {n})", n=say.count(n_patients)), "",
               say("Adverse events by CTCAE grade"))
    ax.legend(handles=[Patch(color=c, label=say("Grade {grade}", grade=g)) for g, c in GRADE_COLOURS.items()],
              frameon=False,
              loc="lower left", bbox_to_anchor=(1.0, 0.0), prop={"size": FONT["small"]})
    return fit_to_canvas(fig)
