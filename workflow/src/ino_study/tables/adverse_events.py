"""Adverse events: worst CTCAE grade per patient and term, any grade and grade >= 3, n (%) of patients.

Two periods (adae's `period`): treatment-emergent events (results/tables/adverse_events.csv, % of the
included patients) and events after HSCT (adverse_events_after_hsct.csv, % of the patients transplanted
after InO); and the SOS/VOD events of both periods as the field reports them (sos_vod.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.endpoints.adae import AFTER_HSCT, OTHER_PERIOD, TREATMENT_EMERGENT
from ino_study.endpoints.sorting import sort_codes
from ino_study.outputs.formats import PERCENT_DECIMALS, format_count, format_count_percent
from ino_study.outputs.io import isin_text

GRADES = (1, 2, 3, 4, 5)
#: Decimals of the percentages (the adverse-event figure prints the same).
DECIMALS = PERCENT_DECIMALS["adverse_events"]
#: The columns of each dataset the adverse-event figure is drawn from (`worst_grades` of the
#: treatment-emergent events); the figures step reads no others.
FIGURE_COLUMNS = {"adsl": ("patient_id", "included"),
                  "adae": ("patient_id", "AEDECOD", "AETOXGR", "treatment_emergent")}
#: The columns of adae the tables step reads (the adverse-event tables, the SOS/VOD listing and their notes).
TABLE_COLUMNS = ("patient_id", "AEDECOD", "AETOXGR", "ASTDT", "ADY", "vod", "period", "sos_severity", "sos_treatment",
                 "sos_outcome")
COLUMNS = ["term", "any_grade_n", "any_grade_pct", "grade3plus_n", "grade3plus_pct",
           *[f"worst_grade_{g}_n" for g in GRADES], "any_grade", "grade_3_or_more", "denominator", "period"]


def worst_grades(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """One row per included patient and term with the worst grade (term = AEDECOD)."""
    included = adsl.loc[adsl["included"], "patient_id"]
    events = adae[isin_text(adae["patient_id"], included)]
    events = events[(events["AEDECOD"].notna() & events["patient_id"].notna()).to_numpy()]  # as groupby drops them
    # groups of (term, patient) in sorted order by integer ranks: `groupby(["AEDECOD", "patient_id"], sort=True)`
    # without hashing and comparing the two text columns of 2 million events at a million patients
    term, patient = sort_codes(events["AEDECOD"]), sort_codes(events["patient_id"])
    key = term * (int(patient.max(initial=0)) + 1) + patient
    _, first = np.unique(key, return_index=True)
    worst = events["AETOXGR"].groupby(key, sort=True).max()
    return pd.DataFrame({"term": events["AEDECOD"].to_numpy()[first],
                         "patient_id": events["patient_id"].to_numpy()[first], "worst_grade": worst.array})


def grade_counts(worst: pd.DataFrame) -> pd.DataFrame:
    """Patients per term and worst grade (long), the numbers of the adverse-event figure."""
    counts = worst.groupby(["term", "worst_grade"]).size().rename("n_patients").reset_index()
    return counts.sort_values(["term", "worst_grade"], kind="stable").reset_index(drop=True)


def _pct(k: int, n: int) -> float:
    return 100.0 * k / n if n else float("nan")


def adverse_event_table(adsl: pd.DataFrame, adae: pd.DataFrame, period: str = TREATMENT_EMERGENT) -> pd.DataFrame:
    """Term x worst grade of the events of one `period` (adae's: treatment-emergent or after HSCT), sorted
    by any-grade frequency then term; n (%) of the included patients (after HSCT: of the included
    patients transplanted after InO)."""
    at_risk = adsl["included"] & (adsl["hsct_after_ino"] if period == AFTER_HSCT else True)
    n = int(at_risk.sum())
    worst = worst_grades(adsl.loc[at_risk, ["patient_id", "included"]], adae[adae["period"] == period])
    wide = worst.pivot_table(index="term", columns="worst_grade", values="patient_id", aggfunc="count",
                             fill_value=0).reindex(columns=list(GRADES), fill_value=0)
    rows = []
    for term, counts in wide.iterrows():
        any_n = int(counts.sum())
        high = int(counts[[g for g in GRADES if g >= 3]].sum())
        rows.append({"term": term, "any_grade_n": any_n, "any_grade_pct": _pct(any_n, n), "grade3plus_n": high,
                     "grade3plus_pct": _pct(high, n), **{f"worst_grade_{g}_n": int(counts[g]) for g in GRADES},
                     "any_grade": format_count_percent(any_n, n, DECIMALS),
                     "grade_3_or_more": format_count_percent(high, n, DECIMALS), "denominator": n, "period": period})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["any_grade_n", "term"], ascending=[False, True], kind="stable").reset_index(drop=True)


def events_outside_periods(adsl: pd.DataFrame, adae: pd.DataFrame) -> tuple[int, int]:
    """(events, patients) of the included patients in neither table: period "other" (before the first dose,
    or after the treatment-emergent window without or before HSCT)."""
    other = adae[isin_text(adae["patient_id"], adsl.loc[adsl["included"], "patient_id"])
                 & (adae["period"] == OTHER_PERIOD).to_numpy()]
    return len(other), int(other["patient_id"].nunique())


def adverse_event_notes(adsl: pd.DataFrame, adae: pd.DataFrame, window_days: int) -> tuple[str, str]:
    """The footnotes of the treatment-emergent and the after-HSCT tables."""
    n, transplanted = int(adsl["included"].sum()), int((adsl["included"] & adsl["hsct_after_ino"]).sum())
    events, patients = events_outside_periods(adsl, adae)
    outside = (f" {format_count(events)} events of {format_count(patients)} patients fall in neither period (before "
               "the first dose, or after the window and not after HSCT) and are in neither table." if events else "")
    teae = (f"Treatment-emergent adverse events only: onset from the first InO dose to the earlier of the last dose "
            f"+ {window_days} days (config teae_window_days) and the day before HSCT; events from the day of HSCT on "
            f"are in adverse_events_after_hsct. Patients with the term at each worst CTCAE grade; % of "
            f"N = {format_count(n)} included patients.{outside}")
    after = (f"Adverse events with onset on or after the day of the first HSCT after InO (to the cut-off). Patients "
             f"with the term at each worst CTCAE grade; % of N = {format_count(transplanted)} included patients "
             "transplanted after InO.")
    return teae, after


NOT_RECORDED = "not recorded"
SOS_COLUMNS_OUT = ["patient_id", "period", "onset_day", "days_after_hsct", "ctcae_grade", "ebmt_severity",
                   "treatment", "outcome", "dose_group", "days_last_dose_to_hsct"]


def sos_vod_table(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """One row per SOS/VOD event of an included patient: its period (treatment-emergent = during InO, after
    HSCT, other), day of onset from the first dose and from HSCT, CTCAE grade, EBMT paediatric severity,
    treatment and outcome ("not recorded" when blank), the dose group and the days from the last InO dose
    to HSCT."""
    included = adsl.loc[adsl["included"].to_numpy(bool), ["patient_id", "dose_group", "hsct_date", "days_last_dose_to_hsct"]]
    events = adae[adae["vod"].to_numpy(bool) & isin_text(adae["patient_id"], included["patient_id"])]
    frame = events.merge(included[["patient_id", "dose_group", "hsct_date", "days_last_dose_to_hsct"]],
                         on="patient_id", how="left")
    out = pd.DataFrame({
        "patient_id": frame["patient_id"],
        "period": frame["period"].replace({TREATMENT_EMERGENT: "during InO (treatment-emergent)"}),
        "onset_day": frame["ADY"].astype("Int64"),
        "days_after_hsct": (frame["ASTDT"] - frame["hsct_date"]).dt.days.astype("Int64"),
        "ctcae_grade": frame["AETOXGR"].astype("Int64"),
        "ebmt_severity": frame["sos_severity"].fillna(NOT_RECORDED),
        "treatment": frame["sos_treatment"].fillna(NOT_RECORDED),
        "outcome": frame["sos_outcome"].fillna(NOT_RECORDED),
        "dose_group": frame["dose_group"],
        "days_last_dose_to_hsct": frame["days_last_dose_to_hsct"].astype("Int64"),
    }, columns=SOS_COLUMNS_OUT)
    return out.reset_index(drop=True)


def sos_vod_note(adsl: pd.DataFrame, adae: pd.DataFrame) -> str:
    """The SOS/VOD table's footnote: the counts by period, and the columns a centre did not record."""
    included = adsl.loc[adsl["included"].to_numpy(bool),
                        ["patient_id", "hsct_after_ino", "dose_group", "vod_during_ino", "vod_after_hsct"]]
    transplanted = included[included["hsct_after_ino"]]
    standard = transplanted[transplanted["dose_group"] == "standard"]
    vod = adae[adae["vod"].to_numpy(bool) & isin_text(adae["patient_id"], included["patient_id"])]
    missing = [label for column, label in (("sos_severity", "EBMT severity"), ("sos_treatment", "treatment"),
                                           ("sos_outcome", "outcome")) if vod[column].isna().all()]
    text = (f"Patients with SOS/VOD during InO (treatment-emergent): {format_count(int(included['vod_during_ino'].sum()))} "
            f"of {format_count(len(included))} included; after HSCT: {format_count(int(transplanted['vod_after_hsct'].sum()))} "
            f"of {format_count(len(transplanted))} transplanted after InO "
            f"({format_count(int(standard['vod_after_hsct'].sum()))} of {format_count(len(standard))} after standard-dose "
            "InO). Severity by the EBMT paediatric criteria (Corbacioglu et al., Bone Marrow Transplant 2018); days "
            "counted from the first InO dose (onset_day) and from HSCT (days_after_hsct).")
    if len(vod) and missing:
        text += f" Not recorded in this export: {', '.join(missing)} (optional columns; shown as 'not recorded')."
    return text
