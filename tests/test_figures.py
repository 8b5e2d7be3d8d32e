"""Figures: every file is produced and non-trivial, and the numbers drawn equal the statistics tables.

Figures are compared through their data (results/figures/data/<figure>.csv), not pixels. The cohort
is a seeded fixture built here (no pipeline run), so these tests take seconds; the integration
test at the end (slow) checks the real pipeline's figures against its tables.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import PROJECT_ROOT
from ino_study.figures.step import draw_all, figure_names, figure_paths
from ino_study.statistics.survival_analysis import (
    SurvivalSettings, cox_table, follow_up_summary, logrank_table, median_survival, survival_estimates,
)

CONFIG = {"confidence_level": 0.95, "km_ci": "plain", "comparisons": ["prior_hsct", "dose_group"],
          "mrd_threshold_percent": 0.01, "survival_timepoints_months": [6, 12, 24],
          "figures": {"dpi": 100, "formats": ["png", "svg", "pdf"], "width_in": 6}}
PUBLISHED = PROJECT_ROOT / "data" / "literature" / "published_cohorts.csv"
DAYS_PER_MONTH = 30.4375


def make_cohort(n: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """A random cohort in the layout of the analysis datasets (adsl, adtte, adrs, adae) and InO doses.
    The last patient is excluded (included = False)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:06d}" for i in range(n)])
    start = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    responder = rng.random(n) < 0.7
    evaluable = rng.random(n) < 0.95
    responder &= evaluable
    mrd_neg = responder & (rng.random(n) < 0.6)
    hsct = responder & (rng.random(n) < 0.5)
    vod = hsct & (rng.random(n) < 0.3)
    dose_group = np.where(rng.random(n) < 0.7, "standard", "reduced")
    os_months = np.round(rng.exponential(14, n) + 0.2, 3)
    os_event = (rng.random(n) < 0.65).astype(int)

    def date(days):
        return (start + pd.to_timedelta(np.asarray(days), unit="D")).where(~np.isnan(np.asarray(days, float)))

    included = np.ones(n, bool)
    included[-1] = False
    adsl = pd.DataFrame({
        "patient_id": ids, "included": included, "sex": rng.choice(["F", "M"], n),
        "age_at_first_dose_years": np.round(rng.uniform(1, 17.9, n), 1),
        "age_group": np.where(rng.random(n) < 0.5, "<10 y", ">=10 y"),
        "relapse_number": rng.integers(0, 4, n), "refractory": rng.choice(["relapsed", "primary refractory"], n),
        "prior_hsct": rng.random(n) < 0.35, "prior_blinatumomab": rng.random(n) < 0.4,
        "prior_car_t": rng.random(n) < 0.1, "cytogenetics": rng.choice(["normal", "KMT2A-r", "other", None], n),
        "cd22_pct": rng.integers(50, 100, n), "baseline_blasts_pct": rng.integers(5, 95, n),
        "dose_group": dose_group, "n_cycles": rng.integers(1, 3, n).astype(float),
        "cumulative_dose_mg_m2": np.round(rng.uniform(1, 3.6, n), 1), "hsct_after_ino": hsct,
        "evaluable": evaluable, "best_response": np.where(responder, rng.choice(["CR", "CRi"], n),
                                                          np.where(evaluable, rng.choice(["PR", "NR"], n), None)),
        "responder": responder, "mrd_negative": mrd_neg, "vod": vod, "first_dose_date": start,
        "first_remission_date": date(np.where(responder, 25, np.nan)),
        "first_mrd_negative_date": date(np.where(mrd_neg, 56, np.nan)),
        "hsct_date": date(np.where(hsct, 90, np.nan)), "vod_date": date(np.where(vod, 110, np.nan)),
    })
    os_rows = pd.DataFrame({"patient_id": ids, "PARAMCD": "OS", "AVAL": os_months, "CNSR": 1 - os_event,
                            "EVNTCD": os_event})
    efs_months = np.round(os_months * rng.uniform(0.4, 1.0, n), 3)
    efs_rows = pd.DataFrame({"patient_id": ids, "PARAMCD": "EFS", "AVAL": efs_months,
                             "CNSR": (rng.random(n) < 0.3).astype(int), "EVNTCD": 1})
    relapse = responder & (rng.random(n) < 0.3)
    rel_rows = pd.DataFrame({"patient_id": ids[relapse], "PARAMCD": "REL", "AVAL": efs_months[relapse], "CNSR": 0,
                             "EVNTCD": 1})
    adtte = pd.concat([os_rows, efs_rows, rel_rows], ignore_index=True)
    k = 2 * n
    pid = np.repeat(ids, 2)
    value = 10 ** rng.uniform(-4, 1.5, k)
    below = value < 1e-3
    adrs = pd.DataFrame({"patient_id": pid, "ADY": np.tile([24, 56], n),
                         "mrd_percent": np.where(below, 0.01, np.round(value, 4)),
                         "mrd_qualifier": np.where(below, "<", "="), "mrd_status": "measured"})
    terms = np.array(["Febrile neutropenia", "Nausea", "Sepsis", "Blood bilirubin increased"])
    m = 3 * n
    adae = pd.DataFrame({"patient_id": rng.choice(ids, m), "AEDECOD": rng.choice(terms, m),
                         "AETOXGR": rng.integers(1, 6, m)})
    doses = pd.DataFrame({"patient_id": np.repeat(ids, 3),
                          "date": np.repeat(start, 3) + pd.to_timedelta(np.tile([0, 7, 14], n), unit="D")})
    return {"adsl": adsl, "adtte": adtte, "adrs": adrs, "adae": adae, "doses": doses}


