"""Numbers as journals print them (issue 24, item 2): one convention for p-values, counts and
percentages (ino_study.outputs.formats), the same text in figures, reader tables and summary.md.

Expected strings are written by hand from the convention in docs/design.md ("Numbers")."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from ino_study.outputs.formats import (
    PERCENT_DECIMALS, format_ci, format_count, format_count_percent, format_level, format_p, format_p_label,
    format_percent, reader_cell,
)
from ino_study.tables.export import to_markdown

#: "p = 0.000", "p=1.000", "P = 0.0": what the convention never prints.
FORBIDDEN_P = re.compile(r"\bp\s*=\s*(?:0\.0+|1\.0+|0|1)(?![\d.])", re.IGNORECASE)


@pytest.mark.parametrize("p, text", [
    (0.0, "< 0.001"),
    (1e-12, "< 0.001"),
    (0.0009999, "< 0.001"),
    (0.001, "0.001"),
    (0.0042, "0.004"),
    (0.00999, "0.010"),   # 3 decimals below 0.01
    (0.01, "0.010"),      # 2 significant digits from 0.01
    (0.047, "0.047"),
    (0.049, "0.049"),
    (0.05, "0.050"),
    (0.0999, "0.10"),
    (0.23, "0.23"),
    (0.775784, "0.78"),
    (0.99, "0.99"),
    (0.994, "> 0.99"),
    (0.995, "> 0.99"),
    (1.0, "> 0.99"),
    (float("nan"), "NA"),
    (None, "NA"),
    (np.float64(0.0042), "0.004"),
])
def test_p_values_follow_the_convention(p, text):
    assert format_p(p) == text


@pytest.mark.parametrize("p, label", [(0.0009999, "p < 0.001"), (0.001, "p = 0.001"), (0.049, "p = 0.049"),
                                      (0.995, "p > 0.99"), (1.0, "p > 0.99"), (0.23, "p = 0.23")])
def test_p_labels(p, label):
    assert format_p_label(p) == label
    assert format_p_label(p, "Log-rank p") == "Log-rank " + label


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_a_number_that_is_not_a_p_value_is_an_error(p):
    with pytest.raises(ValueError, match="not a p-value"):
        format_p(p)


@pytest.mark.parametrize("n, text", [(0, "0"), (999, "999"), (1000, "1,000"), (628268, "628,268"),
                                     (1000000, "1,000,000"), (np.int64(628268), "628,268"), (17.0, "17"),
                                     (float("nan"), "NA")])
def test_counts_have_thousands_separators(n, text):
    assert format_count(n) == text


def test_percentages_intervals_and_levels():
    assert format_percent(0.403) == "40.3%"
    assert format_percent(47.0588, 0, scale=1) == "47%"
    assert format_percent(47.0588, 1, scale=1, symbol=False) == "47.1"
    assert format_percent(None, missing="not estimable") == "not estimable"
    assert format_ci(0.148, 0.657) == "14.8-65.7"
    assert format_ci(0.1, float("nan"), missing_upper="NR") == "10.0-NR"
    assert format_count_percent(8, 17) == "8 (47%)"
    assert format_count_percent(628268, 1000000, 1) == "628,268 (62.8%)"
    assert format_count_percent(0, 0) == "0"
    assert (format_level(0.95), format_level(0.9), format_level(0.975)) == ("95%", "90%", "97.5%")


def test_reader_cells():
    assert reader_cell("p_value", 1e-9) == "< 0.001"
    assert reader_cell("logrank_p", 0.9999) == "> 0.99"
    assert reader_cell("ph_p_value", np.float64(0.0042)) == "0.004"
    assert reader_cell("p_value", float("nan")) == ""
    assert reader_cell("n", np.int64(628268)) == "628,268"
    assert reader_cell("percent", 47.0588, 1) == "47.1"
    assert reader_cell("any_grade_pct", 47.0588, 0) == "47"
    assert reader_cell("hr", 1.28470123) == 1.2847
    assert reader_cell("display", "12/16 (75.0%; 47.6-92.7)") == "12/16 (75.0%; 47.6-92.7)"


# ---------------------------------------------------------------------------------------------------------
# figures and tables print the same text for the same number


def _km_figure_text(p: float, n: int = 2500) -> list[str]:
    from ino_study.figures.km import draw_km, km_figure_data
    from ino_study.figures.theme import FigureSettings

    rng = np.random.default_rng(5)
    data = km_figure_data(rng.exponential(12, n), (rng.random(n) < 0.6).astype(int),
                          np.where(rng.random(n) < 0.5, "yes", "no"), 0.95, "plain")
    fig = draw_km(data, FigureSettings(dpi=50, formats=("png",), width_in=4.0), "OS", "plain", 0.95,
                  group_title="prior_hsct", logrank_p=p)
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _markdown_p(p: float) -> str:
    """The p-value cell of a Markdown table holding `p` in a p_value column."""
    frame = pd.DataFrame({"endpoint": ["OS"], "hr": [1.2], "p_value": [p], "n": [17]})
    body = to_markdown(frame).splitlines()[2]
    return [cell.strip() for cell in body.strip("|").split("|")][2]


@pytest.mark.parametrize("p", [1e-12, 0.0009999, 0.001, 0.0042, 0.00999, 0.047, 0.680276, 0.775784, 0.995, 1.0])
def test_a_figures_p_label_equals_the_markdown_tables_p(p):
    from ino_study.figures.forest import draw_forest
    from ino_study.figures.theme import FigureSettings

    cell = _markdown_p(p)
    assert cell == format_p(p)
    km = [t for t in _km_figure_text(p) if "Log-rank" in t]
    assert len(km) == 1 and km[0].splitlines()[0] == format_p_label(p, "Log-rank p")
    assert km[0].splitlines()[0].endswith(cell)
    forest = pd.DataFrame({"label": ["OS: a vs b"], "endpoint": ["OS"], "covariate": ["ab"], "group_by": ["a"],
                           "reference": ["b"], "hr": [1.5], "hr_ci_lower": [0.7], "hr_ci_upper": [3.2],
                           "p_value": [p], "n": [20], "n_events": [12]})
    fig = draw_forest(forest, FigureSettings(dpi=50, formats=("png",), width_in=4.0), 0.95)
    # (in this 4-inch figure the p-value goes under the hazard ratio: a line break for "; ")
    labels = [t.get_text().replace("\n", "; ") for t in fig.axes[0].texts]
    assert labels == [f"1.50 (0.70-3.20); {format_p_label(p)}"]
    assert labels[0].endswith(cell)


def test_km_figure_counts_have_separators_and_no_zero_p():
    texts = _km_figure_text(1e-20)
    assert not any(FORBIDDEN_P.search(t) for t in texts), texts
    assert any(t == "Log-rank p < 0.001\nShaded: 95% CI (plain); + censored" for t in texts)
    counts = [t for t in texts if re.fullmatch(r"[\d,]+", t)]
    assert any("," in t for t in counts) and all(re.fullmatch(r"\d{1,3}(,\d{3})*", t) for t in counts)


def test_rate_bars_and_table_print_the_same_percentages():
    """The response figure and Table 2 use the table's decimals; the AE figure and Table 3 theirs."""
    from ino_study.figures.bars import draw_adverse_events, draw_rates
    from ino_study.figures.theme import FigureSettings
    from ino_study.tables.response import _row

    settings = FigureSettings(dpi=50, formats=("png",), width_in=4.0)
    row = _row("CR/CRi (responders)", "evaluable", 1234, 2000, 0.95)
    rates = pd.DataFrame([row | {"label": "CR/CRi"}])
    fig = draw_rates(rates, settings, 0.95)
    drawn = fig.axes[0].texts[0].get_text()
    assert drawn == "61.7%\n1,234/2,000"
    assert row["display"].startswith("1,234/2,000 (61.7%; ")
    md = to_markdown(pd.DataFrame([row]), decimals=PERCENT_DECIMALS["response"])
    assert "| 61.7 |" in md and "| 1,234 | 2,000 |" in md
    counts = pd.DataFrame({"term": ["Nausea"], "worst_grade": [1], "n_patients": [1176]})
    fig = draw_adverse_events(counts, settings, 2500)
    assert [t.get_text() for t in fig.axes[0].texts] == ["1,176 (47%)"]
    ae = pd.DataFrame({"any_grade_n": [1176], "any_grade_pct": [100 * 1176 / 2500], "any_grade": ["1,176 (47%)"]})
    assert "| 1,176 | 47 | 1,176 (47%) |" in to_markdown(ae, decimals=PERCENT_DECIMALS["adverse_events"])


