"""Property-based tests (hypothesis) of the derivations' and statistics' invariants.

Random mini cohorts (doses, assessments, HSCT, adverse events, death or last contact, relapse) go
through the same derivations as the pipeline; whatever the data, the invariants must hold.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.outputs.summary import headline_rates
from ino_study.statistics.kaplan_meier import km_fit
from test_endpoints import RULES, cohort

MRD = st.sampled_from([(0.5, "=", "measured"), (0.001, "=", "measured"), (0.01, "<", "measured"),
                       (None, "<", "negative_text"), (None, "=", "not_done"), (None, None, "missing")])


@st.composite
def patient(draw, index: int):
    follow = draw(st.integers(0, 1500))
    dies = draw(st.booleans())
    assessments = []
    for day in sorted(draw(st.lists(st.integers(1, max(1, follow)), max_size=3, unique=True))):
        value, qualifier, status = draw(MRD)
        assessments.append((day, draw(st.floats(0, 95)), draw(st.floats(0, 5)), draw(st.floats(0, 300)),
                            value, qualifier, status))
    spec = {"id": f"P{index:03d}", "assessments": assessments}
    spec["death" if dies else "last"] = follow
    if draw(st.booleans()) and follow > 20:
        spec["hsct"] = draw(st.integers(15, follow))
    if draw(st.booleans()) and follow > 0:
        spec["relapse"] = draw(st.integers(0, follow))
    spec["aes"] = [(draw(st.sampled_from(["Sepsis", "VOD", "ВОБ/СОС", "Nausea"])), draw(st.integers(1, 5)),
                    draw(st.integers(0, max(0, follow)))) for _ in range(draw(st.integers(0, 2)))]
    return spec


@st.composite
def cohorts(draw):
    n = draw(st.integers(1, 8))
    return [draw(patient(i)) for i in range(n)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_derivation_invariants(specs):
    data = derive_analysis_datasets(cohort(specs), RULES)
    adsl, adtte = data["adsl"], data["adtte"]
    assert adsl["patient_id"].is_unique and len(adsl) == len(specs)
    assert (adtte["AVAL"] >= 0).all() and set(adtte["CNSR"]) <= {0, 1}
    assert not adtte.duplicated(["patient_id", "PARAMCD"]).any()
    assert set(adtte.loc[adtte["PARAMCD"] == "OS", "patient_id"]) == set(adsl.loc[adsl["included"], "patient_id"])
    # a responder is evaluable, an MRD-negative patient has an MRD-negative assessment
    assert not (adsl["responder"] & ~adsl["evaluable"]).any()
    assert (adsl["mrd_negative"] == adsl["first_mrd_negative_date"].notna()).all()
    rates = headline_rates(adsl, 0.95)
    response = rates["response"]
    if response["evaluable"]:
        assert response["rate"] == response["responders"] / response["evaluable"]
        assert response["ci_lower"] <= response["rate"] <= response["ci_upper"]
    mrd = rates["mrd_negative"]
    assert mrd["rate"] == mrd["count"] / mrd["denominator"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.booleans()), min_size=1, max_size=40),
       st.sampled_from(["plain", "log", "log-log"]))
def test_kaplan_meier_is_a_non_increasing_probability(observations, conf_type):
    time = np.array([t for t, _ in observations], dtype=float)
    event = np.array([e for _, e in observations], dtype=int)
    table = km_fit(time, event, 0.95, conf_type).table
    survival = table["survival"].to_numpy()
    assert ((survival >= 0) & (survival <= 1)).all()
    assert (np.diff(survival) <= 1e-12).all()
    lower, upper = table["ci_lower"].to_numpy(), table["ci_upper"].to_numpy()
    known = ~np.isnan(lower) & ~np.isnan(upper)
    assert ((lower[known] >= 0) & (upper[known] <= 1) & (lower[known] <= upper[known] + 1e-12)).all()
    assert table["n_risk"].iloc[0] == len(observations)
