"""Publication tables: Table 1 adds up, rates and AE counts are right, XLSX/DOCX open, files deterministic;
and (slow) the pipeline's tables, figure data and HTML report in a temporary copy of the project."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import run_snakemake
from ino_study.tables import table1 as t1
from ino_study.tables.step import TABLES, make_tables
from test_figures import CONFIG, make_cohort, statistics


@pytest.fixture(scope="module")
def cohort():
    return make_cohort(40, seed=11)


def write_all(cohort: dict, folder: Path) -> SimpleNamespace:
    folder.mkdir(parents=True, exist_ok=True)
    stats = statistics(cohort)
    for name in ("adsl", "adae"):
        cohort[name].to_parquet(folder / f"{name}.parquet", index=False)
    for name in ("estimates", "medians", "follow_up"):
        stats[name].to_csv(folder / f"{name}.csv", index=False)
    out = {f"{n}_{kind}": str(folder / f"{n}.{kind}") for n in TABLES for kind in ("csv", "md")}
    out.update(xlsx=str(folder / "tables.xlsx"), docx=str(folder / "tables.docx"))
    adam = SimpleNamespace(adsl=folder / "adsl.parquet", adae=folder / "adae.parquet")
    stat_paths = SimpleNamespace(**{n: folder / f"{n}.csv" for n in ("estimates", "medians", "follow_up")})
    make_tables(adam, stat_paths, CONFIG, SimpleNamespace(**out))
    return SimpleNamespace(**out)


def count(cell: str) -> int:
    return int(re.match(r"(\d+) \(", cell).group(1))


def test_table1_counts_add_up_to_n(cohort):
    table = t1.table1(cohort["adsl"], by="dose_group")
    n = int(cohort["adsl"]["included"].sum())
    overall = f"Overall, N = {n}"
    assert overall in table.columns
    group_columns = [c for c in table.columns if c.startswith("dose_group = ")]
    assert sum(int(c.rsplit("= ", 1)[1]) for c in group_columns) == n
    for variable, rows in table[table["kind"] == "categorical"].groupby("variable"):
        assert rows[overall].map(count).sum() == n, variable
        for column in group_columns:
            assert rows[column].map(count).sum() == int(column.rsplit("= ", 1)[1]), (variable, column)
    age = table[table["variable"] == "age_at_first_dose_years"][overall].iloc[0]
    assert re.fullmatch(r"[\d.]+ \[[\d.]+-[\d.]+\]", age)


def test_response_and_adverse_event_tables(cohort, tmp_path):
    out = write_all({k: v.copy() for k, v in cohort.items()}, tmp_path)
    adsl = cohort["adsl"][cohort["adsl"]["included"]]
    response = pd.read_csv(out.response_csv)
    row = response[response["measure"] == "CR/CRi (responders)"].iloc[0]
    assert (row["count"], row["denominator"]) == (adsl["responder"].sum(), adsl["evaluable"].sum())
    assert row["ci_lower_pct"] <= row["percent"] <= row["ci_upper_pct"]
    ae = pd.read_csv(out.adverse_events_csv)
    grades = ae[[f"worst_grade_{g}_n" for g in range(1, 6)]]
    assert (grades.sum(axis=1) == ae["any_grade_n"]).all()
    assert (grades[["worst_grade_3_n", "worst_grade_4_n", "worst_grade_5_n"]].sum(axis=1) == ae["grade3plus_n"]).all()
    assert (ae["any_grade_n"] <= len(adsl)).all() and (ae["denominator"] == len(adsl)).all()


def test_xlsx_has_one_sheet_per_table_and_docx_opens(cohort, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    out = write_all({k: v.copy() for k, v in cohort.items()}, tmp_path)
    workbook = load_workbook(out.xlsx)
    assert workbook.sheetnames == list(TABLES)
    for name in TABLES:
        assert workbook[name].max_row == len(pd.read_csv(getattr(out, f"{name}_csv"))) + 1
    document = Document(out.docx)
    assert len(document.tables) == len(TABLES)
    assert document.core_properties.author == ""
    assert document.core_properties.created.year == 2023


def test_outputs_are_deterministic(cohort, tmp_path):
    first = write_all({k: v.copy() for k, v in cohort.items()}, tmp_path / "a")
    second = write_all({k: v.copy() for k, v in cohort.items()}, tmp_path / "b")
    for key, path in vars(first).items():
        assert Path(path).read_bytes() == Path(getattr(second, key)).read_bytes(), key


@pytest.mark.slow
def test_pipeline_tables_figures_and_report(default_run):
    tables = default_run / "results" / "tables"
    t1_display = pd.read_csv(tables / "table1.csv")
    assert "Overall, N = 17" in t1_display.columns
    sex = t1_display.iloc[:2]
    assert sex["Overall, N = 17"].map(count).sum() == 17
    response = pd.read_csv(tables / "response.csv").set_index(["measure", "population"])
    assert response.loc[("CR/CRi (responders)", "evaluable"), "count"] == 12
    assert response.loc[("MRD-negative", "analysed"), ["count", "denominator"]].tolist() == [7, 17]
    km = pd.read_csv(default_run / "results" / "figures" / "data" / "km_os.csv")
    twelve = km[km["element"] == "timepoint"].iloc[0]
    assert round(twelve["value"] * 100, 1) == 40.3 and twelve["n"] == 5
    run_snakemake(default_run, "--report", "results/report.html")
    html = (default_run / "results" / "report.html").read_text(errors="ignore")
    assert len(html) > 100_000 and "km_os.png" in html and "table1.csv" in html


@pytest.mark.parametrize("setting, expected", [
    ({}, "prior_hsct"),  # key absent: the schema's default, first_comparison
    ({"table1_by": "first_comparison"}, "prior_hsct"),
    ({"table1_by": "first_comparison", "comparisons": []}, None),
    ({"table1_by": "none"}, None),
    ({"table1_by": "sex"}, "sex"),
])
def test_table1_is_split_by_the_configured_variable(cohort, setting, expected):
    from ino_study.tables.step import table1_group

    config = {"comparisons": ["prior_hsct", "dose_group"], **setting}
    assert table1_group(config) == expected
    table = t1.table1(cohort["adsl"], table1_group(config))
    split = [column for column in table.columns if ", N = " in str(column) and not str(column).startswith("Overall")]
    if expected is None:
        assert not split
    else:
        levels = cohort["adsl"].loc[cohort["adsl"]["included"], expected].astype(str).unique()
        assert split and all(str(column).startswith(f"{expected} = ") for column in split)
        assert len(split) == len(levels)


def test_response_table_gives_response_among_evaluable_and_all_treated():
    """Issue 21 item 3, by hand: 2 CR, 1 CRi, 1 NR, 1 not evaluable (and one excluded CR).

    Evaluable 3/4 (R binom.test(3, 4)$conf.int = 0.1941204 0.9936905); all treated 3/5
    (R binom.test(3, 5)$conf.int = 0.1466328 0.9472550); CR 2/5, CRi 1/5 over all treated."""
    from ino_study.tables.response import response_table

    from test_survival_analysis import TINY_RESPONSE

    adsl = TINY_RESPONSE.copy()
    table = response_table(adsl, 0.95).set_index(["measure", "population"])
    assert not table.index.duplicated().any()
    evaluable = table.loc[("CR/CRi (responders)", "evaluable")]
    assert (evaluable["count"], evaluable["denominator"], evaluable["percent"]) == (3, 4, 75.0)
    assert (evaluable["ci_lower_pct"], evaluable["ci_upper_pct"]) == pytest.approx((19.41204, 99.36905), abs=5e-6)
    treated = table.loc[("CR/CRi (responders)", "analysed")]
    assert (treated["count"], treated["denominator"], treated["percent"]) == (3, 5, 60.0)
    assert (treated["ci_lower_pct"], treated["ci_upper_pct"]) == pytest.approx((14.66328, 94.72550), abs=5e-6)
    assert treated["display"] == "3/5 (60.0%; 14.7-94.7)"
    assert (table.loc[("Best response CR", "analysed"), "count"], table.loc[("Best response CRi", "analysed"),
            "count"]) == (2, 1)
    assert table.loc[("Best response CR", "analysed"), "denominator"] == 5
    assert table.loc[("Not evaluable for response", "analysed"), "count"] == 1


def _docx_table_xml(fill) -> bytes:
    """The XML of a two-column table with a header row, its other rows added by `fill(table)`."""
    from docx import Document
    from lxml import etree

    document = Document()
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "h"
    fill(document, table)
    return etree.tostring(document.element.body)


def _python_docx_rows(rows):
    """The reference: `rows` added as python-docx adds them (table.add_row(), cell.text), in 8 pt."""
    from docx.shared import Pt

    def fill(document, table):
        for row in rows:
            for cell, text in zip(table.add_row().cells, row):
                cell.text = text
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8)

    return fill


def test_docx_rows_copied_from_a_template_are_those_python_docx_builds():
    """write_docx adds the rows of a large table by copying one built row (tables.export._add_rows):
    the XML must be what python-docx's table.add_row() and cell.text give, cell by cell in 8 pt, also for
    the cells python-docx writes specially (empty, tab, line breaks, leading/trailing spaces, markup)."""
    from ino_study.tables.export import _add_rows

    rows = [["a", "1,234"], ["", " padded "], ["tab\there", "line\nbreak\r\nend"], ["<&>", "Гепатотоксичность"],
            ["x", ""], ["  ", "\t"]]

    expected = _docx_table_xml(_python_docx_rows(rows))
    assert _docx_table_xml(lambda document, table: _add_rows(document, table, rows)) == expected
    assert expected.count(b"<w:tr") == 1 + len(rows) and b"<w:tab/>" in expected  # the reference did its job
    assert _docx_table_xml(lambda document, table: _add_rows(document, table, [])) == \
        _docx_table_xml(lambda document, table: None)


def test_reader_cells_are_formatted_once_per_distinct_value_as_cell_by_cell():
    """The reader tables format each distinct value of a column once (tables.export._rows); the text
    must be what formatting every cell gives, with 1, 1.0 and True, and 0.0 and -0.0, kept apart."""
    from ino_study.tables.export import _rows, reader_text

    frame = pd.DataFrame({"a": pd.Series([1, 1.0, True, 0.0, -0.0, float("nan"), None, "x", "x", 1], dtype=object),
                          "p_value": [0.5, 0.0001, 0.5, None, 0.02, 0.5, 0.999, 0.5, 0.5, 0.5],
                          "rate_pct": [12.345] * 5 + [float("nan")] * 5})
    expected = [[str(reader_text(c, v, 1)) for c, v in zip(frame.columns, row)] for row in frame.itertuples(index=False)]
    assert _rows(frame, 1) == expected
    assert expected[0][0] != expected[2][0] and expected[3][0] != expected[4][0]  # the keys must differ
