"""data/literature/published_cohorts.csv as corrected in issue 21 (item 9), and what the literature
figure draws from it.

Sources of the expected values: issue 21 ("Pennesi's cohort received 0.8-1.8 mg/m2 per cycle (1.8
then 1.5 is the recommended phase 2 dose); SEHOP's 45.8% is 12-month OS; the INO-VATE rates are over
the 109 patients of the InO arm (218 is both arms); Brivio's values (20/25, 80%, 59-93; MRD-negative
84% of responders, 60-97; 12-month OS 40%, 25-66) can be marked verified") and the published abstracts
cited in each row's `notes`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from ino_study.figures.literature import literature_data

PUBLISHED = PROJECT_ROOT / "data" / "literature" / "published_cohorts.csv"
COLUMNS = ["study", "short_citation", "citation", "population", "n", "dose", "response_pct", "response_ci_lower",
           "response_ci_upper", "response_verified", "response_definition", "mrd_negative_of_responders_pct",
           "mrd_negative_of_responders_ci_lower", "mrd_negative_of_responders_ci_upper",
           "mrd_negative_of_responders_verified", "os_1y_pct", "os_1y_ci_lower", "os_1y_ci_upper", "os_1y_verified",
           "vod_sos", "notes"]
FLAGS = [c for c in COLUMNS if c.endswith("_verified")]


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(PUBLISHED).set_index("study", drop=False)


def test_columns_are_kept(published):
    """Other tools read these columns: none renamed, dropped or added."""
    assert list(published.columns) == COLUMNS
    assert published["study"].is_unique


def test_every_flag_is_yes_no_or_empty_and_every_row_cites_its_source(published):
    for column in FLAGS:
        assert set(published[column].dropna()) <= {"yes", "no"}, column
    assert published["notes"].notna().all()
    for column in FLAGS:
        measure = column.removesuffix("_verified")
        # a flag says whether a drawn number was checked: it goes with a number
        assert (published[column].isna() | published[f"{measure}_pct"].notna()).all(), column


def test_ino_vate_rates_are_over_the_109_of_the_ino_arm(published):
    row = published.loc["Kantarjian 2016"]
    assert row["n"] == 109
    assert (row["response_pct"], row["response_ci_lower"], row["response_ci_upper"]) == (80.7, 72.1, 87.7)
    assert row["mrd_negative_of_responders_pct"] == 78.4
    assert "109" in row["population"] and "218" in row["population"]
    assert "109" in row["notes"] and "218" in row["notes"]


def test_brivio_values_are_verified(published):
    row = published.loc["Brivio 2021"]
    assert (row["n"], row["response_pct"], row["response_ci_lower"], row["response_ci_upper"]) == (25, 80, 59, 93)
    assert "20/25" in row["response_definition"]
    assert (row["mrd_negative_of_responders_pct"], row["mrd_negative_of_responders_ci_lower"],
            row["mrd_negative_of_responders_ci_upper"]) == (84, 60, 97)
    assert (row["os_1y_pct"], row["os_1y_ci_lower"], row["os_1y_ci_upper"]) == (40, 25, 66)
    assert (row["response_verified"], row["mrd_negative_of_responders_verified"], row["os_1y_verified"]) == (
        "yes", "yes", "yes")
    assert "UNVERIFIED" not in row["notes"]


def test_pennesi_dose_is_what_the_cohort_received(published):
    row = published.loc["Pennesi 2024"]
    assert "0.8-1.8" in row["dose"]
    # 1.8 then 1.5 is the recommended phase 2 dose, and is said to be so
    assert "recommended phase 2 dose" in row["dose"]
    assert not row["dose"].startswith("1.8 then 1.5")


def test_sehop_12_month_os_is_recorded_but_not_drawn(published):
    row = published.loc["SEHOP 2020"]
    assert "12-month OS 45.8%" in row["notes"] and "blinatumomab" in row["notes"]
    assert "Not drawn" in row["notes"]
    assert pd.isna(row["os_1y_pct"]) and pd.isna(row["response_pct"])


def test_the_figure_draws_the_corrected_values():
    published = pd.read_csv(PUBLISHED)
    response = pd.DataFrame({"measure": ["CR/CRi (responders)", "MRD-negative"], "population": ["evaluable",
                             "responders"], "percent": [75.0, 58.3], "ci_lower_pct": [47.6, 27.7],
                             "ci_upper_pct": [92.7, 84.8]})
    os_12 = pd.Series({"survival": 0.403, "ci_lower": 0.148, "ci_upper": 0.657})
    data = literature_data(published, response, os_12).set_index(["study", "measure"])
    assert "SEHOP 2020" not in data.index.get_level_values("study")
    for measure in ("response", "mrd_negative_of_responders", "os_1y"):
        assert data.loc[("Brivio 2021", measure), "verified"] == "yes"
    assert (data.loc[("Brivio 2021", "mrd_negative_of_responders"), "ci_lower"],
            data.loc[("Brivio 2021", "mrd_negative_of_responders"), "ci_upper"]) == (60, 97)
    assert data.loc[("Kantarjian 2016", "response"), ["ci_lower", "ci_upper"]].tolist() == [72.1, 87.7]
