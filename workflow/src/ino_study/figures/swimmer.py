"""Swimmer plot: one lane per patient, sorted by follow-up, with the events of the treatment course."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ino_study.figures.sampling import MAX_SWIMMER_LANES, sample_patients
from ino_study.outputs.io import isin_text
from ino_study.figures.theme import (
    FONT, GREY, OKABE_ITO, FigureSettings, fit_to_canvas, footnote, label_axes, new_figure, style_axes,
)

DAYS_PER_MONTH = 30.4375
#: event -> (marker, colour, filled, label)
EVENTS = {
    "ino_dose": ("|", OKABE_ITO["black"], True, "InO dose"),
    "response": ("o", OKABE_ITO["green"], True, "CR/CRi"),
    "mrd_negative": ("D", OKABE_ITO["sky_blue"], True, "MRD-negative"),
    "hsct": ("s", OKABE_ITO["blue"], True, "HSCT"),
    "vod": ("*", OKABE_ITO["orange"], True, "VOD/SOS"),
    "relapse": ("^", OKABE_ITO["purple"], True, "Relapse"),
    "death": ("X", OKABE_ITO["vermillion"], True, "Death"),
    "censored": (">", GREY, False, "Alive at last contact"),
}
DATA_COLUMNS = ["patient_id", "lane", "event", "time_months"]
#: The columns `swimmer_data` reads of each dataset (the figures step reads no others) and adtte's rows.
COLUMNS = {"adsl": ("patient_id", "included", "first_dose_date", "first_remission_date", "first_mrd_negative_date",
                    "hsct_date", "vod_date"),
           "adtte": ("patient_id", "PARAMCD", "AVAL", "CNSR", "EVNTCD"), "doses": ("patient_id", "date")}
ENDPOINTS = ("OS", "REL")


def _months(dates: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(dates) - pd.to_datetime(start)).dt.days / DAYS_PER_MONTH


def swimmer_data(adsl: pd.DataFrame, adtte: pd.DataFrame, doses: pd.DataFrame,
                 limit: int = MAX_SWIMMER_LANES) -> tuple[pd.DataFrame, str]:
    """Events per patient in months since the first dose; lanes 1..n from the longest follow-up."""
    analysed = adsl[adsl["included"]]
    ids, note = sample_patients(analysed["patient_id"], limit)
    pts = analysed[isin_text(analysed["patient_id"], ids)].set_index("patient_id")
    os_rows = adtte[(adtte["PARAMCD"] == "OS").to_numpy() & isin_text(adtte["patient_id"], ids)].set_index("patient_id")
    start = pts["first_dose_date"]
    parts = []
    dose = doses[isin_text(doses["patient_id"], ids)]
    parts.append(pd.DataFrame({"patient_id": dose["patient_id"].to_numpy(), "event": "ino_dose",
                               "time_months": _months(dose["date"], start.reindex(dose["patient_id"]).to_numpy()
                                                      ).to_numpy()}))
    for event, column in (("response", "first_remission_date"), ("mrd_negative", "first_mrd_negative_date"),
                          ("hsct", "hsct_date"), ("vod", "vod_date")):
        dates = pts[column].dropna()
        parts.append(pd.DataFrame({"patient_id": dates.index, "event": event,
                                   "time_months": _months(dates, start.reindex(dates.index)).to_numpy()}))
    rel = adtte[((adtte["PARAMCD"] == "REL") & (adtte["EVNTCD"] == 1)).to_numpy() & isin_text(adtte["patient_id"], ids)]
    parts.append(pd.DataFrame({"patient_id": rel["patient_id"], "event": "relapse", "time_months": rel["AVAL"]}))
    parts.append(pd.DataFrame({"patient_id": os_rows.index, "event": np.where(os_rows["CNSR"] == 0, "death",
                                                                               "censored"),
                               "time_months": os_rows["AVAL"].to_numpy()}))
    data = pd.concat(parts, ignore_index=True)
    ranked = os_rows.reset_index().sort_values(["AVAL", "patient_id"], ascending=[False, True], kind="stable")
    order = pd.Series(np.arange(1, len(ranked) + 1), index=ranked["patient_id"].to_numpy())
    data["lane"] = data["patient_id"].map(order)
    data["event"] = pd.Categorical(data["event"], categories=list(EVENTS))
    data = data.sort_values(["lane", "event", "time_months"], kind="stable").reset_index(drop=True)
    data["event"] = data["event"].astype(str)
    return data[DATA_COLUMNS], note


def draw_swimmer(data: pd.DataFrame, settings: FigureSettings, note: str = "") -> Figure:
    say = settings.words
    lanes = int(data["lane"].max()) if len(data) else 1
    fig = new_figure(settings, aspect=min(1.3, 0.3 + 0.028 * lanes))
    ax = style_axes(fig.add_axes((0.12, 0.10 if note else 0.08, 0.64, 0.82)), grid_axis="x", language=say.language)
    ends = data[data["event"].isin(["death", "censored"])]
    ax.barh(ends["lane"], ends["time_months"], height=0.55, color="#D9D9D9", edgecolor="none", zorder=1)
    handles = []
    for event, (marker, colour, filled, label) in EVENTS.items():
        rows = data[data["event"] == event]
        size = 30 if event != "ino_dose" else 40
        kwargs = {"facecolors": colour if filled else "none", "edgecolors": colour} if marker not in "|" else {
            "color": colour}
        ax.scatter(rows["time_months"], rows["lane"], marker=marker, s=size, linewidths=1.0, zorder=3, **kwargs)
        handles.append(Line2D([], [], linestyle="none", marker=marker, color=colour,
                              markerfacecolor=colour if filled else "none", markersize=6, label=say(label)))
    labels = data.drop_duplicates("lane").sort_values("lane")
    ax.set_yticks(labels["lane"])
    ax.set_yticklabels(labels["patient_id"], fontsize=FONT["tiny"] if lanes > 20 else FONT["small"])
    ax.set_ylim(lanes + 0.7, 0.3)
    ax.set_xlim(left=0)
    label_axes(ax, say("Months since first InO dose"), "", say("Treatment course per patient"))
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              prop={"size": FONT["small"]})
    if note:
        footnote(fig, say.note(note))
    return fit_to_canvas(fig)
