"""Deaths: causes of death by period, and early mortality at day 30 and day 60 from the first dose.

Who died and when: the OS rows of ``adtte`` with an event (``EVNTCD == 1``), the day of death being
``AVAL_DAYS`` (days from the first dose, the first dose on day 0). The cause is adsl's
``death_cause`` (the records' free text, ``follow_up.death_cause``), grouped by :func:`cause_category`.

Periods (:func:`death_period`), on days from the first dose:

* ``during InO``: from the first dose to the day before HSCT for a patient transplanted after InO,
  or to the last dose + ``window_days`` (config ``teae_window_days``, default 30) for a patient
  without HSCT: the treatment-emergent window of the adverse events;
* ``after HSCT``: on or after the day of the first HSCT after InO (a death on the day of HSCT is
  after HSCT, as the adverse events' ``after_hsct``);
* ``after InO without HSCT``: later than last dose + ``window_days`` in a patient never transplanted after
  InO (the "other" period: e.g. relapse or salvage after InO).

Counts and percentages are over all analysed patients (adsl ``included``). Early mortality at day
D: deaths on or before day D from the first dose over all analysed patients (a patient censored
before day D counts as alive; the ``note`` says how many), with the exact Clopper-Pearson interval
(:func:`ino_study.statistics.proportions.clopper_pearson`, R ``binom.test``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ino_study.statistics.proportions import clopper_pearson

DEATHS_COLUMNS = ["section", "period", "cause", "deaths", "denominator", "percent", "ci_lower_pct",
                  "ci_upper_pct", "note"]

#: The InO period of a patient not transplanted ends this many days after the last dose by default
#: (the schema's default of ``teae_window_days``, the adverse events' treatment-emergent window).
DAYS_AFTER_LAST_DOSE = 30

#: Early mortality is given at these days from the first dose (inclusive).
EARLY_MORTALITY_DAYS = (30, 60)

PERIODS = ("during InO", "after HSCT", "after InO without HSCT")
ALL_PERIODS = "all periods"
ALL_CAUSES = "all causes"

#: Cause categories in order of precedence, each with the patterns (regular expressions, English and
#: Russian, matched in the lower-case text) that put a death in it; the first category that matches
#: wins, so a death with active leukaemia is counted as relapse/progression whatever else is written.
CAUSE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("relapse/progression", ("relapse", "progress", "refractory", "leukaem", "leukem", "рецидив", "прогресс",
                             "рефрактер", "лейкоз", "лейкем")),
    ("infection", ("sepsis", "septic", "infect", "pneumon", "fung", "viral", "сепсис", "септ", "инфекц",
                   "пневмон", "гриб", "вирус")),
    ("VOD/SOS", (r"\bvod\b", r"\bsos\b", "veno-occlusive", "venoocclusive", "sinusoidal", "веноокклюз",
                 "синусоидальн")),
    ("GVHD", ("gvhd", "graft-versus-host", "graft versus host", "рттх", "трансплантат против хозяина")),
    ("haemorrhage", ("haemorrh", "hemorrh", "bleed", "кровотеч", "кровоизл")),
)
OTHER = "other"
NOT_RECORDED = "not recorded"
CAUSES = (*(name for name, _ in CAUSE_KEYWORDS), OTHER, NOT_RECORDED)


def cause_category(text: object) -> str:
    """The category of a recorded cause of death (see :data:`CAUSE_KEYWORDS`); blank -> "not recorded"."""
    if text is None or pd.isna(text):
        return NOT_RECORDED
    value = " ".join(str(text).lower().split())
    if not value:
        return NOT_RECORDED
    for name, fragments in CAUSE_KEYWORDS:
        if any(re.search(pattern, value) for pattern in fragments):
            return name
    return OTHER


def death_period(death_day: float, hsct_day: float, last_dose_day: float,
                 window_days: int = DAYS_AFTER_LAST_DOSE) -> str:
    """The period of a death on ``death_day`` (days from the first dose; see the module docstring)."""
    if not np.isnan(hsct_day):
        return "after HSCT" if death_day >= hsct_day else "during InO"
    return "during InO" if death_day <= last_dose_day + window_days else "after InO without HSCT"


def patient_deaths(adtte: pd.DataFrame, adsl: pd.DataFrame, window_days: int = DAYS_AFTER_LAST_DOSE) -> pd.DataFrame:
    """One row per analysed patient: patient_id, os_days, died, death_cause, cause, period (None if alive)."""
    analysed = adsl.loc[adsl["included"].astype(bool)]
    os_rows = adtte.loc[adtte["PARAMCD"] == "OS", ["patient_id", "AVAL_DAYS", "EVNTCD"]]
    frame = analysed.merge(os_rows, on="patient_id", how="left")
    first = pd.to_datetime(frame["first_dose_date"])
    hsct_day = (pd.to_datetime(frame["hsct_date"]) - first).dt.days.astype(float).to_numpy()
    last_day = (pd.to_datetime(frame["last_dose_date"]) - first).dt.days.astype(float).to_numpy()
    died = frame["EVNTCD"].fillna(0).astype(int).to_numpy() == 1
    days = frame["AVAL_DAYS"].astype(float).to_numpy()
    causes = frame["death_cause"] if "death_cause" in frame.columns else pd.Series(None, index=frame.index)
    out = pd.DataFrame({
        "patient_id": frame["patient_id"].to_numpy(), "os_days": days, "died": died,
        "death_cause": causes.to_numpy(dtype=object),
        "cause": _causes(causes.to_numpy(dtype=object), died),
        "period": _periods(days, hsct_day, last_day, died, window_days),
    })
    return out.sort_values("patient_id", kind="stable", ignore_index=True)


def _causes(causes: np.ndarray, died: np.ndarray) -> np.ndarray:
    """cause_category of each patient who died (None for the others), each distinct text classified
    once: a registry of a million patients records a few hundred distinct causes."""
    codes, distinct = pd.factorize(causes)  # missing values coded -1: "not recorded"
    categories = np.array([cause_category(text) for text in distinct] + [NOT_RECORDED], dtype=object)
    return np.where(died, categories[codes], None)


def _periods(days: np.ndarray, hsct_day: np.ndarray, last_day: np.ndarray, died: np.ndarray,
             window_days: int) -> np.ndarray:
    """death_period of each patient who died (None for the others), as arrays (the same comparisons:
    a missing day compares false)."""
    with np.errstate(invalid="ignore"):
        transplanted = np.where(days >= hsct_day, "after HSCT", "during InO")
        not_transplanted = np.where(days <= last_day + window_days, "during InO", "after InO without HSCT")
    period = np.where(np.isnan(hsct_day), not_transplanted, transplanted).astype(object)
    return np.where(died, period, None)


def _percent(count: int, n: int) -> float:
    return 100.0 * count / n if n else float("nan")


def deaths_table(adtte: pd.DataFrame, adsl: pd.DataFrame, conf_level: float = 0.95,
                 early_days: tuple[int, ...] = EARLY_MORTALITY_DAYS,
                 window_days: int = DAYS_AFTER_LAST_DOSE) -> pd.DataFrame:
    """``results/tables/deaths.csv``: causes of death by period, and early mortality.

    Section "cause of death": for each period (:data:`PERIODS`, then "all periods") one row per cause
    category with at least one death (in :data:`CAUSES` order) and an "all causes" row (also when
    0); ``deaths`` / ``denominator`` (all analysed patients) as ``percent``; no interval.
    Section "early mortality": one row per day D (period "day D"; cause "all causes"): deaths on or
    before day D, percent and the exact Clopper-Pearson interval at ``conf_level``, in percent.
    """
    deaths = patient_deaths(adtte, adsl, window_days)
    n = len(deaths)
    dead = deaths[deaths["died"]]
    rows = []
    for period in (*PERIODS, ALL_PERIODS):
        sub = dead if period == ALL_PERIODS else dead[dead["period"] == period]
        for cause in CAUSES:
            count = int((sub["cause"] == cause).sum())
            if count:
                rows.append({"section": "cause of death", "period": period, "cause": cause, "deaths": count,
                             "denominator": n, "percent": _percent(count, n)})
        rows.append({"section": "cause of death", "period": period, "cause": ALL_CAUSES, "deaths": len(sub),
                     "denominator": n, "percent": _percent(len(sub), n)})
    for day in early_days:
        count = int((dead["os_days"] <= day).sum())
        censored = int(((~deaths["died"]) & (deaths["os_days"] < day)).sum())
        _, lower, upper = clopper_pearson(count, n, conf_level)
        note = (f"{censored} patient(s) censored before day {day} counted as alive" if censored else "")
        rows.append({"section": "early mortality", "period": f"day {day}", "cause": ALL_CAUSES, "deaths": count,
                     "denominator": n, "percent": _percent(count, n), "ci_lower_pct": 100 * lower,
                     "ci_upper_pct": 100 * upper, "note": note})
    out = pd.DataFrame(rows).reindex(columns=DEATHS_COLUMNS)
    out["note"] = out["note"].fillna("")
    return out
