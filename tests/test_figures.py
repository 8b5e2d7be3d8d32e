"""Figures: every file is produced and non-trivial, and the numbers drawn equal the statistics tables.

Figures are compared through their data (results/figures/data/<figure>.csv), not pixels. The cohort
is a seeded fixture built here (no pipeline run), so these tests take seconds; the integration
test at the end (slow) checks the real pipeline's figures against its tables.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import PROJECT_ROOT, days_after
from ino_study.figures.step import draw_all, figure_names, figure_paths
from ino_study.statistics.survival_analysis import (
    SurvivalData, SurvivalSettings, cox_table, follow_up_summary, logrank_table, median_survival, survival_estimates,
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
        return days_after(start, days)

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
        "vod_during_ino": np.zeros(n, dtype=bool), "vod_after_hsct": vod,  # VOD on day 110, HSCT on day 90
        "days_last_dose_to_hsct": pd.array(np.where(hsct, 76, np.nan), dtype="Float64").astype("Int64"),
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
                         "AETOXGR": rng.integers(1, 6, m), "treatment_emergent": rng.random(m) < 0.8})
    # the rest of adae's layout: a non-treatment-emergent event of a transplanted patient is after HSCT
    transplanted = adae["patient_id"].isin(ids[hsct])
    adae["period"] = np.where(adae["treatment_emergent"], "treatment-emergent",
                              np.where(transplanted, "after HSCT", "other"))
    adae["ADY"] = np.where(adae["treatment_emergent"], 20, 120)
    adae["ASTDT"] = adae["patient_id"].map(dict(zip(ids, start))) + pd.to_timedelta(adae["ADY"], unit="D")
    adae["vod"] = False
    for column in ("sos_severity", "sos_treatment", "sos_outcome"):
        adae[column] = None
    doses = pd.DataFrame({"patient_id": np.repeat(ids, 3),
                          "date": np.repeat(start, 3) + pd.to_timedelta(np.tile([0, 7, 14], n), unit="D")})
    return {"adsl": adsl, "adtte": adtte, "adrs": adrs, "adae": adae, "doses": doses}


def statistics(cohort: dict, config: dict = CONFIG) -> dict[str, pd.DataFrame]:
    settings = SurvivalSettings(tuple(float(t) for t in config["survival_timepoints_months"]), config["km_ci"],
                                config["confidence_level"], tuple(config["comparisons"]))
    adsl = cohort["adsl"]
    adtte = cohort["adtte"][cohort["adtte"]["patient_id"].isin(adsl.loc[adsl["included"], "patient_id"])]
    return {"estimates": survival_estimates(SurvivalData(adtte, adsl, settings)), "medians": median_survival(SurvivalData(adtte, adsl, settings)),
            "logrank": logrank_table(SurvivalData(adtte, adsl, settings)), "cox": cox_table(SurvivalData(adtte, adsl, settings)),
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


def test_svg_text_is_editable_text(small):
    """Journals ask for editable text in vector figures: SVG labels are <text> in the theme's font,
    not glyph outlines."""
    _, _, out = small
    svg = Path(out.km_os_svg).read_text(encoding="utf-8")
    assert "<text" in svg and "Overall survival" in svg
    assert "DejaVu Sans" in svg


def test_large_cohort_draws_every_figure(tmp_path):
    cohort = make_cohort(100_000, seed=5)
    config = {**CONFIG, "figures": {"dpi": 100, "formats": ["png"], "width_in": 6}}
    stats = statistics(cohort, {**config, "comparisons": []})
    stats["logrank"] = pd.DataFrame(columns=["endpoint", "group_by", "p_value"])
    config = {**config, "comparisons": ["dose_group"]}
    out = draw(cohort, stats, tmp_path, config)
    assert data(out, "swimmer")["patient_id"].nunique() == 40
    assert data(out, "mrd_trajectories")["patient_id"].nunique() == 40


# ---------------------------------------------------------------------------------------------------------
# transplant figures: landmark OS by HSCT, cumulative incidence of relapse and VOD/SOS; generated captions

from ino_study.figures.captions import GENERATED_CAPTIONS  # noqa: E402
from ino_study.statistics import transplant_analyses as ta  # noqa: E402

LANDMARKS = [60, 90]


def with_vod(cohort: dict, seed: int = 7) -> dict:
    """The cohort plus VOD rows (months since HSCT; EVNTCD 1 = VOD/SOS, 2 = death without, 0 = censored)
    for its transplanted patients, as the pipeline's adtte has them."""
    rng = np.random.default_rng(seed)
    adsl = cohort["adsl"]
    hsct = adsl[adsl["hsct_after_ino"]]
    code = np.where(hsct["vod"], 1, rng.choice([0, 2], len(hsct)))
    months = np.where(code == 1, 20 / DAYS_PER_MONTH, np.round(rng.uniform(1, 30, len(hsct)), 3))
    vod = pd.DataFrame({"patient_id": hsct["patient_id"].to_numpy(), "PARAMCD": "VOD", "AVAL": months,
                        "CNSR": (code == 0).astype(int), "EVNTCD": code})
    return {**cohort, "adtte": pd.concat([cohort["adtte"], vod], ignore_index=True)}


