"""Data dictionary of the analysis datasets (adsl, adrs, adtte, adae).

`docs/analysis_datasets.md` is generated from this module (`python -m ino_study.endpoints.dictionary
> docs/analysis_datasets.md`); a test checks that every derived column is described here and that the
committed document is current.
"""

from __future__ import annotations

from ino_study.endpoints.adtte import PARAMS

DATASETS: dict[str, tuple[str, dict[str, str]]] = {
    "adsl": ("One row per patient in the raw data (analysed or not).", {
        "patient_id": "Registry identifier (pseudonymised if configured).",
        "included": "Analysed: met every eligibility rule.",
        "exclusion_reason": "First eligibility rule failed; empty when included.",
        "sex": "M or F.",
        "age_at_first_dose_years": "Age at the first InO dose, years (days / 365.25), 2 decimals.",
        "age_group": "Age at the first dose: <10 y or >=10 y.",
        "relapse_number": "Relapses before InO; 0 = primary refractory.",
        "refractory": "primary refractory (relapse_number 0) or relapsed.",
        "prior_hsct": "HSCT before InO.",
        "prior_blinatumomab": "Blinatumomab before InO.",
        "prior_car_t": "CAR-T cells before InO.",
        "cytogenetics": "Cytogenetic / molecular group as recorded.",
        "cd22_pct": "CD22-positive blasts before InO, %.",
        "baseline_blasts_pct": "Marrow blasts at the start of InO, %.",
        "cns_status": "CNS status at the start of InO: CNS1, CNS2 or CNS3; empty = not recorded.",
        "extramedullary_disease": "Extramedullary disease (other than CNS) at the start of InO; empty = not recorded.",
        "prior_lines": "Lines of therapy before InO; empty = not recorded.",
        "cr1_date": "Date of the first complete remission (CR1) after diagnosis; empty = not recorded.",
        "first_relapse_date": "Date of the first relapse (end of CR1); empty = not recorded.",
        "cr1_duration_months": "Duration of CR1: months (days / 30.4375) from cr1_date to first_relapse_date.",
        "cr1_duration_group": "< 18 months or >= 18 months; primary refractory for relapse_number 0; empty = not "
                              "recorded.",
        "diagnosis_date": "Date of the initial diagnosis.",
        "first_dose_date": "First InO dose (time zero of OS, EFS and REL).",
        "last_dose_date": "Last InO dose on or before the cut-off.",
        "n_doses": "InO administrations.",
        "n_cycles": "Distinct InO cycles.",
        "cumulative_dose_mg_m2": "Total InO dose, mg/m2.",
        "cycle1_dose_mg_m2": "Total dose of the first cycle, mg/m2.",
        "dose_group": "standard (first cycle >= dose_groups.standard_min_cycle1_mg_m2) or reduced.",
        "hsct_after_ino": "Transplanted after InO (before the cut-off).",
        "hsct_date": "Date of the first HSCT after InO.",
        "hsct_donor_type": "Donor of that HSCT.",
        "days_last_dose_to_hsct": "Days from the last InO dose to HSCT.",
        "evaluable": "Evaluable for response: an assessment with marrow blasts in the response window.",
        "best_response": "Best response in the window: CR, CRi, PR or NR; empty if not evaluable.",
        "best_response_date": "Date of the first assessment with the best response.",
        "responder": "Best response CR or CRi.",
        "first_remission_date": "First assessment in CR or CRi.",
        "mrd_evaluations": "Assessments in the window whose MRD could be classed negative or positive.",
        "mrd_negative": "MRD below the threshold at some assessment in the window.",
        "first_mrd_negative_date": "First MRD-negative assessment.",
        "mrd_method": "Methods (flow, PCR, NGS, joined by ' + ') of the MRD results counted in mrd_evaluations; "
                      "'no MRD result' when there is none; empty = method not recorded.",
        "mrd_detection_limit_pct": "Lowest recorded detection limit of those MRD results, %.",
        "vod": "VOD/SOS recorded at any time after the first dose.",
        "vod_date": "Onset of the first VOD/SOS.",
        "vod_worst_grade": "Worst CTCAE grade of VOD/SOS.",
        "vod_during_ino": "Treatment-emergent VOD/SOS (adae treatment_emergent).",
        "vod_after_hsct": "VOD/SOS on or after the day of the first HSCT after InO (adae after_hsct).",
        "death_cause": "Cause of death as recorded (follow_up.death_cause); empty when alive at the cut-off.",
        "course1_response": "Response after course 1: at the last assessment in the window before the first dose of "
                            "cycle 2 or, without cycle 2, within `response.course1_days` of the first dose; empty "
                            "if none.",
        "course1_response_date": "Date of that assessment.",
        "first_remission_response": "CR or CRi at the first assessment in CR/CRi (CRi followed by a best response "
                                    "CR = conversion from CRi to CR).",
        "hsct_conditioning": "Conditioning regimen of the first HSCT after InO (transplants.conditioning).",
        "agvhd_grade": "Maximum acute GVHD grade after that HSCT, 0-4 (= 0, I-IV); empty = not recorded.",
        "agvhd_date": "Onset of acute GVHD at its maximum grade.",
        "cgvhd": "Chronic GVHD after that HSCT (NIH global severity): none, mild, moderate, severe; empty = not recorded.",
        "cgvhd_date": "Onset of chronic GVHD.",
    }),
    "adrs": ("One row per bone-marrow assessment of an analysed patient (PARAMCD RSP).", {
        "patient_id": "Registry identifier.",
        "PARAMCD": "RSP.",
        "PARAM": "Marrow response at assessment.",
        "ADT": "Date of the assessment.",
        "ADY": "Days from the first InO dose (0 = day of the first dose).",
        "marrow_blasts_pct": "Marrow blasts, %.",
        "marrow_status": "M1 (< 5%), M2 (5 to < 25%), M3 (>= 25%).",
        "anc_10e9_l": "Neutrophils, x10^9/L.",
        "platelets_10e9_l": "Platelets, x10^9/L.",
        "AVALC": "Response at this assessment: CR, CRi, PR or NR.",
        "mrd_percent": "MRD value as a percentage (the limit for '<x%').",
        "mrd_qualifier": "'=', '<' or '>' as written.",
        "mrd_status": "measured, negative_text, not_done or missing.",
        "mrd_negative": "Below the threshold (True), not (False), or cannot tell (empty).",
        "mrd_method": "MRD method: flow, PCR or NGS; empty = not recorded.",
        "mrd_detection_limit_pct": "Detection limit of the MRD measurement, %; empty = not recorded.",
        "in_response_window": "Counts towards best response and MRD negativity.",
        "source_row": "Row of the assessments sheet this record came from.",
    }),
    "adtte": ("One row per analysed patient and time-to-event parameter.", {
        "patient_id": "Registry identifier.",
        "PARAMCD": "Parameter: " + "; ".join(f"{k} = {v}" for k, v in PARAMS.items()) + ".",
        "PARAM": "Parameter description.",
        "STARTDT": "Time zero: the first InO dose (DOR: the first CR/CRi; VOD and the *_HSCT, GVHD and GRFS "
                   "parameters: the HSCT).",
        "ADT": "Date of the event or censoring.",
        "AVAL_DAYS": "Days from STARTDT to ADT.",
        "AVAL": "Months from STARTDT to ADT (days / 30.4375).",
        "CNSR": "0 = event of interest, 1 = censored or competing event.",
        "EVNTCD": "1 = event of interest, 2 = competing event, 0 = censored.",
        "EVNTDESC": "What happened at ADT.",
        "SRCDOM": "Table the date came from.",
        "SRCVAR": "Column the date came from.",
    }),
    "adae": ("One row per adverse event of an analysed patient, on or before the cut-off.", {
        "patient_id": "Registry identifier.",
        "AETERM": "Term as recorded.",
        "AEDECOD": "CTCAE v5.0 term (known English and Russian spellings mapped).",
        "AETOXGR": "CTCAE grade 1-5.",
        "ASTDT": "Onset date.",
        "ADY": "Days from the first InO dose.",
        "grade3plus": "Grade 3 or higher.",
        "vod": "VOD/SOS under any of its names.",
        "during_ino": "Onset from the first dose to 30 days after the last dose (whatever the HSCT).",
        "after_hsct": "Onset on or after the HSCT date (an event on the day of HSCT is after HSCT).",
        "treatment_emergent": "Onset from the first dose to the earlier of the last dose + teae_window_days "
                              "(config, default 30) and the day before HSCT.",
        "period": "treatment-emergent, after HSCT, or other (before the first dose, or after the window and "
                  "not after HSCT).",
        "sos_severity": "VOD/SOS rows: EBMT paediatric severity (mild, moderate, severe, very severe); empty = "
                        "not recorded (ignored on other terms).",
        "sos_treatment": "VOD/SOS rows: treatment as recorded (e.g. defibrotide); empty = not recorded.",
        "sos_outcome": "VOD/SOS rows: resolved, fatal or ongoing; empty = not recorded.",
        "worst_in_term": "The patient's highest-grade event of this term (one per patient and term).",
        "source_row": "Row of the adverse_events sheet this record came from.",
    }),
}


