"""The study-level survival tables (per endpoint x group x timepoint) and the headline summary.

Reference: the Freireich 6-MP trial (Gehan 1965; R `MASS::gehan`), whose Kaplan-Meier estimate R
prints as S(10) = 0.753 (se 0.0963) and S(22) = 0.538 (se 0.1282) in the 6-MP arm, and whose
log-rank test `survdiff(Surv(time, cens) ~ treat, data = gehan)` prints Chisq = 16.8 on 1 df.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ino_study.outputs.summary import headline_rates, results_paragraph
from ino_study.statistics.survival_analysis import (
    COX_COLUMNS, SurvivalData, SurvivalSettings, cox_table, endpoint_frame, follow_up_summary, group_label,
    group_labels, logrank_table, median_survival, survival_estimates,
)

SIX_MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
          (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


@pytest.fixture()
def gehan():
    rows = [("6-MP", t, e) for t, e in SIX_MP] + [("placebo", t, e) for t, e in PLACEBO]
    adsl = pd.DataFrame({"patient_id": [f"G{i:02d}" for i in range(len(rows))], "treat": [r[0] for r in rows],
                         "prior_hsct": [r[0] == "placebo" for r in rows]})
    adtte = pd.DataFrame({"patient_id": adsl["patient_id"], "PARAMCD": "OS", "AVAL": [float(r[1]) for r in rows],
                          "CNSR": [1 - r[2] for r in rows]})
    return adsl, adtte


def test_estimates_by_group_match_r(gehan):
    adsl, adtte = gehan
    settings = SurvivalSettings(timepoints_months=(10.0, 22.0), conf_type="log", comparisons=("treat",))
    table = survival_estimates(SurvivalData(adtte, adsl, settings, ("OS",)))
    six = table[(table["group_by"] == "treat") & (table["group"] == "6-MP")].set_index("time_months")
    assert six.loc[10.0, "survival"] == pytest.approx(0.753, abs=5e-4)
    assert six.loc[10.0, "std_err"] == pytest.approx(0.0963, abs=5e-5)
    assert six.loc[22.0, "survival"] == pytest.approx(0.538, abs=5e-4)
    assert six.loc[22.0, "std_err"] == pytest.approx(0.1282, abs=5e-5)
    assert list(table["group"].unique()) == ["all", "6-MP", "placebo"]
    # at risk (time >= t) at 10: 15 in 6-MP (10, 10, 11, ... 35) + 8 placebo (11, 11, 12, 12, 15, 17, 22, 23);
    # at 22: 7 in 6-MP (22, 23, 25, 32, 32, 34, 35) + 2 placebo (22, 23)
    assert table.loc[table["group"] == "all", "n_risk"].tolist() == [15 + 8, 7 + 2]


def test_logrank_and_cox_match_r(gehan):
    adsl, adtte = gehan
    settings = SurvivalSettings(comparisons=("treat",))
    logrank = logrank_table(SurvivalData(adtte, adsl, settings, ("OS",))).iloc[0]
    assert round(logrank["chi2"], 1) == 16.8 and logrank["df"] == 1
    cox = cox_table(SurvivalData(adtte, adsl, settings, ("OS",))).iloc[0]
    # R: coxph(Surv(time, cens) ~ treat, gehan): coef 1.572, se 0.412 (placebo vs 6-MP, Efron ties)
    assert cox["coef"] == pytest.approx(1.572, abs=5e-4) and cox["se"] == pytest.approx(0.412, abs=5e-4)
    assert cox["reference"] == "6-MP" and cox["note"] == ""


def test_boolean_groups_are_labelled_and_a_single_group_gives_no_test(gehan):
    adsl, adtte = gehan
    adsl = adsl.assign(one=True)
    settings = SurvivalSettings(comparisons=("prior_hsct", "one"))
    estimates = survival_estimates(SurvivalData(adtte, adsl, settings, ("OS",)))
    assert set(estimates.loc[estimates["group_by"] == "prior_hsct", "group"]) == {"yes", "no"}
    logrank = logrank_table(SurvivalData(adtte, adsl, settings, ("OS",))).set_index("group_by")
    assert math.isnan(logrank.loc["one", "chi2"]) and "fewer than two groups" in logrank.loc["one", "note"]
    cox = cox_table(SurvivalData(adtte, adsl, settings, ("OS",))).set_index("group_by")
    assert "no model" in cox.loc["one", "note"]


def test_missing_group_values_are_shown_but_not_tested(gehan):
    adsl, adtte = gehan
    adsl = adsl.astype({"prior_hsct": object})
    adsl.loc[0, "prior_hsct"] = None
    settings = SurvivalSettings(comparisons=("prior_hsct",))
    medians = median_survival(SurvivalData(adtte, adsl, settings, ("OS",)))
    assert "missing" in set(medians["group"])
    assert logrank_table(SurvivalData(adtte, adsl, settings, ("OS",))).iloc[0]["n"] == 41


def test_median_of_the_6mp_arm(gehan):
    adsl, adtte = gehan
    settings = SurvivalSettings(conf_type="log", comparisons=("treat",))
    medians = median_survival(SurvivalData(adtte, adsl, settings, ("OS",))).set_index("group")
    # R: print(survfit(Surv(time, cens) ~ treat, gehan)): 6-MP median 23 (16, NA), control 8 (4, 12)
    assert medians.loc["6-MP", "median_months"] == 23 and medians.loc["6-MP", "ci_lower"] == 16
    assert math.isnan(medians.loc["6-MP", "ci_upper"])
    assert (medians.loc["placebo", "median_months"], medians.loc["placebo", "ci_lower"],
            medians.loc["placebo", "ci_upper"]) == (8, 4, 12)


def test_group_label():
    assert [group_label(v) for v in (True, False, None, float("nan"), "KMT2A-r")] == [
        "yes", "no", "missing", "missing", "KMT2A-r"]


@pytest.mark.parametrize("values", [
    pd.Series([True, False, None, True], dtype=object), pd.Series([True, pd.NA, False], dtype="boolean"),
    pd.Series(["b", None, float("nan"), "a"]), pd.Series([1.0, float("nan"), 2.5]), pd.Series([], dtype=object),
])
def test_group_labels_equal_group_label_per_value(values):
    assert group_labels(values).tolist() == values.map(group_label).tolist()


def test_headline_rates_state_numerator_and_denominator():
    adsl = pd.DataFrame({
        "included": [True] * 5 + [False],
        "evaluable": [True, True, True, False, True, False],
        "responder": [True, True, False, False, False, False],
        "mrd_negative": [True, False, False, False, False, False],
        "dose_group": ["standard", "standard", "reduced", "standard", "standard", "standard"],
        "hsct_after_ino": [True, True, True, False, False, True],
        "vod": [True, False, True, False, False, True],
        "vod_after_hsct": [True, False, True, False, False, True],  # all after HSCT
        "vod_during_ino": [False] * 6,
    })
    rates = headline_rates(adsl, 0.95)
    assert (rates["response"]["responders"], rates["response"]["evaluable"]) == (2, 4)
    assert rates["response"]["rate"] == 0.5
    assert (rates["mrd_negative"]["count"], rates["mrd_negative"]["denominator"]) == (1, 5)
    # standard dose and HSCT among the analysed: rows 0 and 1; VOD in row 0 (row 5 is excluded)
    assert (rates["vod_standard_dose_hsct"]["count"], rates["vod_standard_dose_hsct"]["denominator"]) == (1, 2)
    # R: binom.test(2, 4)$conf.int = 0.06758599 0.93241401
    assert rates["response"]["ci_lower"] == pytest.approx(0.06758599, abs=1e-8)


def test_results_paragraph_follows_the_numbers():
    summary = {
        "n_patients": 10, "n_excluded": 0,
        "response": {"responders": 3, "evaluable": 9, "rate": 1 / 3, "ci_lower": 0.1, "ci_upper": 0.7},
        "mrd_negative": {"count": 2, "denominator": 10, "rate": 0.2, "ci_lower": 0.03, "ci_upper": 0.56},
        "vod_standard_dose_hsct": {"count": 0, "denominator": 0, "rate": None, "ci_lower": None, "ci_upper": None},
        "os_at_12_months": {"estimate": 0.5, "ci_lower": 0.2, "ci_upper": 0.8, "n_risk": 4, "conf_type": "log-log"},
        "median_os_months": {"estimate": None}, "median_follow_up_months": 14.2,
        "settings": {"confidence_level": 0.9, "mrd_threshold_percent": 0.1, "cutoff_date": "2024-01-01"},
    }
    text = results_paragraph(summary)
    assert "33% of evaluable patients" in text and "3 of 9" in text
    assert "< 0.1% by flow" in text and "90% CI 20.0-80.0" in text and "log-log" in text
    assert "not reached" in text and "not estimable" in text


#: Issue 21 item 3, by hand: 5 treated patients (2 CR, 1 CRi, 1 NR, 1 not evaluable) and one excluded
#: responder. Evaluable 3/4, all treated 3/5. Oracle for 3/5: R binom.test(3, 5)$conf.int =
#: 0.1466328 0.9472550 (the Clopper-Pearson limits qbeta(0.025, 3, 3) and qbeta(0.975, 4, 2)).
TINY_RESPONSE = pd.DataFrame({
    "included": [True] * 5 + [False],
    "evaluable": [True, True, True, True, False, True],
    "best_response": ["CR", "CR", "CRi", "NR", None, "CR"],
    "responder": [True, True, True, False, False, True],
    "mrd_negative": [True, False, False, False, False, True],
    "dose_group": ["standard"] * 6,
    "hsct_after_ino": [False] * 6,
    "vod": [False] * 6,
    "vod_during_ino": [False] * 6,
    "vod_after_hsct": [False] * 6,
})


def test_response_among_all_treated_by_hand():
    rates = headline_rates(TINY_RESPONSE, 0.95)
    assert (rates["response"]["responders"], rates["response"]["evaluable"]) == (3, 4)
    treated = rates["response_all_treated"]
    assert (treated["responders"], treated["denominator"], treated["rate"]) == (3, 5, 0.6)
    assert (treated["ci_lower"], treated["ci_upper"]) == pytest.approx((0.1466328, 0.9472550), abs=5e-8)
    assert treated["ci_method"] == "Clopper-Pearson exact"


def test_results_paragraph_gives_the_all_treated_rate_in_one_clause():
    summary = {
        "n_patients": 5, "n_excluded": 1,
        **headline_rates(TINY_RESPONSE, 0.95),
        "os_at_12_months": {"estimate": 0.5, "ci_lower": 0.2, "ci_upper": 0.8, "n_risk": 2, "conf_type": "plain"},
        "median_os_months": {"estimate": None}, "median_follow_up_months": None,
        "settings": {"confidence_level": 0.95, "mrd_threshold_percent": 0.01, "cutoff_date": "2024-01-01"},
    }
    text = results_paragraph(summary)
    assert ("75% of evaluable patients responded to the therapy (CR or CRi: 3 of 4; 95% CI 19.4-99.4; "
            "60.0% of all treated patients, 3 of 5, 95% CI 14.7-94.7).") in text
    # a summary.json written before the key existed still gives the paragraph, without the clause
    del summary["response_all_treated"]
    assert "(CR or CRi: 3 of 4; 95% CI 19.4-99.4)." in results_paragraph(summary)


def test_cox_table_no_model_row_then_the_next_comparison(gehan):
    """A comparison with one group gives a 'no model' row (endpoint, n, events, why) and the
    comparisons after it are still modelled (the Gehan model of test_logrank_and_cox_match_r)."""
    adsl, adtte = gehan
    adsl = adsl.assign(one="x")
    cox = cox_table(SurvivalData(adtte, adsl, SurvivalSettings(comparisons=("one", "treat")), ("OS",)))
    assert cox["group_by"].tolist() == ["one", "treat"]
    single = cox.iloc[0]
    assert (single["endpoint"], single["covariate"], single["n"], single["n_events"]) == ("OS", "one", 42, 30)
    assert single["note"] == "fewer than two groups or no events: no model"
    assert math.isnan(single["coef"])
    assert cox.iloc[1]["coef"] == pytest.approx(1.572, abs=5e-4)
    assert list(cox.columns) == COX_COLUMNS and cox["endpoint"].tolist() == ["OS", "OS"]


def test_cox_table_without_comparisons_is_empty_with_its_columns(gehan):
    adsl, adtte = gehan
    cox = cox_table(SurvivalData(adtte, adsl, SurvivalSettings(comparisons=()), ("OS",)))
    assert cox.empty and list(cox.columns) == COX_COLUMNS


def test_cox_table_two_groups_without_events_gives_no_model(gehan):
    adsl, adtte = gehan
    adtte = adtte.assign(CNSR=1)
    cox = cox_table(SurvivalData(adtte, adsl, SurvivalSettings(comparisons=("treat",)), ("OS",))).iloc[0]
    assert (cox["n"], cox["n_events"]) == (42, 0)
    assert cox["note"] == "fewer than two groups or no events: no model"


def test_cox_table_interval_at_the_configured_level(gehan):
    """conf_level 0.90: exp(coef -+ z_0.95 se) around R's coef 1.572, se 0.412 (Gehan, Efron)."""
    from scipy.stats import norm

    adsl, adtte = gehan
    settings = SurvivalSettings(comparisons=("treat",), conf_level=0.9)
    cox = cox_table(SurvivalData(adtte, adsl, settings, ("OS",))).iloc[0]
    assert cox["coef"] == pytest.approx(1.572, abs=5e-4) and cox["se"] == pytest.approx(0.412, abs=5e-4)
    z = norm.ppf(0.95)
    assert cox["hr_ci_lower"] == pytest.approx(math.exp(cox["coef"] - z * cox["se"]), rel=1e-9)
    assert cox["hr_ci_upper"] == pytest.approx(math.exp(cox["coef"] + z * cox["se"]), rel=1e-9)


