"""Outcomes after HSCT as ADTTE parameters, timed from the HSCT date (day 0 of the first post-InO HSCT).

Populations:
- OS_HSCT (death from any cause; censored at last contact): every patient transplanted after InO.
- "in CR/CRi at HSCT": responders (CR/CRi) with no relapse recorded before the HSCT date; the
  leukaemia-related endpoints are defined for them only (as EBMT/CIBMTR report LFS and NRM for
  patients transplanted in remission):
  LFS_HSCT (relapse or death), NRM_HSCT (death without relapse; relapse is the competing event),
  GRFS (grade III-IV acute GVHD, chronic GVHD needing systemic treatment, relapse or death; the
  records have no treatment column, so moderate or severe chronic GVHD (NIH global severity) is the
  proxy for "needing systemic treatment"; GRFS needs both GVHD columns recorded for the patient).
- GVHD, where the transplant record holds it (`agvhd_grade` for acute, `cgvhd` for chronic; a
  transplant without them has no GVHD row): AGVHD_II_IV / AGVHD_III_IV (acute GVHD of at least grade
  II / III dated `agvhd_date`, the onset of the maximum grade) and CGVHD (chronic GVHD of any
  severity dated `cgvhd_date`), with relapse after HSCT or death as the competing event, among every
  transplanted patient with the grade recorded.

A relapse counts after HSCT when dated on or after the HSCT day. On the same day an event of interest
wins over a competing event, and a relapse over a death (NRM: relapse first, so the death is not
non-relapse mortality). Events after the last contact (capped at the cut-off) are not counted.
"""

from __future__ import annotations

import pandas as pd

HSCT_PARAMS = {
    "OS_HSCT": "Overall survival after HSCT",
    "LFS_HSCT": "Leukaemia-free survival after HSCT (in CR/CRi at HSCT)",
    "NRM_HSCT": "Non-relapse mortality after HSCT (competing: relapse; in CR/CRi at HSCT)",
    "AGVHD_II_IV": "Acute GVHD grade II-IV after HSCT (competing: relapse or death)",
    "AGVHD_III_IV": "Acute GVHD grade III-IV after HSCT (competing: relapse or death)",
    "CGVHD": "Chronic GVHD after HSCT (competing: relapse or death)",
    "GRFS": "GVHD-free, relapse-free survival after HSCT (in CR/CRi at HSCT)",
}

#: Chronic GVHD severities (NIH global severity) and which count as GRFS events (needing systemic
#: treatment, proxy: moderate or severe).
CGVHD_LEVELS = ("none", "mild", "moderate", "severe")
CGVHD_GRFS_LEVELS = ("moderate", "severe")


def in_cr_at_hsct(transplanted: pd.DataFrame) -> pd.Series:
    """Responders (CR/CRi) with no relapse recorded before the HSCT date."""
    relapse_before = transplanted["relapse_date"].notna() & (transplanted["relapse_date"] < transplanted["hsct_date"])
    return transplanted["responder"].astype(bool) & ~relapse_before


def hsct_candidates(transplanted: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """{PARAMCD: (one row per patient: the first event or censoring, HSCT dates by patient_id)}.

    `transplanted`: the included patients transplanted after InO, with the adsl and follow_up columns
    (hsct_date, responder, relapse_date, death_date, last_contact_date and, when recorded,
    agvhd_grade, agvhd_date, cgvhd, cgvhd_date).
    """
    from ino_study.endpoints.adtte import _candidate, _censor_from, _death_from, _first_of, _start

    out: dict[str, tuple[pd.DataFrame, pd.Series]] = {}
    if transplanted.empty:
        return out

    def add(paramcd: str, frame: pd.DataFrame, candidates) -> None:
        if not frame.empty:
            out[paramcd] = (_first_of(candidates(frame)), _start(frame, "hsct_date"))

    def _death(frame: pd.DataFrame, code: int, desc: str) -> pd.DataFrame:
        return _death_from(frame, frame["hsct_date"], code, desc)

    def _censor(frame: pd.DataFrame) -> pd.DataFrame:
        return _censor_from(frame, frame["hsct_date"])

    def relapse(frame: pd.DataFrame, code: int, desc: str) -> pd.DataFrame:
        after = frame["relapse_date"].where(frame["relapse_date"] >= frame["hsct_date"])
        return _candidate(frame, after, code, desc, "follow_up", "relapse_date")

    def grade_event(frame: pd.DataFrame, column: str, date: str, hit: pd.Series, desc: str) -> pd.DataFrame:
        when = frame[date].where(hit & (frame[date] >= frame["hsct_date"]))
        return _candidate(frame, when, 1, desc, "transplants", date)

    add("OS_HSCT", transplanted, lambda f: [_death(f, 1, "death"), _censor(f)])
    in_cr = transplanted[in_cr_at_hsct(transplanted)]
    add("LFS_HSCT", in_cr, lambda f: [relapse(f, 1, "relapse"), _death(f, 1, "death"), _censor(f)])
    add("NRM_HSCT", in_cr, lambda f: [relapse(f, 2, "relapse (competing)"),
                                      _death(f, 1, "death without relapse"), _censor(f)])

    def competing(f: pd.DataFrame) -> list[pd.DataFrame]:
        return [relapse(f, 2, "relapse (competing)"), _death(f, 2, "death (competing)"), _censor(f)]

    if "agvhd_grade" in transplanted:
        acute = transplanted[transplanted["agvhd_grade"].notna()]
        for paramcd, lowest, label in (("AGVHD_II_IV", 2, "II-IV"), ("AGVHD_III_IV", 3, "III-IV")):
            add(paramcd, acute, lambda f, lowest=lowest, label=label: [
                grade_event(f, "agvhd_grade", "agvhd_date", f["agvhd_grade"].astype(float) >= lowest,
                            f"acute GVHD grade {label}"), *competing(f)])
    if "cgvhd" in transplanted:
        chronic = transplanted[transplanted["cgvhd"].notna()]
        add("CGVHD", chronic, lambda f: [
            grade_event(f, "cgvhd", "cgvhd_date", f["cgvhd"] != "none", "chronic GVHD"), *competing(f)])
    if "agvhd_grade" in transplanted and "cgvhd" in transplanted:
        both = in_cr[in_cr["agvhd_grade"].notna() & in_cr["cgvhd"].notna()]
        add("GRFS", both, lambda f: [
            grade_event(f, "agvhd_grade", "agvhd_date", f["agvhd_grade"].astype(float) >= 3,
                        "acute GVHD grade III-IV"),
            grade_event(f, "cgvhd", "cgvhd_date", f["cgvhd"].isin(CGVHD_GRFS_LEVELS),
                        "chronic GVHD moderate or severe (proxy for systemic treatment)"),
            relapse(f, 1, "relapse"), _death(f, 1, "death"), _censor(f)])
    return out
