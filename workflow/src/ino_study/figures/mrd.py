"""MRD trajectories per patient on a log scale, with the negativity threshold and below-detection values.

Drawn by seaborn: one line per patient (`lineplot` with `units=` and `estimator=None`: the values as
measured, nothing averaged) and the measurements as points (`scatterplot`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ino_study.figures.sampling import MAX_MRD_PATIENTS, sample_patients
from ino_study.outputs.io import isin_text
from ino_study.figures.theme import (
    FONT, GREY, OKABE_ITO, PALETTE, FigureSettings, fit_to_canvas, footnote, label_axes, new_figure, plain_log_ticks,
    style_axes,
)

DATA_COLUMNS = ["patient_id", "day", "mrd_percent", "below_detection", "plotted_percent"]
#: The columns `mrd_data` reads of each dataset (the figures step reads no others).
COLUMNS = {"adsl": ("patient_id", "included"),
           "adrs": ("patient_id", "mrd_status", "mrd_percent", "mrd_qualifier", "ADY")}


def mrd_data(adsl: pd.DataFrame, adrs: pd.DataFrame, threshold_percent: float,
             limit: int = MAX_MRD_PATIENTS) -> tuple[pd.DataFrame, str]:
    """MRD values of the included patients; '<' values (or negative text without a number) are below
    detection and are drawn at their stated limit (the threshold when no limit is given)."""
    included = adsl.loc[adsl["included"], "patient_id"]
    rows = adrs[isin_text(adrs["patient_id"], included) & (adrs["mrd_status"] != "not_done").to_numpy()]
    rows = rows[rows["mrd_percent"].notna() | (rows["mrd_qualifier"] == "<")]
    ids, note = sample_patients(rows["patient_id"], limit)
    rows = rows[isin_text(rows["patient_id"], ids)]
    below = (rows["mrd_qualifier"] == "<").to_numpy()
    value = rows["mrd_percent"].to_numpy(float)
    plotted = np.where(np.isnan(value), threshold_percent, value)
    data = pd.DataFrame({"patient_id": rows["patient_id"].to_numpy(), "day": rows["ADY"].to_numpy(),
                         "mrd_percent": value, "below_detection": below, "plotted_percent": plotted})
    return data.sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True), note


def draw_mrd(data: pd.DataFrame, settings: FigureSettings, threshold_percent: float, note: str = "") -> Figure:
    say = settings.words
    fig = new_figure(settings, aspect=0.6)
    ax = style_axes(fig.add_axes((0.12, 0.14, 0.66, 0.78)), grid_axis="y", language=say.language)
    patients = list(dict.fromkeys(data["patient_id"]))
    if len(data):
        # a colour per patient while the palette has enough; beyond that, every line grey
        colours = {"color": GREY} if len(patients) > len(PALETTE) else {
            "hue": "patient_id", "palette": dict(zip(patients, PALETTE))}
        sns.lineplot(data, x="day", y="plotted_percent", units="patient_id", estimator=None, linewidth=0.9, alpha=0.8,
                     legend=False, zorder=2, ax=ax, **colours)
        measured = data[~data["below_detection"]]
        below = data[data["below_detection"]]
        sns.scatterplot(measured, x="day", y="plotted_percent", s=18, color=OKABE_ITO["blue"], linewidth=0,
                        legend=False, zorder=3, ax=ax)
        sns.scatterplot(below, x="day", y="plotted_percent", s=22, facecolor="white",
                        edgecolor=OKABE_ITO["vermillion"], linewidth=1.1, legend=False, zorder=4, ax=ax)
    ax.axhline(threshold_percent, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=0.9, zorder=1)
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis, language=say.language)
    low = min(float(data["plotted_percent"].min()) if len(data) else threshold_percent, threshold_percent)
    high = max(float(data["plotted_percent"].max()) if len(data) else 1.0, 1.0)
    ax.set_ylim(low / 3, high * 3)
    ax.set_xlim(left=0)
    label_axes(ax, say("Days since first InO dose"), say("MRD (% of cells, log scale)"), say("MRD trajectories"))
    handles = [Line2D([], [], linestyle="none", marker="o", color=OKABE_ITO["blue"], label=say("Measured")),
               Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                      markeredgecolor=OKABE_ITO["vermillion"], label=say.lines("Below detection\n(at the limit)")),
               Line2D([], [], color=OKABE_ITO["vermillion"], linestyle="--",
                      label=say("Threshold {threshold}%", threshold=say.number(threshold_percent)))]
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              prop={"size": FONT["small"]})
    text = say("{patients} patients, {measurements} measurements.", patients=say.count(len(patients)),
               measurements=say.count(len(data)))
    footnote(fig, f"{text} {say.note(note)}".strip())
    return fit_to_canvas(fig)