def test_cox_table_ph_p_value_is_cox_zph_of_that_model(gehan):
    """ph_p_value: R cox.zph with rank-transformed time (comparisons.ph_test, checked against R's
    printed cox.zph tables in test_statistics_proportional_hazards), at the model's own coefficient."""
    from ino_study.statistics.comparisons import ph_test

    adsl, adtte = gehan
    cox = cox_table(SurvivalData(adtte, adsl, SurvivalSettings(comparisons=("treat",)), ("OS",))).iloc[0]
    treat = adsl["treat"].to_frame()
    expected = ph_test(adtte["AVAL"], 1 - adtte["CNSR"], treat).iloc[0]
    assert 0 < cox["ph_p_value"] < 1
    assert cox["ph_p_value"] == pytest.approx(expected["p_value"], rel=1e-6)


def test_group_labels_of_a_categorical_column():
    values = pd.Series(pd.Categorical([True, False, True]))
    assert group_labels(values).astype(str).tolist() == ["yes", "no", "yes"]


def test_endpoint_frame_keeps_a_patient_missing_from_adsl_as_missing(gehan):
    """Never drop a patient silently: an ADTTE row whose patient has no ADSL row stays, group 'missing'."""
    adsl, adtte = gehan
    frame = endpoint_frame(adtte, adsl.iloc[1:], "OS", ("treat",))
    assert len(frame) == len(adtte)
    assert frame.set_index("patient_id").at["G00", "treat"] == "missing"


