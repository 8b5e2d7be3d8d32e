"""Issue 24, items 1 and 4: reader labels from the analysis-dataset dictionary (overridable in config
`labels`) in the figures and the Markdown tables, machine names kept in the CSVs; Kaplan-Meier censor
marks thinned to one per pixel column above `figures.censor_marks_max` censorings per curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from ino_study.endpoints.labels import Labels
from ino_study.figures.forest import display_labels
from ino_study.figures.km import axes_width_px, draw_km, km_figure_data
from ino_study.figures.theme import FigureSettings
from ino_study.tables import table1 as t1
from ino_study.tables.export import to_markdown
from ino_study.tables.step import build_tables

OVERRIDE = {"labels": {"variables": {"prior_hsct": "Transplant before InO"},
                       "levels": {"prior_hsct": {"yes": "Transplanted", "no": "Not transplanted"},
                                  "dose_group": {"standard": "Standard dose"}}}}


def texts(fig) -> list[str]:
    """Every text drawn in the figure: titles, legend entries, tick labels, annotations."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def km_by(column: str, values: np.ndarray, labels: Labels, n: int = 17, seed: int = 5):
    rng = np.random.default_rng(seed)
    time, event = rng.exponential(12, n), (rng.random(n) < 0.6).astype(int)
    data = km_figure_data(time, event, values, 0.95, "plain")
    return draw_km(data, FigureSettings(dpi=100), "OS", "plain", 0.95, group_by=column, labels=labels)