def statistics(cohort: dict, config: dict = CONFIG) -> dict[str, pd.DataFrame]:
    settings = SurvivalSettings(tuple(float(t) for t in config["survival_timepoints_months"]), config["km_ci"],
                                config["confidence_level"], tuple(config["comparisons"]))
    adsl = cohort["adsl"]
    adtte = cohort["adtte"][cohort["adtte"]["patient_id"].isin(adsl.loc[adsl["included"], "patient_id"])]
    return {"estimates": survival_estimates(adtte, adsl, settings), "medians": median_survival(adtte, adsl, settings),
            "logrank": logrank_table(adtte, adsl, settings), "cox": cox_table(adtte, adsl, settings),
            "follow_up": follow_up_summary(adtte, settings)}


def draw(cohort: dict, stats: dict, folder: Path, config: dict = CONFIG) -> SimpleNamespace:
    paths = figure_paths(config["comparisons"], config["figures"]["formats"], str(folder))
    draw_all(cohort["adsl"], cohort["adrs"], cohort["adtte"], cohort["adae"], cohort["doses"], stats["logrank"],
             stats["cox"], stats["estimates"], pd.read_csv(PUBLISHED), config, SimpleNamespace(**paths))
    return SimpleNamespace(**paths)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    cohort = make_cohort(30, seed=3)
    stats = statistics(cohort)
    return cohort, stats, draw(cohort, stats, tmp_path_factory.mktemp("figures"))


def data(out: SimpleNamespace, name: str) -> pd.DataFrame:
    return pd.read_csv(getattr(out, f"{name}_data"))


def test_every_figure_is_written_and_non_trivial(small):
    _, _, out = small
    for name in figure_names(CONFIG["comparisons"]):
        png = Path(getattr(out, f"{name}_png"))
        assert png.stat().st_size > 10_000, name
        width, height = Image.open(png).size
        assert width == CONFIG["figures"]["width_in"] * CONFIG["figures"]["dpi"], name
        assert height > 150, name
        for fmt in ("svg", "pdf"):
            assert Path(getattr(out, f"{name}_{fmt}")).stat().st_size > 5_000, (name, fmt)
        assert len(data(out, name)) > 0, name


@pytest.mark.parametrize("endpoint", ["OS", "EFS"])
def test_km_numbers_equal_the_tables(small, endpoint):
    _, stats, out = small
    drawn = data(out, f"km_{endpoint.lower()}")
    est = stats["estimates"]
    est = est[(est["endpoint"] == endpoint) & (est["group_by"] == "all")]
    at_risk = drawn[drawn["element"] == "at_risk"].set_index("time_months")["value"]
    assert at_risk.loc[0.0] == 29  # the excluded patient is not at risk
    for row in est.itertuples():
        assert at_risk.loc[row.time_months] == row.n_risk
    twelve = drawn[drawn["element"] == "timepoint"].iloc[0]
    row = est[est["time_months"] == 12].iloc[0]
    assert twelve["time_months"] == 12
    for drawn_col, table_col in (("value", "survival"), ("ci_lower", "ci_lower"), ("ci_upper", "ci_upper"),
                                 ("n", "n_risk")):
        assert twelve[drawn_col] == pytest.approx(row[table_col], rel=1e-5, nan_ok=True)
    med = stats["medians"]
    med = med[(med["endpoint"] == endpoint) & (med["group_by"] == "all")].iloc[0]
    drawn_median = drawn[drawn["element"] == "median"].iloc[0]
    assert drawn_median["time_months"] == pytest.approx(med["median_months"], rel=1e-5, nan_ok=True)


