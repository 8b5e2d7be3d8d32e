"""This cohort next to the published paediatric (and adult reference) InO cohorts, with citations.

Drawn with matplotlib's Axes methods: each point is styled by its own source (this analysis, a
checked or an unchecked published value: marker, colour, filled or open) and its interval is the
published one, neither of which seaborn's functions take.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ino_study.figures.theme import (
    DESIGN_WIDTH_IN, FONT, GREY, OKABE_ITO, FigureSettings, fit_to_canvas, footnote, new_figure, style_axes,
    text_width_points, wrap_to_width,
)

PANELS = (("response", "CR/CRi (%)"), ("mrd_negative_of_responders", "MRD-negative (% of responders)"),
          ("os_1y", "1-year OS (%)"))
DATA_COLUMNS = ["study", "short_citation", "measure", "percent", "ci_lower", "ci_upper", "verified", "source"]
THIS_STUDY = "This analysis"


def literature_data(published: pd.DataFrame, response: pd.DataFrame, os_12: pd.Series) -> pd.DataFrame:
    """Long table: one row per study x measure; this analysis from response.csv and survival_estimates.csv."""
    rows = []
    for _, study in published.iterrows():
        for measure, _ in PANELS:
            value = study.get(f"{measure}_pct")
            if pd.isna(value):
                continue
            rows.append({"study": study["study"], "short_citation": study["short_citation"], "measure": measure,
                         "percent": float(value), "ci_lower": study.get(f"{measure}_ci_lower"),
                         "ci_upper": study.get(f"{measure}_ci_upper"),
                         "verified": "yes" if study.get(f"{measure}_verified") == "yes" else "no",
                         "source": "published"})

    def own(measure: str, population: str) -> pd.Series:
        return response[(response["measure"] == measure) & (response["population"] == population)].iloc[0]

    for measure, (name, population) in (("response", ("CR/CRi (responders)", "evaluable")),
                                        ("mrd_negative_of_responders", ("MRD-negative", "responders"))):
        r = own(name, population)
        rows.append({"study": THIS_STUDY, "short_citation": THIS_STUDY, "measure": measure,
                     "percent": r["percent"], "ci_lower": r["ci_lower_pct"], "ci_upper": r["ci_upper_pct"],
                     "verified": "computed", "source": "this pipeline"})
    rows.append({"study": THIS_STUDY, "short_citation": THIS_STUDY, "measure": "os_1y",
                 "percent": 100 * os_12["survival"], "ci_lower": 100 * os_12["ci_lower"],
                 "ci_upper": 100 * os_12["ci_upper"], "verified": "computed", "source": "this pipeline"})
    return pd.DataFrame(rows, columns=DATA_COLUMNS)


def _journal(citation: str) -> str:
    """The journal and year part of a citation (its last sentence-like chunks, without the DOI)."""
    parts = [p.strip() for p in citation.split(". ") if p.strip()]
    tail = [p for p in parts[1:] if not p.lower().startswith("doi")]
    return tail[-1] if tail else ""


def draw_literature(data: pd.DataFrame, published: pd.DataFrame, settings: FigureSettings) -> Figure:
    say = settings.words
    studies = [THIS_STUDY] + [s for s in dict.fromkeys(data["short_citation"]) if s != THIS_STUDY]
    fig = new_figure(settings, aspect=0.25 + 0.055 * len(studies))
    y = {s: len(studies) - 1 - i for i, s in enumerate(studies)}
    width = 0.22
    figure_points = fig.get_figwidth() * 72
    # between panels: room for the last tick label of one and the first of the next (a narrow figure)
    gap = 0.025 if settings.width_in >= DESIGN_WIDTH_IN else 16 / figure_points
    # panel titles wrapped where two neighbours would run into each other
    titles = [say(title) for _, title in PANELS]
    widths = [1.15 * text_width_points(t, FONT["small"]) for t in titles]
    pitch = (width + gap) * figure_points
    if any((a + b) / 2 + 4 > pitch for a, b in zip(widths, widths[1:])):
        # a word wider than the room between the panels is broken after its hyphens
        titles = [wrap_to_width(t, 0.6 * pitch, FONT["small"], hyphenate=(pitch - 4) / 1.15) for t in titles]
    for index, ((measure, _), title) in enumerate(zip(PANELS, titles)):
        ax = style_axes(fig.add_axes((0.25 + index * (width + gap), 0.24, width, 0.66)), grid_axis="x",
                        language=say.language)
        rows = data[data["measure"] == measure]
        for row in rows.itertuples():
            own = row.short_citation == THIS_STUDY
            colour = OKABE_ITO["vermillion"] if own else (OKABE_ITO["blue"] if row.verified == "yes" else GREY)
            yi = y[row.short_citation]
            if pd.notna(row.ci_lower) and pd.notna(row.ci_upper):
                ax.plot([row.ci_lower, row.ci_upper], [yi, yi], color=colour, linewidth=1.1)
            filled = row.verified in ("yes", "computed")
            ax.plot([row.percent], [yi], marker="D" if own else "o", markersize=5, color=colour,
                    markerfacecolor=colour if filled else "white", linestyle="none")
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_ylim(-0.6, len(studies) - 0.4)
        ax.set_yticks(list(y.values()))
        # the published cohorts by their citations (authors, year), this analysis in the reader's language
        ax.set_yticklabels([say(s) if s == THIS_STUDY else say.data(s) for s in y] if index == 0 else [],
                           fontsize=FONT["small"])
        ax.set_title(title, fontsize=FONT["small"], fontweight="bold")
    drawn = set(data["study"])
    citations = "; ".join(f"{r.short_citation}: {r.citation.split('.')[0]}. {_journal(r.citation)}"
                          for r in published.itertuples() if r.study in drawn)
    footnote(fig, say("Filled: as published and checked; open: unverified (check the source); bars: 95% CI where "
                      "reported. MRD denominators differ between studies (see published_cohorts.csv).") + "\n" + citations)
    return fit_to_canvas(fig)
