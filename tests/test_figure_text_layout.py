"""Issue 24, item 3 "No text on text": no two texts of a figure overlap and no text leaves the canvas.

Every figure the pipeline draws (figures.step.draw_figures, the list of figures.catalogue) is drawn
for the default cohort (the committed synthetic registry export, 17 patients) and for cohorts of
1,000 and 100,000 patients simulated by ino_study.synthetic.simulate_cohort, each taken through the
records and endpoints steps in-process (read, clean, derive) with the default config; and the
Kaplan-Meier figure by group with 1 to 6 groups at the three sizes; each at the default width (7 in,
double column) and at the single-column preset (3.5 in). After `fig.canvas.draw()`, every
visible, non-empty Text artist that was drawn (titles, axis and tick labels, annotations, legend
entries, risk-table labels and numbers, footnotes) gives its window extent; any two boxes that
overlap (by more than 0 px in both directions; boxes of zero area ignored) or a box outside the
figure fail the test, naming the figure, the cohort and the two texts.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from conftest import PROJECT_ROOT, load_config
from ino_study.endpoints.labels import Labels
from ino_study.figures.catalogue import figure_names
from ino_study.figures.km import draw_km, km_figure_data
from ino_study.figures.step import draw_figures
from ino_study.figures.theme import FigureSettings, left_title

CONFIG = load_config()
SIZES = ("default", "1,000", "100,000")
SIMULATED = {"1,000": 1_000, "100,000": 100_000}
#: config figures.width_in: the default (double column) and the single-column preset
WIDTHS = {"7": 7.0, "3.5": "single"}
PUBLISHED = PROJECT_ROOT / "data" / "literature" / "published_cohorts.csv"
GROUP_NAMES = ("Standard dose", "Reduced dose", "KMT2A-rearranged", "Normal karyotype", "Hypodiploid",
               "Other cytogenetics")


@contextmanager
def recording_drawn_texts():
    """The set of Text artists that draw themselves while inside (tick labels of ticks outside the
    axis limits, for example, exist but are never drawn)."""
    drawn: set[int] = set()
    original = Text.draw

    def draw(self, renderer):
        drawn.add(id(self))
        return original(self, renderer)

    Text.draw = draw
    try:
        yield drawn
    finally:
        Text.draw = original


def text_problems(fig, name: str) -> list[str]:
    """Every overlap of two text boxes and every text outside the canvas, as messages."""
    with recording_drawn_texts() as drawn:
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for text in fig.findobj(Text):
        if not (text.get_visible() and text.get_text().strip() and id(text) in drawn):
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((text, box))
    canvas = fig.bbox
    problems = []
    for text, box in boxes:
        if box.x0 < canvas.x0 or box.y0 < canvas.y0 or box.x1 > canvas.x1 or box.y1 > canvas.y1:
            problems.append(f"{name}: text {text.get_text()!r} leaves the canvas ({box.x0:.1f}, {box.y0:.1f}, "
                            f"{box.x1:.1f}, {box.y1:.1f} px; canvas {canvas.width:.0f} x {canvas.height:.0f})")
    for (a, box_a), (b, box_b) in combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > 0 and height > 0:
            problems.append(f"{name}: {a.get_text()!r} and {b.get_text()!r} overlap "
                            f"({width:.1f} x {height:.1f} px)")
    return problems


# ---------------------------------------------------------------------------------------------------------
# the cohorts: analysis datasets built in-process as the records and endpoints steps build them


def analysis_datasets(raw_data: str | Path) -> dict[str, pd.DataFrame]:
    from ino_study.endpoints.definitions import EndpointRules
    from ino_study.endpoints.derive import derive_analysis_datasets
    from ino_study.records.clean import clean_records
    from ino_study.records.read import read_registry_export
    from ino_study.records.step import eligibility_rules

    raw, findings = read_registry_export(raw_data)
    records = clean_records(raw, eligibility_rules(CONFIG), findings)
    datasets = derive_analysis_datasets(records.tables, EndpointRules.from_config(CONFIG))
    return {**datasets, "doses": records.tables["ino_doses"]}


def cohort(size: str) -> dict[str, pd.DataFrame]:
    if size == "default":
        return analysis_datasets(PROJECT_ROOT / CONFIG["raw_data"])
    from ino_study.synthetic import simulate_cohort, write_raw

    with tempfile.TemporaryDirectory() as folder:
        write_raw(simulate_cohort(SIMULATED[size], seed=1), folder)
        return analysis_datasets(folder)


def figure_problems(size: str) -> dict[str, dict[str, list[str]]]:
    """{width: {figure: problems}} for every figure of the pipeline drawn from the cohort of `size`,
    with config figures.width_in each of WIDTHS."""
    from ino_study.statistics.survival_analysis import (
        SurvivalData, SurvivalSettings, cox_table, logrank_table, survival_estimates,
    )

    data = cohort(size)
    settings = SurvivalSettings(tuple(float(t) for t in CONFIG["survival_timepoints_months"]), CONFIG["km_ci"],
                                float(CONFIG["confidence_level"]), tuple(CONFIG["comparisons"]))
    fitted = SurvivalData(data["adtte"], data["adsl"], settings)
    tables = (logrank_table(fitted), cox_table(fitted), survival_estimates(fitted))
    out: dict[str, dict[str, list[str]]] = {}
    for width, width_in in WIDTHS.items():
        config = {**CONFIG, "figures": {**CONFIG["figures"], "width_in": width_in}}
        out[width] = {name: text_problems(fig, f"{name} ({size} cohort, {width} in wide)")
                      for name, fig, _ in draw_figures(data["adsl"], data["adrs"], data["adtte"], data["adae"],
                                                       data["doses"], *tables, pd.read_csv(PUBLISHED), config)}
    return out


@pytest.fixture(scope="session")
def problems_of():
    """figure_problems of a cohort size, computed once per session (the cohort is built, analysed
    and drawn at every width once, then let go)."""
    cache: dict[str, dict[str, dict[str, list[str]]]] = {}

    def get(size: str, width: str) -> dict[str, list[str]]:
        if size not in cache:
            cache[size] = figure_problems(size)
        return cache[size][width]
    return get


FIGURES = figure_names(CONFIG["comparisons"])


def size_param(size: str):
    return pytest.param(size, marks=pytest.mark.slow) if size == "100,000" else size


@pytest.mark.parametrize("figure", FIGURES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("size", [size_param(s) for s in SIZES])
def test_no_text_on_text(problems_of, size, width, figure):
    problems = problems_of(size, width)
    assert figure in problems, f"{figure} not drawn for the {size} cohort"
    assert not problems[figure], "\n".join(problems[figure])


# ---------------------------------------------------------------------------------------------------------
# Kaplan-Meier by group, 1 to 6 groups


def km_groups(n_groups: int, n: int, seed: int = 4) -> pd.DataFrame:
    """KM figure data of `n` patients in `n_groups` groups with similar survival (crossing curves,
    12-month estimates and medians close together: the hardest case for the labels)."""
    rng = np.random.default_rng(seed)
    groups = np.array(GROUP_NAMES[:n_groups], dtype=object)[rng.integers(0, n_groups, n)]
    groups[:n_groups] = GROUP_NAMES[:n_groups]  # every group has a patient
    time = np.round(rng.exponential(14, n) + 0.1, 2)
    event = (rng.random(n) < 0.6).astype(int)
    time = np.minimum(time, 40.0)
    event[time >= 40.0] = 0
    return km_figure_data(time, event, groups, 0.95, "log-log")


@pytest.mark.parametrize("n", [17, 1_000, pytest.param(100_000, marks=pytest.mark.slow)])
@pytest.mark.parametrize("n_groups", range(1, 7))
@pytest.mark.parametrize("width", WIDTHS)
def test_no_text_on_text_km_by_group(width, n_groups, n):
    data = km_groups(n_groups, n)
    data = pd.concat([data, pd.DataFrame([{"element": "logrank_p", "group": "all", "value": 0.0004}])],
                     ignore_index=True)
    settings = FigureSettings.from_config({**CONFIG["figures"], "width_in": WIDTHS[width]})
    fig = draw_km(data, settings, "OS", "log-log", 0.95, logrank_p=0.0004, group_by="subgroup", labels=Labels())
    problems = text_problems(fig, f"km_os_by_subgroup ({n_groups} groups, {n:,} patients, {width} in wide)")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------
# the checker, the placement rule and the numbers-at-risk table on their own


def test_the_checker_finds_an_overlap_and_a_text_off_the_canvas():
    from ino_study.figures.theme import new_figure

    fig = new_figure(FigureSettings(dpi=100), aspect=0.5)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    ax.text(1.2, 0.5, "far right", transform=ax.transAxes)
    ax.text(0.1, 0.1, "")  # empty: ignored
    problems = text_problems(fig, "probe")
    assert any("'first label' and 'second label' overlap" in p for p in problems), problems
    assert any("'far right' leaves the canvas" in p for p in problems), problems
    assert len(problems) == 2, problems


def test_free_bottoms_by_hand():
    from ino_study.figures.placement import free_bottoms

    # the second label, 1 above the first and sharing its x, goes just above it (top 5 + gap 1)
    assert free_bottoms([(0, 0, 10, 5), (0, 1, 10, 6)], low=0, high=100, gap=1) == [0, 6]
    # a label elsewhere on x keeps its place
    assert free_bottoms([(0, 0, 10, 5), (20, 1, 30, 6)], low=0, high=100, gap=1) == [0, 1]
    # an obstacle at 3-8: the label (4-6) goes to the nearer free side, below it (bottom 1, 3 away)
    assert free_bottoms([(0, 4, 10, 6)], obstacles=[(0, 3, 10, 8)], low=0, high=100) == [1]
    # no room above: the label comes down to the top of the region (100 - 8)
    assert free_bottoms([(0, 98, 10, 106)], low=0, high=100) == [92]
    # a stack pushed against the top: the third goes below the other two
    assert free_bottoms([(0, 90, 10, 100), (0, 90, 10, 100), (0, 90, 10, 100)], low=0, high=100,
                        gap=2) == [90, 78, 66]
    # taller than the region: kept at the bottom of the region
    assert free_bottoms([(0, 5, 10, 205)], low=0, high=100) == [0]


def test_numbers_at_risk_are_thinned_and_separated():
    from ino_study.figures.km import numbers_at_risk
    from ino_study.figures.theme import new_figure

    def table(ticks, counts):
        fig = new_figure(FigureSettings(dpi=100), aspect=0.3)
        grid = fig.add_gridspec(1, 1, left=0.16, right=0.97)
        risk_ax = fig.add_subplot(grid[0])
        risk_ax.set_xlim(0, ticks[-1])
        shown = numbers_at_risk(fig, risk_ax, np.asarray(ticks, float),
                                [("A group with a long name", "#000000", counts), ("B", "#0072B2", counts)])
        return fig, shown

    ticks = np.arange(0, 121, 6.0)  # 21 times 6 months apart on ~5.5 in: 100,000 does not fit in each
    fig, shown = table(ticks, [100_000 - 4_000 * i for i in range(21)])
    assert 1 < len(shown) < len(ticks) and np.all(np.diff(shown) == shown[1] - shown[0])
    numbers = [t.get_text() for t in fig.axes[0].texts]
    assert "100,000" in numbers and len(numbers) == 2 * len(shown)
    assert not text_problems(fig, "risk table")
    fig, shown = table(np.arange(0, 25, 6.0), [17, 10, 6, 3, 1])  # few small numbers: every time labelled
    assert list(shown) == [0, 6, 12, 18, 24]
    assert not text_problems(fig, "small risk table")


@pytest.mark.parametrize("n_groups", [1, 2, 6])
def test_median_labels_stand_right_of_their_median_line(n_groups):
    data = km_groups(n_groups, 1_000)
    fig = draw_km(data, FigureSettings(dpi=100), "OS", "log-log", 0.95, group_by="subgroup", labels=Labels())
    fig.canvas.draw()
    ax = fig.axes[0]
    medians = data[data["element"] == "median"]["time_months"].to_numpy(float)
    labels = [t for t in ax.texts if t.get_text().startswith("median ")]
    assert len(labels) == np.isfinite(medians).sum() > 0
    for text in labels:
        months = float(text.get_text().split()[1])
        line_x = ax.transData.transform((months, 0))[0]
        box = text.get_window_extent(fig.canvas.get_renderer())
        assert box.x0 > line_x + 1 and box.y0 > ax.transData.transform((0, 0))[1], text.get_text()


def test_fit_to_canvas_leaves_a_fitting_figure_alone_and_fits_one_that_does_not():
    from ino_study.figures.theme import fit_to_canvas, label_axes, new_figure

    fig = new_figure(FigureSettings(dpi=100), aspect=0.5)
    ax = fig.add_axes((0.2, 0.2, 0.7, 0.6))
    label_axes(ax, "Months", "Survival (%)", "A short title")
    before = ax.get_position().bounds
    fit_to_canvas(fig)
    assert ax.get_position().bounds == before and not text_problems(fig, "fitting")

    fig = new_figure(FigureSettings(dpi=100, width_in=3.5), aspect=0.5)
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))  # no room for tick labels, axis labels or the title
    ax.set_yticks([0, 1], ["A rather long category name", "Another"])
    label_axes(ax, "Months since the first dose of inotuzumab ozogamicin", "",
               "A title far too long for a single-column figure of three and a half inches")
    assert text_problems(fig, "before")
    fit_to_canvas(fig)
    assert not text_problems(fig, "after"), text_problems(fig, "after")
    title = left_title(ax)  # the artist, found through public API
    assert "\n" in title.get_text() and title.get_fontweight() == "bold"  # re-wrapped, still bold