def transplant_tables(cohort: dict, folder: Path, config: dict = CONFIG) -> dict[str, pd.DataFrame]:
    """The tables as steps.transplant_and_competing_risks writes them, read back from CSV as the rule does."""
    from ino_study.outputs.io import write_csv

    adsl, adtte = cohort["adsl"], cohort["adtte"]
    level, kind = config["confidence_level"], config["km_ci"]
    times = [float(t) for t in config["survival_timepoints_months"]]
    inc = [ta.cumulative_incidence_table(adtte, e, times, level) for e in ("REL", "VOD")]
    curves = [ta.cumulative_incidence_curves(adtte, e, level) for e in ("REL", "VOD")]
    tables = {"landmark": ta.landmark_table(adtte, adsl, LANDMARKS, times, level, kind),
              "incidence": pd.concat([f for f in inc if len(f)] or inc[:1], ignore_index=True),
              "incidence_curves": pd.concat([f for f in curves if len(f)] or curves[:1], ignore_index=True)}
    folder.mkdir(parents=True, exist_ok=True)
    for key, frame in tables.items():
        write_csv(frame, folder / f"{key}.csv")
        tables[key] = pd.read_csv(folder / f"{key}.csv")
    return tables


def draw_with_tables(cohort: dict, folder: Path, config: dict = CONFIG) -> tuple[SimpleNamespace, dict]:
    stats = statistics(cohort, config)
    tables = transplant_tables(cohort, folder / "tables", config)
    paths = figure_paths(config["comparisons"], config["figures"]["formats"], str(folder))
    draw_all(cohort["adsl"], cohort["adrs"], cohort["adtte"], cohort["adae"], cohort["doses"], stats["logrank"],
             stats["cox"], stats["estimates"], pd.read_csv(PUBLISHED), config, SimpleNamespace(**paths),
             transplant=tables)
    return SimpleNamespace(**paths), tables


@pytest.fixture(scope="module")
def transplanted(tmp_path_factory):
    cohort = with_vod(make_cohort(60, seed=11))
    out, tables = draw_with_tables(cohort, tmp_path_factory.mktemp("transplant"))
    return cohort, tables, out


def step_value(curve: pd.DataFrame, t: float) -> float:
    """A step curve's value at t (the last row at or before t)."""
    return float(curve[curve["time_months"] <= t + 1e-9]["value"].iloc[-1])