@pytest.mark.parametrize("endpoint", ["OS", "EFS"])
@pytest.mark.parametrize("comparison", CONFIG["comparisons"])
def test_km_by_group_equals_logrank_and_estimates(small, endpoint, comparison):
    _, stats, out = small
    drawn = data(out, f"km_{endpoint.lower()}_by_{comparison}")
    lr = stats["logrank"]
    p = lr[(lr["endpoint"] == endpoint) & (lr["group_by"] == comparison)]["p_value"].iloc[0]
    assert drawn[drawn["element"] == "logrank_p"]["value"].iloc[0] == pytest.approx(p, rel=1e-5)
    est = stats["estimates"]
    est = est[(est["endpoint"] == endpoint) & (est["group_by"] == comparison)]
    risk = drawn[drawn["element"] == "at_risk"]
    for row in est.itertuples():
        hit = risk[(risk["group"].astype(str) == str(row.group)) & (risk["time_months"] == row.time_months)]
        assert hit["value"].iloc[0] == row.n_risk


def test_swimmer_and_mrd_data(small):
    cohort, _, out = small
    swim = data(out, "swimmer")
    assert swim["patient_id"].nunique() == 29
    assert set(swim["event"]) >= {"ino_dose", "response", "death", "censored"}
    lanes = swim.drop_duplicates("patient_id")
    os_rows = cohort["adtte"][cohort["adtte"]["PARAMCD"] == "OS"].set_index("patient_id")["AVAL"]
    assert list(os_rows.loc[lanes.sort_values("lane")["patient_id"]]) == sorted(os_rows.loc[lanes["patient_id"]],
                                                                                 reverse=True)
    mrd = data(out, "mrd_trajectories")
    below = mrd[mrd["below_detection"]]
    assert len(below) > 0 and (below["plotted_percent"] == 0.01).all()


def test_rates_and_forest_equal_tables(small):
    cohort, stats, out = small
    rates = data(out, "response_rates")
    adsl = cohort["adsl"][cohort["adsl"]["included"]]
    row = rates[rates["measure"] == "CR/CRi (responders)"].iloc[0]
    assert (row["count"], row["denominator"]) == (adsl["responder"].sum(), adsl["evaluable"].sum())
    forest = data(out, "forest_cox")
    cox = stats["cox"].dropna(subset=["hr"])
    assert np.allclose(forest["hr"], cox["hr"], rtol=1e-5)


def test_vector_files_are_deterministic(small, tmp_path):
    cohort, stats, out = small
    again = draw(cohort, stats, tmp_path)
    for name in figure_names(CONFIG["comparisons"]):
        for fmt in ("svg", "pdf"):
            first = Path(getattr(out, f"{name}_{fmt}")).read_bytes()
            assert first == Path(getattr(again, f"{name}_{fmt}")).read_bytes(), (name, fmt)
        assert Path(getattr(out, f"{name}_data")).read_bytes() == Path(getattr(again, f"{name}_data")).read_bytes()
        assert b"<dc:date>" not in Path(getattr(out, f"{name}_svg")).read_bytes()


def test_large_cohort_draws_in_seconds(tmp_path):
    cohort = make_cohort(100_000, seed=5)
    config = {**CONFIG, "figures": {"dpi": 100, "formats": ["png"], "width_in": 6}}
    stats = statistics(cohort, {**config, "comparisons": []})
    stats["logrank"] = pd.DataFrame(columns=["endpoint", "group_by", "p_value"])
    config = {**config, "comparisons": ["dose_group"]}
    begin = time.perf_counter()
    out = draw(cohort, stats, tmp_path, config)
    elapsed = time.perf_counter() - begin
    assert elapsed < 30, f"{elapsed:.1f} s for 100,000 patients"
    assert data(out, "swimmer")["patient_id"].nunique() == 40
    assert data(out, "mrd_trajectories")["patient_id"].nunique() == 40
