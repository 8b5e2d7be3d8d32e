"""Hand-worked checks of adrs (derive_adrs, best_response) and of the GRFS candidates of hsct_candidates.

Every expected value is worked out by hand in the comments from the definitions in the module
docstrings (response window [first dose, first dose + window_days], ending strictly before a
post-InO HSCT; best response = highest rank, then earliest date).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ino_study.endpoints.adrs import best_response, derive_adrs
from ino_study.endpoints.definitions import EndpointRules
from ino_study.endpoints.hsct import hsct_candidates

RULES = EndpointRules(cutoff_date=dt.date(2022, 12, 31))  # window_days 180, window ends at HSCT
DAY0 = pd.Timestamp("2020-01-01")


def day(n: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def test_derive_adrs_window_status_and_labels_then_best_response_by_hand():
    # P1: first dose day 0, HSCT day 30, baseline 60% blasts. P2: first dose day 0, no HSCT.
    base = pd.DataFrame({"patient_id": ["P1", "P2"], "first_dose_date": [day(0), day(0)],
                         "hsct_date": [day(30), pd.NaT], "baseline_blasts_pct": [60.0, 60.0]})
    rows = [  # patient, day, blasts, anc, platelets, mrd %, qualifier, status
        ("P1", -1, 50.0, 0.1, 10.0, 0.5, "=", "measured"),   # ADY -1: before the first dose, out
        ("P1", 0, 40.0, 0.1, 10.0, None, None, "not done"),  # ADY 0: first day, in; NR (M3)
        ("P1", 28, 1.0, 2.0, 150.0, 0.5, "=", "measured"),   # CR, MRD 0.5% >= 0.01% positive, in
        ("P1", 30, 1.0, 2.0, 150.0, 0.001, "=", "measured"),  # on the HSCT day: out (strictly before)
        ("P2", 10, 10.0, 0.1, 10.0, None, None, "not done"),  # M2, 10 <= 60/2: PR, in
        ("P2", 20, 30.0, 0.1, 10.0, None, None, "not done"),  # M3: NR, in
        ("P2", 180, 2.0, 0.1, 10.0, 0.001, "=", "measured"),  # ADY 180 = window_days: in; CRi, MRD-neg
        ("P2", 181, 1.0, 2.0, 150.0, 0.001, "=", "measured"),  # ADY 181: out
    ]
    assessments = pd.DataFrame(
        [{"patient_id": p, "date": day(d), "marrow_blasts_pct": b, "anc_10e9_l": a, "platelets_10e9_l": pl,
          "mrd_percent": m, "mrd_qualifier": q, "mrd_status": s, "source_row": i}
         for i, (p, d, b, a, pl, m, q, s) in enumerate(rows, start=2)])
    adrs = derive_adrs(assessments, base, RULES)
    assert adrs["ADY"].tolist() == [-1, 0, 28, 30, 10, 20, 180, 181]
    assert adrs["in_response_window"].tolist() == [False, True, True, False, True, True, True, False]
    # M1 < 5%, M2 5% to < 25%, M3 >= 25%
    assert adrs["marrow_status"].tolist() == ["M3", "M3", "M1", "M1", "M2", "M3", "M1", "M1"]
    assert adrs["AVALC"].tolist() == ["NR", "NR", "CR", "CR", "PR", "NR", "CRi", "CR"]
    assert adrs["PARAMCD"].tolist() == ["RSP"] * 8
    assert adrs["PARAM"].tolist() == ["Marrow response at assessment"] * 8
    # the optional MRD method columns, absent from these assessments, are not recorded (missing)
    assert adrs["mrd_method"].isna().all() and adrs["mrd_detection_limit_pct"].isna().all()

    # patient_ids with a non-default index: the result is indexed 0..n-1 and has no extra column
    ids = pd.Series(["P2", "P1", "P3"], index=[7, 8, 9])
    out = best_response(adrs, ids)
    assert list(out.columns) == ["patient_id", "best_response", "best_response_date", "first_remission_date",
                                 "first_mrd_negative_date", "mrd_evaluations", "evaluable", "responder",
                                 "mrd_negative"]
    assert out.index.tolist() == [0, 1, 2]
    assert out["patient_id"].tolist() == ["P2", "P1", "P3"]
    # P2 in window: PR (day 10), NR (day 20), CRi (day 180) -> best CRi on day 180.
    # P1 in window: NR (day 0), CR (day 28) -> best CR on day 28. P3: no assessment, not evaluable.
    assert out["best_response"].tolist()[:2] == ["CRi", "CR"] and pd.isna(out["best_response"].iloc[2])
    assert out["best_response_date"].tolist()[:2] == [day(180), day(28)]
    assert pd.isna(out["best_response_date"].iloc[2])
    assert out["evaluable"].tolist() == [True, True, False]
    assert out["responder"].tolist() == [True, True, False]
    # MRD results counted only in the window: P2 day 180 (negative) -> 1 (day 181 is out);
    # P1 day 28 (positive) -> 1 (day -1 and day 30 are out; day 0 not done); P3 none.
    assert out["mrd_evaluations"].tolist() == [1, 1, 0]
    assert out["first_mrd_negative_date"].iloc[0] == day(180)
    assert pd.isna(out["first_mrd_negative_date"].iloc[1]) and pd.isna(out["first_mrd_negative_date"].iloc[2])
    assert out["mrd_negative"].tolist() == [True, False, False]
    assert out["first_remission_date"].tolist()[:2] == [day(180), day(28)]


def test_grfs_candidates_name_and_code_each_event_by_hand():
    # three patients in CR at HSCT (day 31), no acute GVHD: A relapses on day 121, B dies on day 152,
    # C has moderate chronic GVHD on day 91; GRFS takes each as an event (code 1) with its description.
    hsct = pd.Timestamp("2020-02-01")
    frame = pd.DataFrame({
        "patient_id": ["A", "B", "C"], "_patient": [0, 1, 2], "hsct_date": [hsct] * 3,
        "responder": [True] * 3,
        "relapse_date": [pd.Timestamp("2020-05-01"), pd.NaT, pd.NaT],
        "death_date": [pd.NaT, pd.Timestamp("2020-06-01"), pd.NaT],
        "last_contact_date": [pd.Timestamp("2020-12-01")] * 3, "agvhd_grade": [0, 0, 0],
        "agvhd_date": [pd.NaT] * 3,
        "cgvhd": ["none", "none", "moderate"], "cgvhd_date": [pd.NaT, pd.NaT, pd.Timestamp("2020-04-01")]})
    rows, _ = hsct_candidates(frame)["GRFS"]
    assert rows["patient_id"].tolist() == ["A", "B", "C"]
    assert rows["ADT"].tolist() == [pd.Timestamp("2020-05-01"), pd.Timestamp("2020-06-01"),
                                    pd.Timestamp("2020-04-01")]
    assert rows["EVNTCD"].tolist() == [1, 1, 1]
    assert rows["EVNTDESC"].tolist() == ["relapse", "death",
                                         "chronic GVHD moderate or severe (proxy for systemic treatment)"]