def test_landmark_figure_equals_the_landmark_table(transplanted):
    _, tables, out = transplanted
    drawn, table = data(out, "landmark_os"), tables["landmark"]
    assert sorted(drawn["landmark_days"].dropna().astype(int).unique()) == LANDMARKS
    for lm in LANDMARKS:
        block, rows = drawn[drawn["landmark_days"] == lm], table[table["landmark_days"] == lm]
        p = block[block["element"] == "logrank_p"]["value"].iloc[0]
        assert p == pytest.approx(rows["logrank_p"].iloc[0], rel=1e-6, nan_ok=True)
        for group in ("no", "yes"):
            g = rows[rows["group"] == group]
            summary = block[(block["element"] == "summary") & (block["group"] == group)].iloc[0]
            assert (summary["n"], summary["value"]) == (g["n"].iloc[0], g["events"].iloc[0])
            risk = block[(block["element"] == "at_risk") & (block["group"] == group)].set_index("time_months")
            assert risk.loc[0.0, "value"] == g["n"].iloc[0]
            curve = block[(block["element"] == "curve") & (block["group"] == group)]
            marks = block[(block["element"] == "timepoint") & (block["group"] == group)]
            for row in g.itertuples():
                mark = marks[marks["time_months"] == row.time_months_after_landmark].iloc[0]
                assert mark["value"] == pytest.approx(row.survival, rel=1e-6, nan_ok=True)
                assert mark["n"] == row.n_risk
                if np.isfinite(row.survival):  # the drawn curve passes through the table's estimate
                    assert step_value(curve, row.time_months_after_landmark) == pytest.approx(row.survival, abs=1e-6)
                if row.time_months_after_landmark in risk.index:
                    assert risk.loc[row.time_months_after_landmark, "value"] == row.n_risk


@pytest.mark.parametrize("figure,endpoint", [("cumulative_incidence_rel", "REL"), ("cumulative_incidence_vod", "VOD")])
def test_cumulative_incidence_figures_equal_the_tables(transplanted, figure, endpoint):
    _, tables, out = transplanted
    drawn = data(out, figure)
    curves = tables["incidence_curves"][tables["incidence_curves"]["endpoint"] == endpoint]
    inc = tables["incidence"][tables["incidence"]["endpoint"] == endpoint]
    assert len(curves) and len(inc)
    assert set(drawn.loc[drawn["element"] == "curve", "cause"]) == set(dict(ta.CAUSES[endpoint]).values())
    drawn_curve = drawn[drawn["element"] == "curve"]
    for drawn_col, table_col in (("time_months", "time_months"), ("value", "estimate"), ("ci_lower", "ci_lower"),
                                 ("ci_upper", "ci_upper")):
        assert np.allclose(drawn_curve[drawn_col].to_numpy(float), curves[table_col].to_numpy(float), rtol=1e-6,
                           equal_nan=True), drawn_col
    for row in inc[inc["time_months"] == 12].itertuples():  # the labelled 12-month values
        mark = drawn[(drawn["element"] == "timepoint") & (drawn["cause"] == row.cause) & (drawn["time_months"] == 12)]
        assert mark["value"].iloc[0] == pytest.approx(row.estimate, rel=1e-6, nan_ok=True)
        assert mark["ci_lower"].iloc[0] == pytest.approx(row.ci_lower, rel=1e-6, nan_ok=True)
        assert mark["ci_upper"].iloc[0] == pytest.approx(row.ci_upper, rel=1e-6, nan_ok=True)
        if np.isfinite(row.estimate):
            curve = drawn_curve[drawn_curve["cause"] == row.cause]
            assert step_value(curve, 12.0) == pytest.approx(row.estimate, abs=1e-6)


def test_no_transplanted_patients_draws_a_no_patients_figure(small):
    cohort, _, out = small  # the small cohort has no VOD rows: nobody at risk of VOD after HSCT
    assert not (cohort["adtte"]["PARAMCD"] == "VOD").any()
    drawn = data(out, "cumulative_incidence_vod")
    assert drawn["element"].tolist() == ["no_patients"]
    assert Path(out.cumulative_incidence_vod_png).stat().st_size > 10_000
    assert "no patients" in Path(out.cumulative_incidence_vod_caption).read_text().lower()


def test_generated_captions_state_this_runs_numbers(small):
    _, _, out = small
    for name in GENERATED_CAPTIONS:
        text = Path(getattr(out, f"{name}_caption")).read_text()
        assert text.strip() and "{" not in text and "}" not in text, name
    km = data(out, "km_os")
    twelve = km[km["element"] == "timepoint"].iloc[0]
    caption = Path(out.km_os_caption).read_text()
    assert f"{100 * twelve['value']:.1f}%" in caption
    assert f"{100 * twelve['ci_lower']:.1f}-{100 * twelve['ci_upper']:.1f}" in caption
    assert f"{int(twelve['n'])} still at risk" in caption
    rates = data(out, "response_rates")
    caption = Path(out.response_rates_caption).read_text()
    for row in rates.itertuples():
        assert f"{row.count}/{row.denominator} = {row.percent:.1f}%" in caption