# ---------------------------------------------------------------------------------------------------------
# reader-facing Markdown never prints "p = 0.000"


def _reader_markdown() -> dict[str, str]:
    results = PROJECT_ROOT / "results"
    files = sorted((results / "tables").glob("*.md")) + [results / "summary.md"]
    return {str(path.relative_to(PROJECT_ROOT)): path.read_text(encoding="utf-8") for path in files if path.exists()}


def test_no_reader_markdown_prints_a_zero_or_one_p_value():
    texts = _reader_markdown()
    # and a table of the statistics' p-values written the way the tables step writes them
    texts["cox-like"] = to_markdown(pd.DataFrame({"covariate": ["a", "b", "c"], "p_value": [1e-15, 0.0004, 1.0],
                                                  "ph_p_value": [0.00049, 0.9996, 0.5]}))
    assert "results/summary.md" in texts
    for name, text in texts.items():
        assert not FORBIDDEN_P.search(text), name
    assert "0.000" not in texts["cox-like"] and "1.000" not in texts["cox-like"]
    assert "| b | < 0.001 | > 0.99 |" in texts["cox-like"] and "| c | > 0.99 | 0.50 |" in texts["cox-like"]


def test_tables_step_markdown_uses_the_convention(tmp_path):
    """Tables written by the tables step: counts with separators, percentages with the table's decimals."""
    from test_tables import write_all
    from test_figures import make_cohort

    out = write_all(make_cohort(40, seed=11), tmp_path)
    response = Path(out.response_md).read_text(encoding="utf-8")
    table = pd.read_csv(out.response_csv)
    row = table.iloc[0]
    assert f"| {row['percent']:.1f} |" in response and f"| {row['display']} |" in response
    ae = Path(out.adverse_events_md).read_text(encoding="utf-8")
    first = pd.read_csv(out.adverse_events_csv).iloc[0]
    assert f"| {first['any_grade_pct']:.0f} |" in ae and f"({first['any_grade_pct']:.0f}%)" in ae
    for text in (response, ae):
        assert not FORBIDDEN_P.search(text)