def test_survival_estimates_name_their_interval_type(gehan):
    adsl, adtte = gehan
    settings = SurvivalSettings(timepoints_months=(10.0,), conf_type="plain", comparisons=("treat",))
    table = survival_estimates(SurvivalData(adtte, adsl, settings, ("OS",)))
    assert set(table["conf_type"]) == {"plain"}


def test_survival_estimates_without_fits_keep_the_header(gehan):
    adsl, adtte = gehan
    table = survival_estimates(SurvivalData(adtte, adsl, SurvivalSettings(), ()))
    assert table.empty and table.columns.tolist() == [
        "endpoint", "group_by", "group", "time_months", "n_risk", "n_event_cumulative", "n_censor_cumulative",
        "survival", "std_err", "ci_lower", "ci_upper", "conf_type"]


def test_follow_up_summary_is_the_reverse_km_median_of_os_by_hand(gehan):
    """OS: five patients censored at 1..5 months (reverse KM: 'events' at each time, S = 0.8, 0.6, 0.4, 0.2,
    0; median 3). Greenwood sum d/(n(n-d)): 1/20, 2/15, 3/10, 4/5, then infinite at S = 0 (n = d = 1);
    se = S sqrt(sum) = 0.1789, 0.2191, 0.2191, 0.1789. Plain 95% band S -+ 1.96 se: lower 0.449 at 1
    month, the first <= 0.5, so the interval's lower end is 1 (the log band's, 0.8 exp(-1.96 sqrt(1/20))
    = 0.516, would give 2); the upper band stays above 0.5 until S = 0, where R's band is NA: no upper end.
    The EFS rows (other times) are not read."""
    os_rows = pd.DataFrame({"patient_id": ["A", "B", "C", "D", "E"], "PARAMCD": "OS",
                            "AVAL": [1.0, 2, 3, 4, 5], "CNSR": 1})
    adtte = pd.concat([os_rows, os_rows.assign(PARAMCD="EFS", AVAL=[7.0, 8, 9, 10, 11], CNSR=0)],
                      ignore_index=True)
    row = follow_up_summary(adtte, SurvivalSettings(conf_type="plain", conf_level=0.95)).iloc[0]
    assert row.index.tolist() == ["measure", "n", "estimate", "ci_lower", "ci_upper"]
    assert row["measure"] == "median follow-up (reverse Kaplan-Meier), months" and row["n"] == 5
    assert (row["estimate"], row["ci_lower"]) == (3.0, 1.0) and math.isnan(row["ci_upper"])