def test_vod_caption_quotes_the_twelve_month_incidence(transplanted):
    _, tables, out = transplanted
    inc = tables["incidence"]
    row = inc[(inc["endpoint"] == "VOD") & (inc["cause"] == "VOD/SOS") & (inc["time_months"] == 12)].iloc[0]
    assert f"VOD/SOS {100 * row['estimate']:.1f}%" in Path(out.cumulative_incidence_vod_caption).read_text()


def test_a_config_change_changes_the_captions(transplanted, tmp_path):
    cohort, _, out = transplanted
    config = {**CONFIG, "confidence_level": 0.9, "km_ci": "log-log", "mrd_threshold_percent": 0.1}
    again, _ = draw_with_tables(cohort, tmp_path, config)
    for name in GENERATED_CAPTIONS:
        before = Path(getattr(out, f"{name}_caption")).read_text()
        after = Path(getattr(again, f"{name}_caption")).read_text()
        assert before != after, name
    assert "90% CI" in Path(again.km_os_caption).read_text() and "log-log" in Path(again.km_os_caption).read_text()
    assert "below 0.1%" in Path(again.response_rates_caption).read_text()


def test_rule_outputs_point_the_report_at_the_generated_captions():
    from ino_study.figures.step import figure_outputs

    class Flagged(str):
        pass

    def report(path, **kwargs):
        flagged = Flagged(path)
        flagged.kwargs = kwargs
        return flagged

    outputs = figure_outputs(CONFIG["comparisons"], ["svg"], "results/figures", report)
    for name in figure_names(CONFIG["comparisons"]):
        caption = outputs[f"{name}_png"].kwargs["caption"]
        if name in GENERATED_CAPTIONS:
            assert caption == str(Path("results/figures/captions").resolve() / f"{name}.rst")
            assert outputs[f"{name}_caption"] == f"results/figures/captions/{name}.rst"
        else:
            assert (PROJECT_ROOT / "workflow" / "rules" / caption).resolve().is_file(), (name, caption)


def files_for_the_step(cohort: dict, folder: Path, config: dict = CONFIG) -> SimpleNamespace:
    """The figures rule's inputs as files: analysis datasets as Parquet, statistics tables as CSV."""
    from ino_study.outputs.io import write_csv, write_parquet

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key in ("adsl", "adrs", "adtte", "adae", "doses"):
        paths[key] = str(folder / f"{key}.parquet")
        write_parquet(cohort[key], paths[key])
    for key, frame in {**statistics(cohort, config), **transplant_tables(cohort, folder / "t", config)}.items():
        paths[key] = str(folder / f"{key}.csv")
        write_csv(frame, paths[key])
    paths["published"] = str(PUBLISHED)
    return SimpleNamespace(**paths)


@pytest.mark.parametrize("value, text", [(0.001, "0.001"), (0.01, "0.01"), (0.5, "0.5"), (1.0, "1"), (2.0, "2"),
                                         (100.0, "100"), (1e-5, "0.00001")])
def test_log_tick_labels_are_plain_numbers(value, text):
    from ino_study.figures.theme import plain_number

    assert plain_number(value) == text


def test_log_axes_are_labelled_without_powers_of_ten(small):
    """The forest plot (HR) and MRD trajectories: 0.5, 1, 2 and 0.01, 0.1, 1 on the axes, not 10^x."""
    _, _, out = small
    svgs = {name: Path(getattr(out, f"{name}_svg")).read_text(encoding="utf-8") for name in ("forest_cox", "mrd_trajectories")}
    assert ">1</text>" in svgs["forest_cox"] and ">0.5</text>" in svgs["forest_cox"]
    assert ">0.01</text>" in svgs["mrd_trajectories"] and ">1</text>" in svgs["mrd_trajectories"]
    for svg in svgs.values():
        assert "10^" not in svg and "\\mathdefault" not in svg and "×10" not in svg


