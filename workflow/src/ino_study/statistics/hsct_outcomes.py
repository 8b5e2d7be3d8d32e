"""Outcomes after HSCT (results/tables/hsct_outcomes.csv) and the table of transplants (transplants.md).

From the ADTTE parameters timed from the HSCT date (`ino_study.endpoints.hsct`):

- OS_HSCT, LFS_HSCT, GRFS: Kaplan-Meier (:func:`km_fit`, R ``survfit`` semantics, the configured
  interval) at day 100 and 1 year (12 months);
- NRM_HSCT: Aalen-Johansen cumulative incidence of non-relapse mortality (relapse competing) and of
  relapse (NRM competing) at day 100 and 1 year;
- AGVHD_II_IV, AGVHD_III_IV at day 100 and CGVHD at 1 year: Aalen-Johansen cumulative incidence
  (relapse or death competing). Cumulative incidence intervals: R's default "log", as
  cumulative_incidence.csv.

Times in months (days / 30.4375): day 100 = 100 / 30.4375 months. An outcome without rows (nobody
transplanted, or GVHD not recorded on any transplant) keeps its rows with NaN estimates and the
reason in `note` (the report's one line).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.endpoints.hsct import CGVHD_LEVELS
from ino_study.outputs.formats import format_ci, format_count, format_count_percent, format_level, format_percent
from ino_study.outputs.language import catalogue, localise_message, localise_text, translate, translate_template
from ino_study.records.gvhd import ROMAN  # acute GVHD grades 0-IV, as the records read them
from ino_study.statistics.competing_risks import cumulative_incidence
from ino_study.statistics.kaplan_meier import km_at, km_fit
from ino_study.statistics.ordering import sort_stable

HSCT_OUTCOME_COLUMNS = ["outcome", "paramcd", "method", "population", "n", "events", "time_days", "time_months",
                        "n_risk", "estimate", "ci_lower", "ci_upper", "conf_type", "note"]
DAY_100, ONE_YEAR_DAYS = 100, 365

#: (outcome, PARAMCD, method, EVNTCD of interest, time points in days, population)
OUTCOMES = (
    ("overall survival", "OS_HSCT", "Kaplan-Meier", 1, (DAY_100, ONE_YEAR_DAYS), "transplanted"),
    ("leukaemia-free survival", "LFS_HSCT", "Kaplan-Meier", 1, (DAY_100, ONE_YEAR_DAYS), "in CR/CRi at HSCT"),
    ("non-relapse mortality", "NRM_HSCT", "cumulative incidence (competing: relapse)", 1,
     (DAY_100, ONE_YEAR_DAYS), "in CR/CRi at HSCT"),
    ("relapse", "NRM_HSCT", "cumulative incidence (competing: non-relapse mortality)", 2,
     (DAY_100, ONE_YEAR_DAYS), "in CR/CRi at HSCT"),
    ("acute GVHD grade II-IV", "AGVHD_II_IV", "cumulative incidence (competing: relapse, death)", 1, (DAY_100,),
     "transplanted, acute GVHD recorded"),
    ("acute GVHD grade III-IV", "AGVHD_III_IV", "cumulative incidence (competing: relapse, death)", 1, (DAY_100,),
     "transplanted, acute GVHD recorded"),
    ("chronic GVHD", "CGVHD", "cumulative incidence (competing: relapse, death)", 1, (ONE_YEAR_DAYS,),
     "transplanted, chronic GVHD recorded"),
    ("GVHD-free, relapse-free survival", "GRFS", "Kaplan-Meier", 1, (ONE_YEAR_DAYS,),
     "in CR/CRi at HSCT, acute and chronic GVHD recorded"),
)

NOT_RECORDED = {
    "AGVHD_II_IV": "not recorded: no transplant has agvhd_grade",
    "AGVHD_III_IV": "not recorded: no transplant has agvhd_grade",
    "CGVHD": "not recorded: no transplant has cgvhd",
    "GRFS": "not recorded: needs agvhd_grade and cgvhd on a transplant in CR/CRi",
}


def _months(days: tuple[int, ...]) -> np.ndarray:
    # 1 year = 12 months (365.25 days), the study's month; day 100 = 100 / 30.4375 months
    return np.array([12.0 if d == ONE_YEAR_DAYS else d / DAYS_PER_MONTH for d in days])


def hsct_outcomes_table(adtte: pd.DataFrame, conf_level: float = 0.95, conf_type: str = "plain") -> pd.DataFrame:
    """One row per outcome and time point (see the module docstring); sorted as OUTCOMES."""
    rows = []
    for outcome, paramcd, method, code, days, population in OUTCOMES:
        data = sort_stable(adtte.loc[adtte["PARAMCD"] == paramcd, ["patient_id", "AVAL", "EVNTCD"]],
                           ["patient_id"])
        months = _months(days)
        base = {"outcome": outcome, "paramcd": paramcd, "method": method, "population": population,
                "n": len(data), "events": int((data["EVNTCD"] == code).sum())}
        if data.empty:
            note = NOT_RECORDED.get(paramcd, "no patient transplanted after InO" if paramcd == "OS_HSCT"
                                    else "no patient in CR/CRi at HSCT")
            for d, m in zip(days, months):
                rows.append({**base, "time_days": d, "time_months": m, "n_risk": 0, "estimate": np.nan,
                             "ci_lower": np.nan, "ci_upper": np.nan, "conf_type": "", "note": note})
            continue
        time = data["AVAL"].to_numpy(dtype=float)
        status = data["EVNTCD"].to_numpy(dtype=int)
        if method == "Kaplan-Meier":
            at = km_at(km_fit(time, (status == 1).astype(int), conf_level, conf_type), months)
            est, kind = at["survival"], conf_type
        else:
            at = cumulative_incidence(time, status, code, months, conf_level, "log")
            est, kind = at["estimate"], "log"
        for i, (d, m) in enumerate(zip(days, months)):
            value = float(est.iloc[i])
            rows.append({**base, "time_days": d, "time_months": m, "n_risk": int(at["n_risk"].iloc[i]),
                         "estimate": value, "ci_lower": float(at["ci_lower"].iloc[i]),
                         "ci_upper": float(at["ci_upper"].iloc[i]), "conf_type": kind,
                         "note": "" if not np.isnan(value) else "beyond the last follow-up"})
    return pd.DataFrame(rows, columns=HSCT_OUTCOME_COLUMNS)


# ------------------------------------------------------------------------------------ transplants.md



def _counts(values: pd.Series, order: list[str], n: int) -> list[tuple[str, str]]:
    """(level, 'n (%)') for each level in order, then any other level (sorted), then 'not recorded'."""
    known = values.dropna().astype(str)
    levels = [lv for lv in order if (known == lv).any()] + sorted(set(known) - set(order))
    out = [(f"  {lv}", format_count_percent(int((known == lv).sum()), n)) for lv in levels]
    missing = int(values.isna().sum())
    if missing:
        out.append(("  not recorded", format_count_percent(missing, n)))
    return out


def transplants_table(adsl: pd.DataFrame, outcomes: pd.DataFrame, language: str = "en") -> tuple[pd.DataFrame, str]:
    """The transplants after InO: donor, conditioning, days from the last InO dose, status at HSCT, VOD/SOS
    after HSCT, GVHD; then the outcomes of `hsct_outcomes_table`. Returns (table, note), in `language`
    (config `language`; the column names stay machine names, see `reader_transplants`)."""
    included = adsl[adsl["included"]]
    tx = sort_stable(included[included["hsct_after_ino"]], ["patient_id"])
    n = len(tx)
    rows: list[tuple[str, str]] = [("Transplanted after InO", format_count_percent(n, len(included)))]
    notes = []
    if n:
        rows.append(("Donor", ""))
        rows += _counts(tx["hsct_donor_type"], [], n)
        rows.append(("Conditioning", ""))
        rows += _counts(tx["hsct_conditioning"], [], n)
        days = tx["days_last_dose_to_hsct"].astype(float)
        rows.append(("Days from the last InO dose to HSCT, median [range]",
                     f"{days.median():g} [{days.min():g}-{days.max():g}]"))
        in_cr = int((outcomes["paramcd"] == "LFS_HSCT").any() and outcomes.loc[outcomes["paramcd"] == "LFS_HSCT",
                                                                              "n"].iloc[0])
        rows.append(("In CR/CRi at HSCT (no relapse recorded before it)", format_count_percent(in_cr, n)))
        vod_after = tx["vod_date"].notna() & (tx["vod_date"] >= tx["hsct_date"])
        rows.append(("VOD/SOS after HSCT (first VOD/SOS on or after day 0)",
                     format_count_percent(int(vod_after.sum()), n)))
        rows.append(("Acute GVHD, maximum grade", ""))
        grades = tx["agvhd_grade"].map(lambda g: None if pd.isna(g) else ROMAN[int(g)])
        rows += _counts(grades, list(ROMAN), n)
        rows.append(("Chronic GVHD (NIH global severity)", ""))
        rows += _counts(tx["cgvhd"], list(CGVHD_LEVELS), n)
    for r in outcomes.itertuples(index=False):
        label = f"{r.outcome[0].upper()}{r.outcome[1:]} at " + ("day 100" if r.time_days == DAY_100 else "1 year")
        if np.isnan(r.estimate):
            value = f"not estimated ({r.note})" if r.note else "not estimated"
        else:
            value = (f"{format_percent(r.estimate, 1)} ({format_ci(r.ci_lower, r.ci_upper, 1)}), "
                     f"n = {format_count(r.n)}")
        rows.append((label, value))
    skipped = list(dict.fromkeys(r.outcome for r in outcomes.itertuples(index=False)
                                 if r.note.startswith("not recorded")))
    if skipped:
        notes.append(translate_template("Skipped, not recorded (no agvhd_grade / cgvhd on the transplant records): "
                                        "{outcomes}.", language,
                                        outcomes=", ".join(translate(o, language) for o in skipped)))
    table = pd.DataFrame(rows, columns=["characteristic", "value"])
    return reader_transplants(table, language), " ".join(notes)


def reader_transplants(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """The table's texts in `language`: a characteristic through the catalogue (a level, indented, as
    the centre recorded it when the catalogue has no entry: a conditioning regimen is free text), a
    value as ino_study.outputs.language.localise_message writes it (numbers, 'not estimated (...)')."""
    if language == "en":
        return table
    entries = catalogue(language)

    def label(text: str) -> str:
        if text.startswith("  "):
            return "  " + entries.get(text.strip(), text.strip())
        return localise_text(text, language)

    return pd.DataFrame({"characteristic": [label(t) for t in table["characteristic"]],
                         "value": [localise_message(v, language) for v in table["value"]]})


def transplants_note(conf_level: float, conf_type: str) -> str:
    return (f"n (%) of the patients transplanted after InO (first HSCT); the first row of the analysed. Outcomes from "
            f"the HSCT date, {format_level(conf_level)} CI: survival by Kaplan-Meier ({conf_type} interval), "
            "non-relapse mortality, relapse and GVHD as Aalen-Johansen cumulative incidence (log interval) with "
            "relapse or death competing; LFS, NRM and GRFS among patients in CR/CRi at HSCT; GRFS counts grade "
            "III-IV acute GVHD, moderate or severe chronic GVHD (proxy for systemic treatment), relapse and death.")
