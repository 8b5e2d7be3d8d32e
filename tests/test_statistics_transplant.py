"""Validation of ino_study.statistics.transplant_analyses.

Sources:
[HAND]   Mini cohorts worked out by hand in the docstrings (who is kept at the landmark and in which
         group, Kaplan-Meier, log-rank O - E and hypergeometric variance, counting-process rows, Efron
         partial-likelihood score equations solved in closed form, Aalen-Johansen products).
[LIFELINES] lifelines ``CoxTimeVaryingFitter`` through comparisons.cox_time_varying (Efron ties, the
         same model as R ``coxph(Surv(start, stop, event) ~ x)``) on random cohorts with ties: a second
         check. The external reference is R's printed ``coxph(Surv(start, stop, event) ~ x)`` on
         Therneau & Grambsch's counting-process data set 2 (tests/test_r_references.py, [R-TEST2]),
         for cox_binary_counting_process and cox_time_varying alike; the competing-risks estimates
         are checked against R's printed ``cmprsk::cuminc`` there too ([R-BMT]).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2 as chi2_dist

from conftest import days_after
from ino_study.endpoints.definitions import DAYS_PER_MONTH
from ino_study.statistics.comparisons import cox_time_varying, split_at_exposure
from ino_study.statistics.transplant_analyses import (
    CIF_CURVE_COLUMNS,
    CIF_TABLE_COLUMNS,
    COX_TV_COLUMNS,
    LANDMARK_COLUMNS,
    NAIVE_NOTE,
    cox_binary_counting_process,
    cumulative_incidence_curves,
    cumulative_incidence_table,
    hsct_counting_process_rows,
    landmark_table,
    naive_hsct_comparison,
    time_varying_hsct_cox,
)

DAY0 = pd.Timestamp("2020-01-01")
Z95 = 1.959963984540054


def make_cohort(patients: list[tuple], paramcd: str = "OS") -> tuple[pd.DataFrame, pd.DataFrame]:
    """patients: (patient_id, days, event 0/1, hsct_day or None) -> (adtte, adsl); first dose on DAY0."""
    ids = [p[0] for p in patients]
    days = np.array([p[1] for p in patients], dtype=int)
    event = np.array([p[2] for p in patients], dtype=int)
    hsct = pd.Series([DAY0 + pd.Timedelta(days=p[3]) if p[3] is not None else pd.NaT for p in patients],
                     dtype="datetime64[ns]")
    adsl = pd.DataFrame({"patient_id": ids, "included": True, "first_dose_date": DAY0,
                         "hsct_after_ino": hsct.notna().to_numpy(), "hsct_date": hsct})
    adtte = pd.DataFrame({"patient_id": ids, "PARAMCD": paramcd, "STARTDT": DAY0,
                          "ADT": DAY0 + pd.to_timedelta(days, unit="D"), "AVAL_DAYS": days,
                          "AVAL": days / DAYS_PER_MONTH, "CNSR": 1 - event, "EVNTCD": event})
    return adtte, adsl


# six patients for the landmark at day 60
SIX = [
    ("P1", 30, 1, None),   # dies day 30 -> excluded (not alive at the landmark)
    ("P2", 60, 0, None),   # censored on day 60 -> excluded (OS time must be > 60)
    ("P3", 200, 1, 45),    # HSCT day 45 -> "yes"; dies 140 days after the landmark
    ("P4", 400, 0, 60),    # HSCT on the landmark day -> "yes"; censored 340 days after
    ("P5", 150, 1, 90),    # HSCT day 90 is after the landmark -> "no"; dies 90 days after
    ("P6", 300, 1, None),  # never transplanted -> "no"; dies 240 days after
]


def test_landmark_who_is_kept_and_grouped_by_hand():
    """[HAND] L = 60: kept P3, P4 (yes) and P5, P6 (no).  Times after L (days): yes 140 (death),
    340 (censored); no 90 (death), 240 (death).
    KM yes: 3 mo (91.3 d) S = 1, n_risk 2; 6 mo (182.6 d) S = 1/2, n_risk 1; 12 mo: beyond 340 d -> NaN.
    KM no:  3 mo S = 1/2 (death at 90 d), n_risk 1; 6 mo S = 1/2, n_risk 1; 12 mo beyond 240 d -> NaN.
    Log-rank, pooled event times 90 (no), 140 (yes), 240 (no):
      at 90:  n = 4 (2 no, 2 yes)  E_no = 1/2  V = 2*2*1*3/(16*3) = 1/4
      at 140: n = 3 (1 no, 2 yes)  E_no = 1/3  V = 1*2*1*2/(9*2)  = 2/9
      at 240: n = 2 (1 no, 1 yes)  E_no = 1/2  V = 1*1*1*1/(4*1)  = 1/4
      O_no - E_no = 2 - 4/3 = 2/3, V = 13/18, chi2 = (4/9)/(13/18) = 8/13.
    """
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl, [60], [3, 6, 12])
    assert list(out.columns) == LANDMARK_COLUMNS
    assert out["group"].tolist() == ["no"] * 3 + ["yes"] * 3
    assert out["n"].tolist() == [2] * 6 and out["events"].tolist() == [2] * 3 + [1] * 3
    assert out["time_months_after_landmark"].tolist() == [3, 6, 12] * 2
    assert out["n_risk"].tolist() == [1, 1, 0, 2, 1, 0]
    np.testing.assert_allclose(out["survival"], [0.5, 0.5, np.nan, 1.0, 0.5, np.nan])
    # plain Greenwood CI at S = 1/2 (n = 2, d = 1): 0.5 -/+ 1.96 * 0.5 * sqrt(1/2), clipped to [0, 1]
    assert out["ci_lower"].iloc[0] == 0 and out["ci_upper"].iloc[0] == 1
    assert out["ci_lower"].iloc[3] == 1 and out["ci_upper"].iloc[3] == 1
    assert out["logrank_chi2"].unique() == pytest.approx([8 / 13])
    assert out["logrank_p"].iloc[0] == pytest.approx(chi2_dist.sf(8 / 13, 1))


def test_landmark_several_landmarks_sorted_and_group_changes():
    """[HAND] L = 0: nobody transplanted by day 0 -> all 6 in "no", "yes" empty (NaN, no test).
    L = 150: P5 (OS 150) leaves; P3 (HSCT 45), P4 (HSCT 60) "yes"; P6 "no"."""
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl, [150, 0, 60, 60], [1])
    assert out["landmark_days"].tolist() == [0, 0, 60, 60, 150, 150]
    assert out["n"].tolist() == [6, 0, 2, 2, 1, 2]
    empty = out.iloc[1]
    assert empty["n_risk"] == 0 and math.isnan(empty["survival"]) and math.isnan(empty["logrank_chi2"])
    assert out.iloc[0]["survival"] == pytest.approx(5 / 6)  # P1 dies on day 30 (< 1 month)


def test_counting_process_rows_by_hand():
    """[HAND] HSCT on day 30 splits P1 (dies day 100) into (0, 30] no event hsct 0 and (30, 100]
    event hsct 1; HSCT on the death day (P2) or none (P3) leaves one unexposed row; HSCT on day 0
    (P4) gives one exposed row."""
    adtte, adsl = make_cohort([("P1", 100, 1, 30), ("P2", 80, 1, 80), ("P3", 50, 0, None), ("P4", 70, 1, 0)])
    rows = hsct_counting_process_rows(adtte, adsl, "OS")
    assert rows.to_dict("records") == [
        {"patient_id": "P1", "start": 0.0, "stop": 30.0, "event": 0, "hsct": 0},
        {"patient_id": "P1", "start": 30.0, "stop": 100.0, "event": 1, "hsct": 1},
        {"patient_id": "P2", "start": 0.0, "stop": 80.0, "event": 1, "hsct": 0},
        {"patient_id": "P3", "start": 0.0, "stop": 50.0, "event": 0, "hsct": 0},
        {"patient_id": "P4", "start": 0.0, "stop": 70.0, "event": 1, "hsct": 1},
    ]


def test_time_varying_cox_closed_form_by_hand():
    """[HAND] A: HSCT day 30, dies day 100; B: dies day 50; C: censored day 200.
    Event at 50 (B, unexposed): at risk A's (30, 100] (exposed), B, C -> r1 = 1, r0 = 2.
    Event at 100 (A, exposed): at risk A, C -> r1 = 1, r0 = 1.
    Score U(b) = [0 - e/(e + 2)] + [1 - e/(e + 1)] = 0  <=>  e^2 = 2, b = log(2)/2.
    Information = p1 (1 - p1) + p2 (1 - p2), p1 = e/(e + 2), p2 = e/(e + 1)."""
    adtte, adsl = make_cohort([("A", 100, 1, 30), ("B", 50, 1, None), ("C", 200, 0, None)])
    out = time_varying_hsct_cox(adtte, adsl)
    assert list(out.columns) == COX_TV_COLUMNS
    row = out.iloc[0]
    e = math.sqrt(2)
    p1, p2 = e / (e + 2), e / (e + 1)
    se = 1 / math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    assert row["covariate"] == "hsct"
    assert row["coef"] == pytest.approx(math.log(2) / 2, abs=1e-10)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert row["hr"] == pytest.approx(e)
    assert row["hr_ci_lower"] == pytest.approx(e * math.exp(-Z95 * se))
    assert row["p_value"] == pytest.approx(math.erfc(math.log(2) / 2 / se / math.sqrt(2)))  # 2(1 - Phi(z))
    assert (row["n_patients"], row["n_events"], row["n_rows"]) == (3, 2, 4)
    assert "events per variable" in row["note"]


def test_immortal_time_naive_vs_time_varying_by_hand():
    """[HAND] As above but A is transplanted on day 60, after B's death on day 50.
    Time-varying: at 50 A is still unexposed (r1 = 0), at 100 the only event is exposed ->
    U(b) = 1/(e + 1) > 0 for every b: monotone likelihood, no finite HR (note).
    Naive (A exposed from day 0): the risk sets are those of the previous test -> HR = sqrt(2),
    the time A had to survive to be transplanted is credited to the HSCT group."""
    adtte, adsl = make_cohort([("A", 100, 1, 60), ("B", 50, 1, None), ("C", 200, 0, None)])
    tv = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert math.isnan(tv["coef"]) and "monotone likelihood" in tv["note"]
    naive = naive_hsct_comparison(adtte, adsl)
    assert list(naive.columns) == COX_TV_COLUMNS
    row = naive.iloc[0]
    assert row["covariate"] == "hsct_ever" and "immortal" in row["analysis"] and "Biased" in row["note"]
    assert row["hr"] == pytest.approx(math.sqrt(2))
    assert (row["n_patients"], row["n_events"], row["n_rows"]) == (3, 2, 3)


def test_efron_ties_symmetric_by_hand():
    """[HAND] One exposed and one unexposed death tied at t = 10, two of each at risk:
    Efron terms p_0 = 2e/(2e + 2), p_1 = 1.5e/(1.5e + 1.5) -> U = 1 - 2e/(e + 1) = 0 at b = 0;
    information = 1/4 + 1/4 -> se = sqrt(2)."""
    fit = cox_binary_counting_process([0, 0, 0, 0], [10, 10, 20, 20], [1, 1, 0, 0], [1, 0, 1, 0])
    assert fit["coef"] == pytest.approx(0, abs=1e-12)
    assert fit["se"] == pytest.approx(math.sqrt(2))


def test_cox_binary_matches_lifelines_time_varying_on_random_cohorts():
    """[LIFELINES] same model as cox_time_varying (lifelines stops at a looser tolerance: ~1e-7)."""
    rng = np.random.default_rng(42)
    checked = 0
    for _ in range(8):
        n = int(rng.integers(30, 200))
        days = rng.integers(1, int(rng.integers(10, 200)), n).astype(float)  # many ties
        event = (rng.random(n) < 0.6).astype(int)
        hsct = np.where(rng.random(n) < 0.5, rng.integers(0, 100, n), np.nan)
        rows = split_at_exposure(np.arange(n), days, event, hsct)
        ours = cox_binary_counting_process(rows["start"], rows["stop"], rows["event"], rows["exposed"])
        ref = cox_time_varying(rows["start"], rows["stop"], rows["event"], rows["exposed"],
                               rows["id"]).iloc[0]
        assert ours["coef"] == pytest.approx(ref["coef"], abs=1e-6)
        assert ours["se"] == pytest.approx(ref["se"], rel=1e-5)
        assert ours["p_value"] == pytest.approx(ref["p_value"], abs=1e-5)
        assert ours["n_events"] == ref["n_events"] and ours["n_rows"] == ref["n"]
        checked += 1
    assert checked == 8


def test_cox_binary_bad_input():
    with pytest.raises(ValueError):
        cox_binary_counting_process([0, 5], [5, 5], [1, 0], [0, 1])  # start >= stop
    with pytest.raises(ValueError):
        cox_binary_counting_process([0], [5], [1], [2])


# ---- competing risks --------------------------------------------------------------------------------------

def rel_cohort() -> pd.DataFrame:
    """Five responders, months: 1 relapse, 2 death in remission, 3 censored, 4 relapse, 5 censored."""
    aval = [1.0, 2.0, 3.0, 4.0, 5.0]
    code = [1, 2, 0, 1, 0]
    return pd.DataFrame({"patient_id": [f"R{i}" for i in range(5)], "PARAMCD": "REL", "AVAL": aval,
                         "CNSR": [int(c != 1) for c in code], "EVNTCD": code})


def test_cumulative_incidence_table_by_hand():
    """[HAND] t=1: n=5, relapse -> F_rel = 1/5, S = 4/5; t=2: n=4, death -> F_nrm = 4/5 * 1/4 = 1/5,
    S = 3/5; t=3 censored; t=4: n=2, relapse -> F_rel = 1/5 + 3/5 * 1/2 = 1/2.
    At 0.5, 2, 4.5, 6 months: n_risk 5, 4, 1, 0; 6 months is after the last follow-up (5) -> NaN."""
    out = cumulative_incidence_table(rel_cohort(), "REL", [6, 0.5, 2, 4.5])
    assert list(out.columns) == CIF_TABLE_COLUMNS
    assert out["cause"].tolist() == ["relapse"] * 4 + ["non-relapse mortality"] * 4
    assert out["time_months"].tolist() == [0.5, 2, 4.5, 6] * 2
    assert out["n_risk"].tolist() == [5, 4, 1, 0] * 2
    np.testing.assert_allclose(out["estimate"], [0, 0.2, 0.5, np.nan, 0, 0.2, 0.2, np.nan])
    assert out["std_err"].iloc[0] == 0 and out["std_err"].iloc[1] > 0
    assert (out["endpoint"] == "REL").all()


def test_cumulative_incidence_vod_labels_and_empty():
    adtte = rel_cohort().assign(PARAMCD="VOD")
    out = cumulative_incidence_table(adtte, "VOD", [2])
    assert out["cause"].tolist() == ["VOD/SOS", "death without VOD/SOS"]
    empty = cumulative_incidence_table(rel_cohort(), "VOD", [2])
    assert empty.empty and list(empty.columns) == CIF_TABLE_COLUMNS
    curves = cumulative_incidence_curves(rel_cohort(), "VOD")
    assert curves.empty and list(curves.columns) == CIF_CURVE_COLUMNS
    with pytest.raises(ValueError):
        cumulative_incidence_table(rel_cohort(), "OS", [2])


def test_cumulative_incidence_curves_step_points():
    out = cumulative_incidence_curves(rel_cohort(), "REL")
    assert list(out.columns) == CIF_CURVE_COLUMNS
    rel = out[out["cause"] == "relapse"]
    assert rel["time_months"].tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(rel["estimate"], [0, 0.2, 0.2, 0.2, 0.5, 0.5])
    assert rel["ci_lower"].iloc[0] == 0 and rel["ci_upper"].iloc[0] == 0
    nrm = out[out["cause"] == "non-relapse mortality"]
    np.testing.assert_allclose(nrm["estimate"], [0, 0, 0.2, 0.2, 0.2, 0.2])


# ---- edge cases -------------------------------------------------------------------------------------------

def test_no_transplanted_patients():
    adtte, adsl = make_cohort([(f"P{i}", 10 * (i + 1), i % 2, None) for i in range(6)])
    lm = landmark_table(adtte, adsl, [5], [1])
    assert lm["n"].tolist() == [6, 0] and lm["logrank_chi2"].isna().all()
    tv = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert math.isnan(tv["hr"]) and tv["note"] and tv["n_events"] == 3 and tv["n_rows"] == 6
    assert math.isnan(naive_hsct_comparison(adtte, adsl)["hr"].iloc[0])


def test_no_events():
    adtte, adsl = make_cohort([("A", 100, 0, 30), ("B", 50, 0, None), ("C", 200, 0, 10)])
    lm = landmark_table(adtte, adsl, [40], [0.1, 0.3])  # B: 10 days = 0.33 months after the landmark
    assert lm["survival"].tolist() == [1.0] * 4 and lm["events"].sum() == 0
    assert lm["logrank_p"].isna().all()
    tv = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert math.isnan(tv["coef"]) and tv["note"] == "no events: no model" and tv["n_rows"] == 5
    cif = cumulative_incidence_table(rel_cohort().assign(EVNTCD=0, CNSR=1), "REL", [1, 3])
    assert (cif["estimate"] == 0).all() and (cif["std_err"] == 0).all()


def test_single_patient():
    adtte, adsl = make_cohort([("A", 100, 1, 30)])
    lm = landmark_table(adtte, adsl, [60], [1, 6])
    assert lm["n"].tolist() == [0, 0, 1, 1] and lm["survival"].iloc[2] == 1.0
    assert math.isnan(lm["survival"].iloc[3])  # 6 months after day 60 is beyond day 100
    tv = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert math.isnan(tv["coef"]) and (tv["n_patients"], tv["n_rows"], tv["n_events"]) == (1, 2, 1)
    one = pd.DataFrame({"patient_id": ["A"], "PARAMCD": ["VOD"], "AVAL": [2.0], "CNSR": [0], "EVNTCD": [1]})
    out = cumulative_incidence_table(one, "VOD", [1, 2])
    assert out["estimate"].tolist() == [0, 1, 0, 0]
    assert len(cumulative_incidence_curves(one, "VOD")) == 4


def test_no_patients_and_day_zero_events():
    adtte, adsl = make_cohort([("A", 0, 1, None), ("B", 0, 0, None), ("C", 20, 1, 5), ("D", 30, 1, None)])
    tv = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert tv["n_rows"] == 5 and tv["n_events"] == 3
    empty = time_varying_hsct_cox(adtte.iloc[:0], adsl).iloc[0]
    assert empty["n_patients"] == 0 and empty["note"] == "no patients: no model"
    assert landmark_table(adtte.iloc[:0], adsl, [10], [1])["n"].tolist() == [0, 0]
    with pytest.raises(ValueError):
        time_varying_hsct_cox(adtte, adsl, endpoint="VOD")


def test_deterministic_and_independent_of_row_order():
    adtte, adsl = make_cohort(SIX)
    shuffled_tte = adtte.sample(frac=1, random_state=3).reset_index(drop=True)
    shuffled_sl = adsl.sample(frac=1, random_state=4).reset_index(drop=True)
    pd.testing.assert_frame_equal(landmark_table(adtte, adsl, [60, 30], [3, 6]),
                                  landmark_table(shuffled_tte, shuffled_sl, [30, 60], [6, 3]))
    pd.testing.assert_frame_equal(time_varying_hsct_cox(adtte, adsl),
                                  time_varying_hsct_cox(shuffled_tte, shuffled_sl))


# ---- scale ------------------------------------------------------------------------------------------------

def big_cohort(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.arange(n).astype(str))
    os_days = rng.integers(0, 2500, n)
    dead = (rng.random(n) < 0.45).astype(int)
    hsct_day = rng.integers(20, 250, n).astype(float)
    hsct_day[(rng.random(n) < 0.55) | (hsct_day >= os_days)] = np.nan
    hsct = pd.Series(days_after(DAY0, hsct_day))
    adsl = pd.DataFrame({"patient_id": ids, "included": True, "first_dose_date": DAY0,
                         "hsct_after_ino": ~np.isnan(hsct_day), "hsct_date": hsct})
    resp = rng.random(n) < 0.7
    rel_days = np.minimum(os_days, rng.integers(0, 3000, n))
    rel_code = np.where(rel_days < os_days, 1, np.where(dead == 1, 2, 0))
    tx = ~np.isnan(hsct_day)
    vod_days = (os_days - np.nan_to_num(hsct_day)).astype(int)
    vod_code = np.where(rng.random(n) < 0.1, 1, np.where(dead == 1, 2, 0))

    def rows(code, sel, days, evnt):
        return pd.DataFrame({"patient_id": ids[sel], "PARAMCD": code, "AVAL_DAYS": days[sel],
                             "AVAL": days[sel] / DAYS_PER_MONTH, "CNSR": (evnt[sel] != 1).astype(int),
                             "EVNTCD": evnt[sel]})
    adtte = pd.concat([rows("OS", np.ones(n, bool), os_days, dead), rows("REL", resp, rel_days, rel_code),
                       rows("VOD", tx, vod_days, vod_code)], ignore_index=True)
    return adtte, adsl


@pytest.mark.slow
def test_hundred_thousand_patients():
    """All analyses on 100,000 patients (2,500 distinct days): measured ~3-4 s in total, dominated by
    km_fit in the landmark table; lifelines CoxTimeVaryingFitter alone took ~85 s here."""
    adtte, adsl = big_cohort(100_000)
    lm = landmark_table(adtte, adsl, [30, 100], [6, 12, 24])
    tv = time_varying_hsct_cox(adtte, adsl)
    naive = naive_hsct_comparison(adtte, adsl)
    for endpoint in ("REL", "VOD"):
        assert len(cumulative_incidence_table(adtte, endpoint, [6, 12, 24])) == 6
        assert len(cumulative_incidence_curves(adtte, endpoint)) > 1000
    assert lm["n"].groupby(lm["landmark_days"]).max().min() > 50_000
    # HSCT simulated independently of survival: the time-varying HR is null, the naive HR is biased
    assert 0.95 < tv["hr"].iloc[0] < 1.05 and tv["n_rows"].iloc[0] > 100_000
    assert naive["hr"].iloc[0] < 0.95 and naive["p_value"].iloc[0] < 1e-6


def test_cox_binary_bad_input_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="1-d of equal length"):
        cox_binary_counting_process([0, 0], [5, 6], [1, 0], [0])
    with pytest.raises(ValueError, match="1-d of equal length"):
        cox_binary_counting_process([[0]], [[5]], [[1]], [[0]])
    with pytest.raises(ValueError, match="coded 0/1"):
        cox_binary_counting_process([0], [5], [2], [0])
    with pytest.raises(ValueError, match="start < stop"):
        cox_binary_counting_process([0, 5], [5, 5], [1, 0], [0, 1])


@pytest.mark.parametrize("exposed_dies_alone", [True, False])
def test_cox_binary_death_with_only_its_own_group_at_risk_gives_no_hr(exposed_dies_alone):
    """[HAND] Two rows from day 0: one dies on day 10 with the other at risk; the other dies on day 20,
    alone at risk, a term e^b / e^b = 1 carrying no information. The likelihood is that of day 10
    only, monotone in b (R coxph: "coefficient may be infinite"): no HR, and the note says why."""
    x = [0, 1] if exposed_dies_alone else [1, 0]
    fit = cox_binary_counting_process([0, 0], [10, 20], [1, 1], x)
    assert math.isnan(fit["coef"]) and math.isnan(fit["hr"])
    assert fit["note"] == ("HR not estimable: monotone likelihood (no events in one exposure group while the "
                           "other is at risk, or no exposure contrast)")
    assert (fit["n_rows"], fit["n_events"]) == (2, 2)


def test_cox_binary_fitted_model_has_an_empty_note():
    """The symmetric tie of test_efron_ties_symmetric_by_hand: a model, so no note (empty text)."""
    fit = cox_binary_counting_process([0, 0, 0, 0], [10, 10, 20, 20], [1, 1, 0, 0], [1, 0, 1, 0])
    assert fit["note"] == ""


def test_landmark_log_rank_with_a_single_event_after_the_landmark():
    """[HAND] L = 30: A (no HSCT) dies on day 100, B (HSCT day 10, "yes") censored on day 200. One
    event (70 days after L) with both at risk: O_no = 1, E_no = 1/2, V = 1*1*1*1/(2^2*1) = 1/4,
    chi2 = (1/2)^2 / (1/4) = 1; p = 0.3173105 (R: pchisq(1, 1, lower.tail = FALSE))."""
    adtte, adsl = make_cohort([("A", 100, 1, None), ("B", 200, 0, 10)])
    out = landmark_table(adtte, adsl, [30], [1])
    assert out["logrank_chi2"].tolist() == pytest.approx([1.0, 1.0])
    assert out["logrank_p"].tolist() == pytest.approx([0.3173105, 0.3173105], abs=5e-8)


def test_landmark_without_any_test_reports_nan_statistics():
    """L = 0 only: nobody transplanted by day 0, one group -> no log-rank test; NaN (a number), not empty."""
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl, [0], [1])
    assert out["logrank_chi2"].dtype == float and out["logrank_p"].dtype == float
    assert out["logrank_chi2"].isna().all() and out["logrank_p"].isna().all()


def test_landmark_without_landmarks_is_an_empty_table_with_its_columns():
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl, [], [6])
    assert out.empty and list(out.columns) == LANDMARK_COLUMNS


def test_landmark_log_confidence_interval_by_hand():
    """[HAND] SIX at L = 60, group "yes" at 6 months: S = 1/2 (n = 2, d = 1), Greenwood
    var(log S) = d / (n (n - d)) = 1/2; conf_type "log" (R survfit's default): lower
    0.5 exp(-1.96 sqrt(1/2)) = 0.12505, upper clipped to 1 (the plain interval's lower is 0)."""
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl, [60], [6], conf_type="log").set_index("group")
    assert out.loc["yes", "survival"] == 0.5
    assert out.loc["yes", "ci_lower"] == pytest.approx(0.5 * math.exp(-Z95 * math.sqrt(0.5)), rel=1e-12)
    assert out.loc["yes", "ci_upper"] == 1


def test_landmark_times_are_float_for_integer_timepoints():
    """A config giving whole months (6, 12) writes the same table as 6.0, 12.0."""
    adtte, adsl = make_cohort(SIX)
    whole, decimal = landmark_table(adtte, adsl, [60], [6, 12]), landmark_table(adtte, adsl, [60], [6.0, 12.0])
    assert whole["time_months_after_landmark"].dtype == float
    pd.testing.assert_frame_equal(whole, decimal)


def test_landmark_from_months_when_days_are_not_given():
    """Without AVAL_DAYS the days are AVAL * 30.4375 rounded (SIX's AVAL = days / 30.4375): the same
    table as from the days themselves (checked by hand in test_landmark_who_is_kept_and_grouped_by_hand)."""
    adtte, adsl = make_cohort(SIX)
    pd.testing.assert_frame_equal(landmark_table(adtte.drop(columns=["AVAL_DAYS"]), adsl, [60], [3, 6, 12]),
                                  landmark_table(adtte, adsl, [60], [3, 6, 12]))


def test_landmark_patient_missing_from_adsl_counts_as_not_transplanted():
    """P3 (HSCT day 45, "yes" at L = 60) has no adsl row: kept, in "no" (3 patients), not dropped."""
    adtte, adsl = make_cohort(SIX)
    out = landmark_table(adtte, adsl[adsl["patient_id"] != "P3"], [60], [3]).set_index("group")
    assert out.loc["no", "n"] == 3 and out.loc["yes", "n"] == 1


def test_cox_binary_far_from_zero_reaches_the_maximum():
    """[HAND] HR ~ 800: 20 exposed rows die on days 1..20, one unexposed on day 19.5, 199 unexposed
    censored on day 100 (all from day 0, no ties). Newton's first step from 0 overshoots and must be
    halved. The score sum_j [d1_j - r1_j e^b / (r1_j e^b + r0_j)] over the event times, with the
    risk sets counted here by hand, is solved with brentq: the fit must stop at that root."""
    from scipy.optimize import brentq

    stop = [*range(1, 21), 19.5, *[100] * 199]
    event = [1] * 21 + [0] * 199
    x = [1] * 20 + [0] * 200
    # day k = 1..20: 21 - k exposed and 200 unexposed at risk (199 after day 19.5); day 19.5: 1 and 200
    terms = [(21 - k, 200 if k <= 19 else 199, 1) for k in range(1, 21)] + [(1, 200, 0)]  # (r1, r0, d1)

    def score(b):
        return sum(d1 - r1 * math.exp(b) / (r1 * math.exp(b) + r0) for r1, r0, d1 in terms)

    root = brentq(score, 0, 20, xtol=1e-14)
    fit = cox_binary_counting_process([0] * 220, stop, event, x)
    assert root > 6
    assert fit["coef"] == pytest.approx(root, abs=1e-9)
    info = sum(r1 * math.exp(root) * r0 / (r1 * math.exp(root) + r0) ** 2 for r1, r0, _ in terms)
    assert fit["se"] == pytest.approx(1 / math.sqrt(info), rel=1e-9)


def test_naive_comparison_refuses_an_endpoint_not_timed_from_the_first_dose():
    adtte, adsl = make_cohort(SIX, paramcd="VOD")
    with pytest.raises(ValueError, match="needs an endpoint from the first dose"):
        naive_hsct_comparison(adtte, adsl, "VOD")


def test_naive_comparison_without_patients_says_so():
    adtte, adsl = make_cohort(SIX)
    row = naive_hsct_comparison(adtte.iloc[:0], adsl).iloc[0]
    assert row["endpoint"] == "OS" and row["n_patients"] == 0 and math.isnan(row["hr"])
    assert row["note"] == "no patients: no model " + NAIVE_NOTE


def test_naive_comparison_interval_at_the_requested_level():
    """[HAND] The naive model of test_immortal_time_naive_vs_time_varying_by_hand: HR e = sqrt(2),
    information e*2/(e+2)^2 + e*1/(e+1)^2; 90% interval e exp(-+ z_0.95 se)."""
    from scipy.stats import norm

    adtte, adsl = make_cohort([("A", 100, 1, 60), ("B", 50, 1, None), ("C", 200, 0, None)])
    row = naive_hsct_comparison(adtte, adsl, conf_level=0.9).iloc[0]
    e = math.sqrt(2)
    se = 1 / math.sqrt(2 * e / (e + 2) ** 2 + e / (e + 1) ** 2)
    assert row["hr_ci_lower"] == pytest.approx(e * math.exp(-norm.ppf(0.95) * se), rel=1e-9)
    assert row["hr_ci_upper"] == pytest.approx(e * math.exp(norm.ppf(0.95) * se), rel=1e-9)


def test_naive_comparison_death_on_day_zero_comes_before_day_one():
    """[HAND] A (no HSCT) dies on day 0, B (HSCT) on day 1; C (HSCT) and D (no HSCT) censored on
    day 10. Day 0 (kept as 0.5): r1 = 2, r0 = 2, unexposed death; day 1: r1 = 2, r0 = 1, exposed
    death. Score 1 - e/(e + 1) - 2e/(2e + 1) = 0  ->  1 - 2e^2 = 0  ->  HR = 1/sqrt(2)."""
    adtte, adsl = make_cohort([("A", 0, 1, None), ("B", 1, 1, 0), ("C", 10, 0, 5), ("D", 10, 0, None)])
    row = naive_hsct_comparison(adtte, adsl).iloc[0]
    assert row["hr"] == pytest.approx(1 / math.sqrt(2), rel=1e-9)


def test_transplant_refusals_give_their_full_messages():
    with pytest.raises(ValueError, match=r"^start, stop, event, covariate must be 1-d of equal length$"):
        cox_binary_counting_process([0, 0], [5, 6], [1, 0], [0])
    with pytest.raises(ValueError, match=r"^covariate and event must be coded 0/1$"):
        cox_binary_counting_process([0], [5], [2], [0])
    with pytest.raises(ValueError, match=r"^every row needs start < stop$"):
        cox_binary_counting_process([0, 5], [5, 5], [1, 0], [0, 1])
    with pytest.raises(ValueError, match=r"^competing-risks endpoint must be one of \('REL', 'VOD'\)$"):
        cumulative_incidence_table(rel_cohort(), "OS", [2])
    adtte, adsl = make_cohort([("A", 100, 1, 30)])
    with pytest.raises(ValueError, match=r"^time-varying HSCT needs an endpoint from the first dose: "
                                         r"\('OS', 'EFS', 'REL'\)$"):
        hsct_counting_process_rows(adtte, adsl, "VOD")


def test_time_varying_cox_row_names_its_endpoint_analysis_level_and_note_by_hand():
    """The closed-form cohort of test_time_varying_cox_closed_form_by_hand (b = log(2)/2), OS by default,
    with dates as text (as read from a spreadsheet), at a 90% level: hr_ci_lower = e^b exp(-1.645 se).
    Two events for one parameter: the events-per-variable warning in full."""
    adtte, adsl = make_cohort([("A", 100, 1, 30), ("B", 50, 1, None), ("C", 200, 0, None)])
    adsl = adsl.assign(first_dose_date=adsl["first_dose_date"].dt.strftime("%Y-%m-%d"),
                       hsct_date=adsl["hsct_date"].dt.strftime("%Y-%m-%d"))
    rows = hsct_counting_process_rows(adtte, adsl)
    assert rows[["patient_id", "start", "stop", "event", "hsct"]].values.tolist() == [
        ["A", 0.0, 30.0, 0, 0], ["A", 30.0, 100.0, 1, 1], ["B", 0.0, 50.0, 1, 0], ["C", 0.0, 200.0, 0, 0]]
    row = time_varying_hsct_cox(adtte, adsl, conf_level=0.9).iloc[0]
    e = math.sqrt(2)
    p1, p2 = e / (e + 2), e / (e + 1)
    se = 1 / math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    assert row["hr_ci_lower"] == pytest.approx(e * math.exp(-1.6448536269514722 * se), rel=1e-9)
    assert (row["endpoint"], row["analysis"]) == ("OS", "time-varying HSCT (counting process)")
    assert row["note"] == ("Only 2 events for 1 parameter(s) (2.0 events per variable < 10): "
                           "estimates may be unreliable.")


def test_time_varying_cox_with_enough_events_has_no_note_and_no_patients_no_counts():
    """12 deaths (days 10..120), half the patients transplanted on day 5: a fitted model with 12 events
    for one parameter, so no warning; and without patients, no rows and no events."""
    cohort = [(f"P{i:02d}", 10 * (i + 1), 1, 5 if i % 2 == 0 else None) for i in range(12)]
    adtte, adsl = make_cohort(cohort)
    row = time_varying_hsct_cox(adtte, adsl).iloc[0]
    assert not math.isnan(row["hr"]) and row["n_events"] == 12 and row["note"] == ""
    empty = time_varying_hsct_cox(adtte.iloc[:0], adsl).iloc[0]
    assert (empty["n_rows"], empty["n_events"]) == (0, 0)


def test_cumulative_incidence_curves_name_the_endpoint_and_start_once_at_zero():
    out = cumulative_incidence_curves(rel_cohort(), "REL")
    assert set(out["endpoint"]) == {"REL"}
    at_zero = rel_cohort().assign(AVAL=[0.0, 2.0, 3.0, 4.0, 5.0])  # a relapse at month 0
    rel = cumulative_incidence_curves(at_zero, "REL")
    rel = rel[rel["cause"] == "relapse"]
    assert rel["time_months"].tolist() == [0, 2, 3, 4, 5]
    assert rel["estimate"].iloc[0] == pytest.approx(0.2)  # 1 of 5 at month 0


def test_a_patient_censored_on_day_zero_is_in_no_later_risk_set():
    """As R's Surv(time, event) with time 0: a patient censored on day 0 is at risk at day 0 only (no event
    then), so adding them changes nothing, even with an event on day 1 while a patient transplanted on
    day 0 is at risk."""
    base = [("A", 100, 1, 30), ("B", 50, 1, None), ("C", 200, 0, None), ("E", 1, 1, None), ("F", 150, 1, 0)]
    without = time_varying_hsct_cox(*make_cohort(base)).iloc[0]
    with_d = time_varying_hsct_cox(*make_cohort([*base, ("D", 0, 0, None)])).iloc[0]
    assert not math.isnan(without["coef"])
    assert with_d["coef"] == pytest.approx(without["coef"], rel=1e-12)
    assert with_d["se"] == pytest.approx(without["se"], rel=1e-12)