def test_the_two_figure_rules_draw_every_figure_once_and_as_one_process_would(tmp_path):
    """cohort_figures (analysis datasets only, drawn while the statistics run) and figures (the rest)
    share out every figure; each file, the cohort figures drawn without any statistics table, is
    byte-identical to drawing them all in one call."""
    from ino_study.figures.catalogue import ADAM_INPUTS, FIGURE_RULES, rule_figure_names
    from ino_study.figures.step import make_figures

    comparisons, formats = CONFIG["comparisons"], CONFIG["figures"]["formats"]
    by_rule = {rule: rule_figure_names(comparisons, rule) for rule in FIGURE_RULES}
    assert sorted(sum(by_rule.values(), [])) == sorted(figure_names(comparisons))
    assert by_rule["cohort_figures"] and by_rule["figures"]
    with pytest.raises(ValueError, match="no figure rule"):
        rule_figure_names(comparisons, "figure")

    inputs = files_for_the_step(with_vod(make_cohort(60, seed=11)), tmp_path / "in")
    together = figure_paths(comparisons, formats, str(tmp_path / "together"))
    make_figures(inputs, inputs, CONFIG, SimpleNamespace(**together))
    datasets_only = SimpleNamespace(**{key: getattr(inputs, key) for key in ADAM_INPUTS})
    split: dict[str, str] = {}
    for rule in FIGURE_RULES:
        paths = figure_paths(comparisons, formats, str(tmp_path / "split"), rule)
        given = datasets_only if rule == "cohort_figures" else inputs
        make_figures(given, given, CONFIG, SimpleNamespace(**paths), rule)
        split.update(paths)
    assert split.keys() == together.keys()
    differ = [key for key in together if Path(together[key]).read_bytes() != Path(split[key]).read_bytes()]
    assert not differ, differ


def test_footnotes_are_wrapped_to_the_figure_as_matplotlib_measures_them():
    """`wrap_to_width` (words measured once) keeps every word and line break, breaks only where the next
    word would not fit, and every line it makes fits the width as the Agg renderer measures the line."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ino_study.figures.theme import FONT, FONT_FAMILY, text_width_points, wrap_to_width

    size, width = FONT["tiny"], 300.0
    text = ("Filled: as published and checked; open: unverified (check the source); bars: 95% CI where reported. "
            "MRD denominators differ between studies.\nEvstratov 2023: Pediatric Hematology/Oncology and "
            "Immunopathology; Bhojwani 2019: Leukemia 2019;33(4):884-892 WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW")
    wrapped = wrap_to_width(text, width, size)
    assert wrapped.replace("\n", " ").split(" ") == text.replace("\n", " ").split(" ")
    assert len(wrapped.splitlines()) > len(text.splitlines())
    fig = Figure(dpi=300)
    renderer = FigureCanvasAgg(fig).get_renderer()
    lines = wrapped.splitlines()
    for line, following in zip(lines, lines[1:] + [""]):
        words = line.split(" ")
        measured = fig.text(0, 0, line, fontsize=size, family=FONT_FAMILY).get_window_extent(renderer).width
        assert measured * 72 / fig.dpi <= width * 1.01 or len(words) == 1, line  # a single over-long word
        if following and following.split(" ")[0] and line + "\n" + following not in text:  # a break we made
            assert text_width_points(line + " " + following.split(" ")[0], size) > width
    assert wrap_to_width("short note", width, size) == "short note"
    assert wrap_to_width("", width, size) == ""


def test_axes_show_plain_numbers_without_offset_text():
    """No "1e6" or "+1e3" above an axis (it would sit under the title): values are written out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ino_study.figures.theme import style_axes

    fig = Figure(dpi=72)
    FigureCanvasAgg(fig)
    ax = style_axes(fig.add_subplot())
    ax.plot([0, 1, 2], [2_000_000, 2_000_001, 2_000_003])
    fig.canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert any(label.get_text().startswith("2000000") for label in ax.get_yticklabels())


