"""ADSL: one row per patient in the raw data, with baseline, exposure, transplant and outcome flags.

Every raw patient has a row; `included` says whether the patient is analysed and
`exclusion_reason` why not, so that nothing is lost between the raw data and the results.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ino_study.endpoints.definitions import DAYS_PER_MONTH, EndpointRules
from ino_study.endpoints.sorting import left_join, sort_codes

#: Rounding of dose sums, so that 0.8 + 0.5 + 0.5 is exactly 1.8 and not 1.7999999999999998.
DOSE_DECIMALS = 6


def exposure(doses: pd.DataFrame, standard_min_cycle1_mg_m2: float) -> pd.DataFrame:
    """InO exposure per patient: dates, cycles, doses, cumulative and first-cycle dose, dose group.

    Dose group: "standard" when the first cycle totals at least `standard_min_cycle1_mg_m2`
    (0.8 + 0.5 + 0.5 = 1.8 mg/m2), otherwise "reduced".
    """
    # grouped by integer codes that sort as patient_id does (sorting.py), named back at the end
    codes = sort_codes(doses["patient_id"])
    known = doses["patient_id"].notna().to_numpy()
    names = np.empty(int(codes.max()) + 1 if len(codes) else 0, dtype=object)
    names[codes] = doses["patient_id"].to_numpy()
    doses, codes = doses[known], codes[known]
    grouped = doses.groupby(codes)
    first_cycle = grouped["cycle"].transform("min")
    in_cycle1 = (doses["cycle"] == first_cycle).to_numpy()
    cycle1 = doses["dose_mg_m2"][in_cycle1].groupby(codes[in_cycle1]).sum()
    out = pd.DataFrame({
        "first_dose_date": grouped["date"].min(),
        "last_dose_date": grouped["date"].max(),
        "n_doses": grouped.size(),
        "n_cycles": grouped["cycle"].nunique(),
        "cumulative_dose_mg_m2": grouped["dose_mg_m2"].sum().round(DOSE_DECIMALS),
        "cycle1_dose_mg_m2": cycle1.round(DOSE_DECIMALS),
    })
    out["dose_group"] = out["cycle1_dose_mg_m2"].ge(standard_min_cycle1_mg_m2 - 1e-9).map(
        {True: "standard", False: "reduced"}
    )
    out.index = pd.Index(names[out.index.to_numpy(dtype=np.int64)], dtype=object, name="patient_id")
    return out.reset_index()


#: Optional transplant columns carried into adsl (conditioning as hsct_conditioning; GVHD as recorded).
TRANSPLANT_DETAILS = ("conditioning", "agvhd_grade", "agvhd_date", "cgvhd", "cgvhd_date")


def first_transplant(transplants: pd.DataFrame) -> pd.DataFrame:
    """The first HSCT after InO per patient (later transplants are not analysed here)."""
    ordered = transplants.sort_values(["patient_id", "date", "source_row"], kind="stable")
    first = ordered.drop_duplicates("patient_id")
    columns = ["patient_id", "date", "donor_type", *(c for c in TRANSPLANT_DETAILS if c in first)]
    out = first[columns].rename(columns={"date": "hsct_date", "donor_type": "hsct_donor_type",
                                         "conditioning": "hsct_conditioning"})
    for column in TRANSPLANT_DETAILS:  # optional contract columns: "not recorded" when absent
        name = "hsct_conditioning" if column == "conditioning" else column
        if name not in out:
            out[name] = pd.NaT if column.endswith("_date") else None
    return out


def _two_labels(values: pd.Series, is_first: Callable[[np.ndarray], np.ndarray], first: str,
                second: str) -> pd.Series:
    """``first`` where ``is_first(value)``, else ``second``; None where the value is missing.

    What ``values.map(lambda v: None if pd.isna(v) else (first if ... else second))`` gives, without
    a Python call per patient.
    """
    if values.empty:
        return values.map(lambda v: None)  # the dtype Series.map gives an empty column
    numbers = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    labels = np.where(is_first(numbers), first, second).astype(object)
    labels[np.isnan(numbers)] = None
    return pd.Series(labels, index=values.index, name=values.name, dtype=object)


def age_group(age_years: pd.Series) -> pd.Series:
    """Age at first dose: "<10 y" or ">=10 y" (the usual paediatric ALL risk cut-off)."""
    return _two_labels(age_years, lambda age: age < 10, "<10 y", ">=10 y")


#: Optional baseline columns of the patients table (absent in an older clean table: not recorded).
OPTIONAL_BASELINE = ("cns_status", "extramedullary_disease", "cr1_date", "first_relapse_date", "prior_lines")
#: Duration of CR1 that separates early from late relapse (months; the usual paediatric cut-off).
CR1_CUTOFF_MONTHS = 18
PRIMARY_REFRACTORY_CR1 = "primary refractory"


def add_cr1_duration(base: pd.DataFrame) -> pd.DataFrame:
    """Duration of the first remission: months (days / 30.4375) from `cr1_date` to `first_relapse_date`,
    and its group "< 18 months" / ">= 18 months"; "primary refractory" for relapse_number 0 (no CR1 to
    relapse from); empty (not recorded) when either date is missing."""
    base = base.copy(deep=False)  # columns are only added or replaced (not written into): `base` stays as it was
    for column in OPTIONAL_BASELINE:
        if column not in base:
            base[column] = pd.NaT if column.endswith("_date") else None
    days = (pd.to_datetime(base["first_relapse_date"]) - pd.to_datetime(base["cr1_date"])).dt.days
    base["cr1_duration_months"] = (days / DAYS_PER_MONTH).round(2)
    group = _two_labels(base["cr1_duration_months"], lambda m: m < CR1_CUTOFF_MONTHS,
                        f"< {CR1_CUTOFF_MONTHS} months", f">= {CR1_CUTOFF_MONTHS} months")
    refractory = base["relapse_number"].astype("Float64").eq(0).fillna(False).to_numpy(bool)
    base["cr1_duration_group"] = group.where(~refractory, PRIMARY_REFRACTORY_CR1)
    base["prior_lines"] = base["prior_lines"].astype("Int64")
    base["extramedullary_disease"] = base["extramedullary_disease"].astype("boolean")
    return base


def derive_adsl_base(patients: pd.DataFrame, doses: pd.DataFrame, transplants: pd.DataFrame,
                     rules: EndpointRules) -> pd.DataFrame:
    """Baseline, exposure and transplant per patient (response and outcomes are added later)."""
    base = patients.drop(columns=["first_dose_date"], errors="ignore").rename(
        columns={"marrow_blasts_pct": "baseline_blasts_pct"}
    )
    base = left_join(base, exposure(doses, rules.standard_min_cycle1_mg_m2))
    base = left_join(base, first_transplant(transplants))
    base["hsct_after_ino"] = base["hsct_date"].notna()
    base["days_last_dose_to_hsct"] = (base["hsct_date"] - base["last_dose_date"]).dt.days.astype("Int64")
    base = add_cr1_duration(base)
    base["refractory"] = _two_labels(base["relapse_number"], lambda n: n == 0, "primary refractory", "relapsed")
    base["age_group"] = age_group(base["age_at_first_dose_years"])
    return base


def add_outcome_flags(base: pd.DataFrame, responses: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Best response, MRD negativity and VOD/SOS flags."""
    adsl = left_join(base, responses)
    vod = adae[adae["vod"]].groupby("patient_id").agg(vod_date=("ASTDT", "min"), vod_worst_grade=("AETOXGR", "max"))
    adsl = left_join(adsl, vod.reset_index())
    adsl["vod"] = adsl["vod_date"].notna()
    adsl["vod_worst_grade"] = adsl["vod_worst_grade"].astype("Int64")
    for flag, column in (("vod_during_ino", "treatment_emergent"), ("vod_after_hsct", "after_hsct")):
        adsl[flag] = adsl["patient_id"].isin(adae.loc[adae["vod"] & adae[column], "patient_id"])
    for flag in ("evaluable", "responder", "mrd_negative"):
        adsl[flag] = adsl[flag].astype("boolean").fillna(False).astype(bool) & adsl["included"].astype(bool)
    return adsl


ADSL_COLUMNS = [
    "patient_id", "included", "exclusion_reason", "sex", "age_at_first_dose_years", "age_group",
    "relapse_number", "refractory", "prior_hsct", "prior_blinatumomab", "prior_car_t", "cytogenetics", "cd22_pct",
    "baseline_blasts_pct", "cns_status", "extramedullary_disease", "prior_lines", "cr1_date", "first_relapse_date",
    "cr1_duration_months", "cr1_duration_group", "diagnosis_date", "first_dose_date", "last_dose_date", "n_doses", "n_cycles",
    "cumulative_dose_mg_m2", "cycle1_dose_mg_m2", "dose_group", "hsct_after_ino", "hsct_date", "hsct_donor_type",
    "days_last_dose_to_hsct", "evaluable", "best_response", "best_response_date", "responder",
    "first_remission_date", "mrd_evaluations", "mrd_negative", "first_mrd_negative_date", "mrd_method",
    "mrd_detection_limit_pct", "vod", "vod_date", "vod_worst_grade", "vod_during_ino", "vod_after_hsct",
    "death_cause", "course1_response", "course1_response_date", "first_remission_response",
    "hsct_conditioning", "agvhd_grade", "agvhd_date", "cgvhd", "cgvhd_date",
]