def test_group_labels_keep_the_index_and_name_of_the_column():
    """As values.map(group_label): the patients' row labels (a filtered cohort: 5, 7, 9) and the column's
    name are kept, so the labels line up with the rows they came from."""
    values = pd.Series([True, None, False], index=[5, 7, 9], name="prior_hsct")
    labels = group_labels(values)
    pd.testing.assert_series_equal(labels, values.map(group_label).astype(object))
    assert labels.to_dict() == {5: "yes", 7: "missing", 9: "no"} and labels.name == "prior_hsct"


def test_stratified_rows_by_two_variables_form_one_stratum_per_combination():
    """R's strata(a, b): one stratum per recorded combination, labelled 'a, b'; rows with the group or
    a stratum not recorded left out; every one-patient stratum named in the note."""
    from ino_study.statistics.survival_analysis import stratified_rows

    frame = pd.DataFrame({"group": ["x", "x", "y", "y", "y", "missing", "x"],
                          "centre": ["A", "A", "A", "B", "C", "A", "missing"],
                          "sex": ["F", "F", "F", "M", "M", "F", "F"]})
    rows, labels, note = stratified_rows(frame, "group", ("centre", "sex", "group"))
    assert rows.index.tolist() == [0, 1, 2, 3, 4]  # row 5: group missing; row 6: centre missing
    assert labels.tolist() == ["A, F", "A, F", "A, F", "B, M", "C, M"]
    assert note == "stratified by centre, sex; stratum B, M, C, M has 1 patient and adds nothing (as in R)"
    one_rows, one_labels, one_note = stratified_rows(frame, "group", ("centre",))
    assert one_labels.tolist() == ["A", "A", "A", "B", "C"] and one_note.startswith("stratified by centre;")
    assert stratified_rows(frame, "group", ("group",))[1:] == (None, "")  # within its own strata: none