def test_the_figure_step_does_not_import_lifelines():
    """Drawing the figures imports the drawing code without lifelines (about 1.5 s): statistics modules
    import it where a model is fitted. (scipy is imported: seaborn needs it.)"""
    import subprocess
    import sys

    code = ("import sys; import ino_study.figures.step; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'lifelines'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PROJECT_ROOT, env={**__import__("os").environ,
                                                   "PYTHONPATH": str(PROJECT_ROOT / "workflow" / "src")})
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------------------
# seaborn: the theme, and what the seaborn-drawn figures hold, on tiny hand-made data

TINY = SimpleNamespace(dpi=50, width_in=4.0, formats=("png", "svg"))


def tiny_settings():
    from ino_study.figures.theme import FigureSettings

    return FigureSettings(dpi=TINY.dpi, formats=TINY.formats, width_in=TINY.width_in)


def tiny_rates() -> pd.DataFrame:
    return pd.DataFrame({"label": ["CR/CRi\n(of evaluable)", "MRD-negative\n(of all)", "VOD/SOS"],
                         "measure": ["CR/CRi (responders)", "MRD-negative", "VOD/SOS"],
                         "population": ["evaluable", "analysed", "standard dose + HSCT after InO"],
                         "count": [6, 3, 1], "denominator": [8, 9, 4], "percent": [75.0, 100 / 3, 25.0],
                         "ci_lower_pct": [34.9, 7.5, 0.6], "ci_upper_pct": [96.8, 70.1, 80.6]})


def tiny_adverse_events() -> pd.DataFrame:
    """Three terms: Nausea 4 patients (grades 1, 1, 2, 3), Sepsis 2 (grade 5), Fever 1 (grade 1)."""
    return pd.DataFrame({"term": ["Fever", "Nausea", "Nausea", "Nausea", "Sepsis"],
                         "worst_grade": [1, 1, 2, 3, 5], "n_patients": [1, 2, 1, 1, 2]})


def tiny_mrd(n_patients: int = 3) -> pd.DataFrame:
    """`n_patients` patients with 2 measurements each (days 24 and 56); the second of patient 0 is below
    detection."""
    rows = []
    for i in range(n_patients):
        rows.append({"patient_id": f"P{i}", "day": 24, "mrd_percent": 1.0 + i, "below_detection": False,
                     "plotted_percent": 1.0 + i})
        below = i == 0
        rows.append({"patient_id": f"P{i}", "day": 56, "mrd_percent": np.nan if below else 0.1,
                     "below_detection": below, "plotted_percent": 0.01 if below else 0.1})
    return pd.DataFrame(rows)


def tiny_forest() -> pd.DataFrame:
    return pd.DataFrame({"label": ["OS: sex M vs F", "OS: dose_group standard vs reduced", "EFS: sex M vs F"],
                         "endpoint": ["OS", "OS", "EFS"], "covariate": ["sexM", "dose_groupstandard", "sexM"],
                         "group_by": ["sex", "dose_group", "sex"], "reference": ["F", "reduced", "F"],
                         "hr": [1.5, 0.8, 2.5], "hr_ci_lower": [0.7, 0.3, 1.1], "hr_ci_upper": [3.2, 2.1, 5.7],
                         "p_value": [0.3, 0.65, 0.03], "n": [20, 20, 20], "n_events": [12, 12, 15]})


def svg_text(fig) -> str:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue().decode("utf-8")


def test_the_theme_is_seaborns_with_a_colour_blind_safe_palette():
    """Every figure is drawn in seaborn's theme, whose colour cycle is the Okabe-Ito palette (each
    colour one of Okabe & Ito's eight), in DejaVu Sans; the figures' own colours are Okabe-Ito too."""
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib.colors import to_hex

    from ino_study.figures import bars, swimmer
    from ino_study.figures.theme import FONT_FAMILY, GREY, OKABE_ITO, PALETTE, new_figure

    okabe_ito = {c.lower() for c in OKABE_ITO.values()}
    assert len(okabe_ito) == 8 and {c.lower() for c in PALETTE} == okabe_ito
    new_figure(tiny_settings())
    assert [to_hex(c) for c in sns.color_palette()] == [c.lower() for c in PALETTE]
    assert [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]] == [c.lower() for c in PALETTE]
    assert mpl.rcParams["font.family"] == [FONT_FAMILY]
    assert {c.lower() for c in bars.GRADE_COLOURS.values()} <= okabe_ito
    assert {colour.lower() for _, colour, _, _ in swimmer.EVENTS.values()} <= okabe_ito | {GREY.lower()}