def test_dictionary_labels_in_a_km_figure():
    groups = np.array(["no", "yes"] * 8 + ["no"], dtype=object)
    fig = km_by("prior_hsct", groups, Labels())
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Overall survival by prior HSCT"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("No (n = ") and legend[1].startswith("Yes (n = ")
    assert "prior_hsct" not in " ".join(texts(fig))
    risk = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert set(risk) == {"No", "Yes"}


def test_config_overrides_the_labels_of_a_km_figure():
    labels = Labels.from_config(OVERRIDE)
    fig = km_by("prior_hsct", np.array(["no", "yes"] * 8 + ["no"], dtype=object), labels)
    assert fig.axes[0].get_title(loc="left") == "Overall survival by transplant before InO"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("Not transplanted") and legend[1].startswith("Transplanted")
    dose = km_by("dose_group", np.array(["standard", "reduced"] * 8 + ["standard"], dtype=object), labels)
    assert dose.axes[0].get_title(loc="left") == "Overall survival by dose group"
    legend = [t.get_text() for t in dose.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("Reduced") and legend[1].startswith("Standard dose")


def test_labels_of_levels_and_variables():
    labels = Labels()
    assert labels.level("prior_hsct", True) == labels.level("prior_hsct", "yes") == "Yes"
    assert labels.level("sex", "F") == "Female" and labels.level("cytogenetics", "KMT2A-r") == "KMT2A-r"
    assert labels.variable_in_text("prior_hsct") == "prior HSCT"
    assert labels.variable_in_text("hsct_after_ino") == "HSCT after InO"
    assert labels.variable("an_unknown_column") == "an_unknown_column"


@pytest.mark.parametrize("label, in_text", [
    ("Sex", "sex"),                                   # an ordinary word: lowered
    ("Dose group", "dose group"),                     # only the first letter
    ("InO cycles", "InO cycles"),                     # mixed case: kept
    ("CD22 expression, % of blasts", "CD22 expression, % of blasts"),  # an acronym: kept
    ("HSCT after InO", "HSCT after InO"),
    ("1st-line therapy", "1st-line therapy"),         # not a letter first: kept
    ("A", "a"),                                       # one letter
])
def test_a_variable_label_inside_a_sentence(label, in_text):
    labels = Labels.from_config({"labels": {"variables": {"x": label}}})
    assert labels.variable_in_text("x") == in_text


def test_labels_from_config_accepts_the_whole_config_or_the_labels_mapping():
    whole = Labels.from_config({"labels": {"variables": {"sex": "Gender"}, "levels": {"sex": {"F": "Girl"}}}})
    own = Labels.from_config({"variables": {"sex": "Gender"}, "levels": {"sex": {"F": "Girl"}}})
    for labels in (whole, own):
        assert labels.variable("sex") == "Gender" and labels.level("sex", "F") == "Girl"
        assert labels.level("sex", "M") == "Male" and labels.variable("age_group") == "Age group"
    assert Labels.from_config(None) == Labels.from_config({}) == Labels()
    # booleans given as YAML true/false become the yes/no the statistics tables write
    flags = Labels.from_config({"labels": {"levels": {"prior_hsct": {True: "Transplanted", False: "Not"}}}})
    assert flags.level("prior_hsct", "yes") == "Transplanted" and flags.level("prior_hsct", False) == "Not"


def test_forest_labels_from_the_dictionary_data_label_unchanged():
    data = pd.DataFrame({"label": ["OS: prior_hsct yes vs no"], "endpoint": ["OS"], "covariate": ["prior_hsctyes"],
                         "group_by": ["prior_hsct"], "reference": ["no"]})
    assert display_labels(data, Labels()) == ["OS: Prior HSCT, Yes vs No"]
    assert display_labels(data, Labels.from_config(OVERRIDE)) == [
        "OS: Transplant before InO, Transplanted vs Not transplanted"]


@pytest.fixture(scope="module")
def cohort():
    from test_figures import make_cohort, statistics
    c = make_cohort(30, seed=3)
    return c, statistics(c)


def tables(cohort, config, reader):
    c, stats = cohort
    base = {"confidence_level": 0.95, "km_ci": "plain", "comparisons": ["prior_hsct", "dose_group"]}
    return build_tables(c["adsl"], c["adae"], stats["estimates"], stats["medians"], stats["follow_up"],
                        {**base, **config}, reader=reader)


def test_table1_md_has_dictionary_labels_and_csv_machine_names(cohort):
    frame, note = tables(cohort, {}, reader=True)["table1"]
    md = to_markdown(frame, "Table 1", note)
    assert "Prior HSCT: No, N = " in md and "Prior HSCT: Yes, N = " in md and "prior_hsct" not in md
    assert "| Dose group | Reduced |" in md and "| Sex | Female |" in md
    csv = tables(cohort, {}, reader=False)["table1"][0]
    assert any(c.startswith("prior_hsct = No") for c in csv.columns)
    assert "InO dose group" in set(csv["Characteristic"]) and "F" in set(csv[""])
    survival = tables(cohort, {}, reader=True)["survival_summary"][0]
    assert {"Prior HSCT", "Dose group", "All patients"} <= set(survival["group_by"])
    assert "prior_hsct" in set(tables(cohort, {}, reader=False)["survival_summary"][0]["group_by"])


def test_config_overrides_table1_labels(cohort):
    frame, note = tables(cohort, OVERRIDE, reader=True)["table1"]
    md = to_markdown(frame, "Table 1", note)
    assert "Transplant before InO: Transplanted, N = " in md
    assert "| Dose group | Reduced |" in md and "|  | Standard dose |" in md
    # the machine-readable form is the same whatever the labels
    pd.testing.assert_frame_equal(t1.display(t1.table1(cohort[0]["adsl"], "prior_hsct")),
                                  tables(cohort, OVERRIDE, reader=False)["table1"][0])


def censor_points(fig) -> int:
    """Censor marker points drawn on the curves' axes ('+' markers)."""
    return sum(len(line.get_xdata()) for line in fig.axes[0].get_lines() if line.get_marker() == "+")


def test_censor_marks_thinned_at_100000_patients():
    rng = np.random.default_rng(24)
    n = 100_000
    time = rng.exponential(14, n)
    event = (rng.random(n) < 0.6).astype(int)
    groups = np.where(rng.random(n) < 0.4, "yes", "no").astype(object)
    settings = FigureSettings(dpi=150)
    data = km_figure_data(time, event, groups, 0.95, "plain")
    fig = draw_km(data, settings, "OS", "plain", 0.95, group_by="prior_hsct")
    ax = fig.axes[0]
    width = axes_width_px(fig, ax, settings.dpi)
    assert width == pytest.approx(ax.get_window_extent().width * settings.dpi / fig.dpi, abs=1)
    for line in (l for l in ax.get_lines() if l.get_marker() == "+"):
        assert len(line.get_xdata()) <= width  # each curve: at most one mark per pixel column
        columns = np.floor(np.asarray(line.get_xdata()) / ax.get_xlim()[1] * width)
        assert len(np.unique(columns)) == len(columns)
    assert censor_points(fig) <= 2 * width
    assert any("thinned" in t for t in texts(fig))


def test_every_censoring_marked_at_17_patients():
    rng = np.random.default_rng(3)
    time = np.round(rng.exponential(12, 17), 2)
    event = np.array([1, 0] * 8 + [0])
    data = km_figure_data(time, event, None, 0.95, "plain")
    fig = draw_km(data, FigureSettings(dpi=100), "OS", "plain", 0.95)
    assert censor_points(fig) == len(np.unique(time[event == 0])) == int(data.loc[data["element"] == "censor", "n"].sum())
    assert not any("thinned" in t for t in texts(fig))


def test_threshold_is_configurable():
    settings = FigureSettings.from_config({"censor_marks_max": 3})
    assert settings.censor_marks_max == 3
    rng = np.random.default_rng(1)
    time = rng.exponential(12, 40)
    data = km_figure_data(time, np.zeros(40, int), None, 0.95, "plain")
    fig = draw_km(data, settings, "OS", "plain", 0.95)
    assert any("thinned" in t for t in texts(fig))


def test_level_key_writes_a_whole_float_as_an_integer():
    from ino_study.endpoints.labels import level_key

    # a level read as 2.0 (a float column) is the machine value "2", as YAML's key 2 is
    assert level_key(2.0) == "2" and level_key(0.0) == "0" and level_key(2.5) == "2.5"
    labels = Labels.from_config({"labels": {"levels": {"relapse_number": {2: "Two relapses"}}}})
    assert labels.level("relapse_number", 2.0) == labels.level("relapse_number", 2) == "Two relapses"


def test_a_generic_level_label_is_found_as_written_before_lower_case():
    labels = Labels(generic={"NA": "Not available", "unknown": "Unknown"})
    assert labels.level("cytogenetics", "NA") == "Not available"  # as written ("na" is not listed)
    assert labels.level("cytogenetics", "UNKNOWN") == "Unknown"   # in lower case
    assert labels.level("cytogenetics", "other") == "other"       # neither: the value itself