#: Definitions used by the statistics tables built on these datasets (appended to the document).
DERIVED_DEFINITIONS: tuple[tuple[str, list[str]], ...] = (
    ("Periods of death (`results/tables/deaths.csv`)", [
        "Days from the first InO dose (day 0) to death (adtte OS, `AVAL_DAYS`); the cause is adsl's `death_cause`.",
        "",
        "- **during InO**: from the first dose to the day before HSCT for a patient transplanted after InO, or to",
        "  the last dose + 30 days for a patient without HSCT after InO;",
        "- **after HSCT**: on or after the day of the first HSCT after InO (a death on the day of HSCT is after HSCT);",
        "- **after InO without HSCT** (other): more than 30 days after the last dose in a patient not transplanted",
        "  after InO.",
        "",
        "Causes are grouped from the recorded text (English or Russian; the first group that matches wins):",
        "relapse/progression, infection, VOD/SOS, GVHD, haemorrhage, other; blank = not recorded",
        "(`ino_study.statistics.deaths.CAUSE_KEYWORDS`). Counts and percentages are over all analysed patients.",
        "Early mortality at day 30 and day 60: deaths on or before that day from the first dose over all analysed",
        "patients (a patient censored earlier counts as alive), with the exact Clopper-Pearson interval.",
    ]),
    ("Duration of response (adtte `DOR`)", [
        "Patients ever in CR/CRi only (adsl `first_remission_date`); the others have no DOR row (counted in the",
        "survival table's note). From the first CR/CRi to relapse (follow_up `relapse_date`) or death; censored at",
        "the last contact (capped at the cut-off) or, with config `dor_censor_at_hsct: true`, at a post-InO HSCT.",
        "A relapse on the day of the last contact or of HSCT is an event. Kaplan-Meier estimates and median in",
        "`survival_estimates.csv` / `median_survival.csv` (all and by comparison; no log-rank or Cox for DOR).",
    ]),
    ("After HSCT (`results/tables/hsct_outcomes.csv`, `results/tables/transplants.md`)", [
        "From the date of the first HSCT after InO (day 0). OS_HSCT: every patient transplanted after InO.",
        "LFS_HSCT (relapse or death), NRM_HSCT (death without relapse; relapse competing) and GRFS: patients in",
        "CR/CRi at HSCT (responders with no relapse recorded before it). GVHD where the transplant record holds it",
        "(optional columns `agvhd_grade`, `agvhd_date`, `cgvhd`, `cgvhd_date`; a transplant without them has no GVHD",
        "row): AGVHD_II_IV / AGVHD_III_IV (onset of the maximum grade, if at least II / III) and CGVHD (any",
        "severity), relapse or death competing. GRFS events: grade III-IV acute GVHD, chronic GVHD needing systemic",
        "treatment (proxy: moderate or severe; the records have no treatment column), relapse, death; it needs both",
        "GVHD columns recorded. On one day an event of interest wins over a competing one, a relapse over a death.",
        "Kaplan-Meier (config interval) for OS, LFS, GRFS; Aalen-Johansen cumulative incidence (log interval) for",
        "NRM, relapse and GVHD; at day 100 (100 / 30.4375 months) and 1 year (12 months). Without any GVHD",
        "recorded the GVHD and GRFS rows say 'not recorded' and the transplants table one line that they were skipped.",
    ]),
    ("OS by MRD status at a landmark (`results/tables/mrd_landmark.csv`)", [
        "Landmark L = the end of the response window (config `response.window_days`, 180 days from the first dose).",
        "Patients with OS time > L days enter (a death or a censoring on or before day L excludes the patient);",
        "groups: MRD-negative in the window (adsl `mrd_negative`) or MRD-positive or not assessed; time is reset to",
        "L. Kaplan-Meier estimates at `survival_timepoints_months` after L, log-rank test, Cox HR of MRD-negative",
        "vs not (Efron ties, Wald interval).",
    ]),
)


def dictionary_markdown() -> str:
    lines = ["# Analysis datasets", "",
             "Written by the `derive_endpoints` rule to `results/adam/` as Parquet (what the later steps read),",
             "and by `export_analysis_datasets` as CSV copies of the same rows (for reading). Generated from",
             "`workflow/src/ino_study/endpoints/dictionary.py`; do not edit.", ""]
    for name, (meaning, columns) in DATASETS.items():
        lines += [f"## {name}", "", meaning, "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{column}` | {text} |" for column, text in columns.items()]
        lines.append("")
    for title, text in DERIVED_DEFINITIONS:
        lines += [f"## {title}", "", *text, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(dictionary_markdown(), end="")