def test_rates_are_seaborn_bars_with_the_exact_intervals():
    from matplotlib.container import ErrorbarContainer
    from matplotlib.colors import to_hex

    from ino_study.figures.bars import draw_rates
    from ino_study.figures.theme import PALETTE

    data = tiny_rates()
    fig = draw_rates(data, tiny_settings(), 0.95)
    ax = fig.axes[0]
    assert len(ax.patches) == 3
    assert [p.get_height() for p in ax.patches] == pytest.approx(list(data["percent"]))
    assert [to_hex(p.get_facecolor()) for p in ax.patches] == [c.lower() for c in PALETTE[:3]]  # not desaturated
    assert [t.get_text() for t in ax.get_xticklabels()] == list(data["label"])
    errorbars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == 1
    segments = errorbars[0].lines[2][0].get_segments()
    assert np.allclose([(s[0][1], s[1][1]) for s in segments], data[["ci_lower_pct", "ci_upper_pct"]].to_numpy())
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["75.0%\n6/8", "33.3%\n3/9", "25.0%\n1/4"]
    # the title as text in the SVG, wrapped to the width of this 4-inch figure (it would leave the canvas)
    title = ax.get_title(loc="left")
    assert title.replace("\n", " ") == "Response, MRD and VOD/SOS (95% Clopper-Pearson CI)" and "\n" in title
    assert all(line in svg_text(fig) for line in title.split("\n"))


def test_adverse_events_are_stacked_by_grade_with_the_most_frequent_term_on_top():
    from matplotlib.colors import to_hex

    from ino_study.figures.bars import GRADE_COLOURS, draw_adverse_events

    fig = draw_adverse_events(tiny_adverse_events(), tiny_settings(), n_patients=10)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_width() > 0]
    # one bar per term and grade with patients: Nausea 1, 2, 3; Sepsis 5; Fever 1
    assert len(bars) == 5
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Nausea", "Sepsis", "Fever"]
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    assert ax.yaxis_inverted()  # the first term at the top
    nausea = sorted((p for p in bars if abs(p.get_y() + p.get_height() / 2 - ticks["Nausea"]) < 1e-9),
                    key=lambda p: p.get_x())
    assert [(p.get_x(), p.get_width()) for p in nausea] == [(0, 2), (2, 1), (3, 1)]  # grade 1 at the left
    assert [to_hex(p.get_facecolor()) for p in nausea] == [GRADE_COLOURS[g].lower() for g in (1, 2, 3)]
    assert [t.get_text() for t in ax.texts] == ["4 (40%)", "2 (20%)", "1 (10%)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"Grade {g}" for g in range(1, 6)]


@pytest.mark.parametrize("n_patients", [3, 12])
def test_mrd_trajectories_are_one_seaborn_line_per_patient(n_patients):
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_hex

    from ino_study.figures.mrd import draw_mrd
    from ino_study.figures.theme import GREY, PALETTE

    data = tiny_mrd(n_patients)
    fig = draw_mrd(data, tiny_settings(), threshold_percent=0.01)
    ax = fig.axes[0]
    lines = [line for line in ax.lines if line.get_linestyle() == "-"]  # the patients' (the threshold is dashed)
    assert len(lines) == n_patients
    drawn = sorted((tuple(line.get_xdata()), tuple(line.get_ydata())) for line in lines)
    assert drawn == sorted((tuple(rows["day"]), tuple(rows["plotted_percent"])) for _, rows in data.groupby("patient_id"))
    colours = [to_hex(line.get_color()) for line in lines]
    assert colours == ([c.lower() for c in PALETTE[:n_patients]] if n_patients <= len(PALETTE)
                       else [GREY.lower()] * n_patients)
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(c.get_offsets()) for c in points] == [2 * n_patients - 1, 1]  # measured, below detection
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Measured", "Below detection\n(at the limit)",
                                                                  "Threshold 0.01%"]
    assert ax.get_yscale() == "log"
    assert f"{n_patients} patients, {2 * n_patients} measurements." in fig.texts[0].get_text()


def test_forest_plot_is_a_seaborn_point_per_model_with_its_interval():
    from matplotlib.collections import LineCollection

    from ino_study.figures.forest import draw_forest

    data = tiny_forest()
    fig = draw_forest(data, tiny_settings(), 0.95)
    ax = fig.axes[0]
    points = [xy for line in ax.lines if line.get_marker() == "s" for xy in line.get_xydata() if np.isfinite(xy).all()]
    assert sorted(map(tuple, points)) == sorted(zip(data["hr"], range(len(data))))
    intervals = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(intervals) == 1
    assert np.allclose([s[:, 0] for s in intervals[0].get_segments()], data[["hr_ci_lower", "hr_ci_upper"]].to_numpy())
    # first row at the top; the dictionary's labels (forest_cox.csv's `label` keeps the machine names)
    from ino_study.endpoints.labels import Labels
    from ino_study.figures.forest import display_labels
    # (wrapped at spaces in this 4-inch figure: 30% of its width)
    assert [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()] == display_labels(data, Labels())
    assert ax.yaxis_inverted() and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts][2] == "2.50 (1.10-5.70)\np = 0.030"  # narrow: p under the ratio


def test_seaborn_figures_draw_empty_data_without_error():
    from ino_study.figures.bars import draw_adverse_events, draw_rates
    from ino_study.figures.forest import draw_forest
    from ino_study.figures.mrd import draw_mrd

    for fig in (draw_rates(tiny_rates().iloc[:0], tiny_settings(), 0.95),
                draw_adverse_events(tiny_adverse_events().iloc[:0], tiny_settings(), 0),
                draw_mrd(tiny_mrd().iloc[:0], tiny_settings(), 0.01),
                draw_forest(tiny_forest().iloc[:0], tiny_settings(), 0.95)):
        assert svg_text(fig)


def test_the_same_data_drawn_twice_gives_the_same_svg(tmp_path):
    """Determinism, figure by figure: drawn twice from the same data and saved by `save_figure`, the SVG
    files are byte-identical (seaborn's theme, the fixed hash salt, no dates)."""
    from ino_study.figures.bars import draw_adverse_events, draw_rates
    from ino_study.figures.forest import draw_forest
    from ino_study.figures.mrd import draw_mrd
    from ino_study.figures.theme import save_figure

    draws = {"rates": lambda: draw_rates(tiny_rates(), tiny_settings(), 0.95),
             "adverse_events": lambda: draw_adverse_events(tiny_adverse_events(), tiny_settings(), 10),
             "mrd": lambda: draw_mrd(tiny_mrd(12), tiny_settings(), 0.01, note="A note."),
             "forest": lambda: draw_forest(tiny_forest(), tiny_settings(), 0.95)}
    for name, draw in draws.items():
        paths = [tmp_path / f"{name}_{i}.svg" for i in (1, 2)]
        for path in paths:
            save_figure(draw(), [path], TINY.dpi)
        first, second = (path.read_bytes() for path in paths)
        assert first == second, name
        assert b"<dc:date>" not in first and b"ino-study" not in first  # the salt seeds ids, it is not written


def test_png_files_are_written_by_matplotlib_with_the_dpi_and_a_white_background(tmp_path):
    from ino_study.figures.bars import draw_rates
    from ino_study.figures.theme import save_figure

    fig = draw_rates(tiny_rates(), tiny_settings(), 0.95)
    fig.set_facecolor("#dddddd")
    save_figure(fig, [tmp_path / "rates.png"], dpi=TINY.dpi)
    image = Image.open(tmp_path / "rates.png")
    # narrower than the design width (7 in), a figure is relatively taller: 0.55 x (4 + 7) / 2 in
    assert image.size == (round(TINY.width_in * TINY.dpi), round(0.55 * (TINY.width_in + 7) / 2 * TINY.dpi))
    assert round(image.info["dpi"][0]) == TINY.dpi
    assert tuple(np.asarray(image)[0, 0][:3]) == (255, 255, 255)  # the background is white, not grey
