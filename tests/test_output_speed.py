"""The output steps at scale (issue #23): the columnar helpers give what the pandas code they replace gave.

Each helper is compared with the code it replaced (the pandas call, or the previous implementation
copied here as the reference) on random inputs: `isin_text` with `Series.isin`, `sorted_distinct_text`
with `np.sort(pd.unique(...))`, `read_parquet`'s column and row selection with reading everything and
selecting in pandas, the seeded patient sample with the previous sampling, Table 1 with the previous
frame-per-column code, `worst_grades` with the previous groupby on the two text columns, the
write-only XLSX writer with the previous cell-by-cell one (every cell's value, type, number format and
font, and the column widths), and the figures drawn from the datasets read only as far as they need
(`read_datasets`) with the figures drawn from the whole datasets.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ino_study.figures.catalogue import figure_names
from ino_study.figures.sampling import sample_patients
from ino_study.figures.step import dataset_selection, draw_figures, read_datasets
from ino_study.outputs.formats import is_p_column, is_percent_column
from ino_study.outputs.io import isin_text, read_parquet, sorted_distinct_text
from ino_study.tables import table1 as t1
from ino_study.tables.export import (
    _cell, _column_values, header, percent_decimals, reader_cell, reader_text, sheet_name, write_xlsx,
)
from test_figures import CONFIG, make_cohort, statistics

IDS = st.sampled_from(["P1", "P2", "p1", "Ж-7", "", " P1", "P1 ", "a\x00", "a", "ü", "10", "9", "😀"])
VALUES = st.one_of(IDS, st.text(max_size=5), st.none(), st.just(float("nan")), st.integers(-3, 3))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=30), st.lists(VALUES, max_size=10))
def test_isin_text_is_pandas_isin(values, allowed):
    expected = pd.Series(values, dtype=object).isin(allowed).to_numpy()
    np.testing.assert_array_equal(isin_text(pd.Series(values, dtype=object), allowed), expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(IDS, st.text(max_size=6)), max_size=40))
def test_sorted_distinct_text_is_numpy_sort_of_the_distinct_values(values):
    expected = np.sort(pd.unique(np.asarray(values, dtype=object)))
    got = sorted_distinct_text(pd.Series(values, dtype=object))
    assert got.dtype == object and got.tolist() == expected.tolist()


def previous_sample(ids: pd.Series, limit: int, seed: int = 20230131):
    """sample_patients before issue #23's rewrite (figures/sampling.py at 6c9634a)."""
    unique = np.sort(pd.unique(ids.astype(str)))
    if unique.size <= limit:
        return unique
    return np.sort(np.random.default_rng(seed).choice(unique, size=limit, replace=False))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(IDS, st.text(min_size=1, max_size=6)), max_size=200), st.integers(1, 40),
       st.integers(0, 2**31))
def test_the_seeded_sample_is_the_previous_one(ids, limit, seed):
    got, note = sample_patients(pd.Series(ids, dtype=object), limit, seed)
    assert got.tolist() == previous_sample(pd.Series(ids, dtype=object), limit, seed).tolist()
    assert bool(note) == (len(set(ids)) > limit)


def test_a_large_sample_is_the_previous_one():  # above 10,000 values numpy draws by another method
    ids = pd.Series([f"R{i:07d}" for i in np.random.default_rng(3).permutation(60_000)], dtype=object)
    assert sample_patients(ids, 40)[0].tolist() == previous_sample(ids, 40).tolist()


@st.composite
def adtte_like(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    return pd.DataFrame({
        "patient_id": draw(st.lists(IDS.filter(lambda v: "\x00" not in v), min_size=n, max_size=n)),
        "PARAMCD": draw(st.lists(st.sampled_from(["OS", "EFS", "REL", "DOR"]), min_size=n, max_size=n)),
        "AVAL": draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)),
        "CNSR": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
        "flag": pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)), dtype="boolean"),
        "date": pd.to_datetime(draw(st.lists(st.sampled_from(["2020-01-01", "2021-05-06", None]), min_size=n,
                                             max_size=n))),
    })


@settings(max_examples=100, deadline=None)
@given(adtte_like(), st.lists(st.sampled_from(["patient_id", "PARAMCD", "AVAL", "CNSR", "flag", "date", "absent"]),
                              unique=True),
       st.one_of(st.none(), st.lists(st.sampled_from(["OS", "EFS", "REL", "XX"]), min_size=1, unique=True)))
def test_read_parquet_selects_columns_and_rows_as_pandas_would(frame, columns, endpoints):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.parquet"
        frame.to_parquet(path, index=False)
        got = read_parquet(path, columns, None if endpoints is None else {"PARAMCD": endpoints})
    expected = frame
    if endpoints is not None:
        expected = expected[expected["PARAMCD"].isin(endpoints)].reset_index(drop=True)
    expected = expected[[c for c in frame.columns if c in columns]]
    pd.testing.assert_frame_equal(got, expected, check_index_type=True)


def previous_table1(adsl: pd.DataFrame, by=None, labels=None) -> pd.DataFrame:
    """Table 1 before issue #23's rewrite (tables/table1.py at 6c9634a): a frame per column."""
    from ino_study.statistics.distinct import map_distinct

    included = adsl[adsl["included"]].copy()
    columns = [(t1.column_header("Overall", len(included)), included)]
    if by:
        levels_by = map_distinct(included[by], t1._level)
        for level in sorted(levels_by.unique()):
            part = included[levels_by == level]
            name = f"{by} = {level}" if labels is None else f"{labels.variable(by)}: {labels.level(by, level)}"
            columns.append((t1.column_header(name, len(part)), part))
    rows = []
    for variable, label, kind in t1.VARIABLES:
        if variable not in included.columns:
            continue
        if labels is not None:
            label = labels.variable(variable)
        missing_level = t1.MISSING_LEVELS.get(variable, t1.NOT_RECORDED if variable in t1.NOT_RECORDED_VARIABLES
                                              else "Unknown")
        if kind in ("continuous", "median_iqr"):
            level = "Median [range]" if kind == "continuous" else "Median (Q1, Q3)"
            summary = t1._continuous if kind == "continuous" else t1._quartiles
            row = {"variable": variable, "label": label, "level": level, "kind": "continuous"}
            for head, part in columns:
                row[head] = summary(part[variable])
            rows.append(row)
            if int(included[variable].isna().sum()):
                row = {"variable": variable, "label": label, "level": missing_level, "kind": "missing"}
                for head, part in columns:
                    row[head] = t1.format_count(int(part[variable].isna().sum()))
                rows.append(row)
            continue
        levels = map_distinct(included[variable], lambda v: t1._level(v, missing_level))
        order = sorted(levels.unique(), key=lambda v: (v == missing_level, v))
        counts = [levels.loc[part.index].value_counts() for _, part in columns]
        for level in order:
            shown = level if labels is None else labels.level(variable, level)
            row = {"variable": variable, "label": label, "level": shown, "kind": kind}
            for (head, part), count in zip(columns, counts):
                row[head] = t1._count(int(count.get(level, 0)), len(part))
            rows.append(row)
    return pd.DataFrame(rows, columns=t1.COLUMNS + [head for head, _ in columns])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(0, 10**6), st.sampled_from([None, "prior_hsct", "dose_group", "sex",
                                                                   "cytogenetics", "n_cycles"]),
       st.booleans(), st.booleans())
def test_table1_is_the_previous_table1(n, seed, by, labelled, holes):
    from ino_study.endpoints.labels import Labels

    adsl = make_cohort(n, seed)["adsl"]
    rng = np.random.default_rng(seed)
    adsl["included"] = rng.random(n) < 0.8
    if holes:  # missing values in a continuous, a median (Q1, Q3) and a categorical variable
        adsl["cd22_pct"] = adsl["cd22_pct"].astype(float).where(rng.random(n) < 0.7)
        adsl["prior_lines"] = pd.array(rng.integers(0, 4, n), dtype="Int64")
        adsl.loc[rng.random(n) < 0.5, "prior_lines"] = pd.NA
        adsl["cns_status"] = pd.Series(rng.choice(["CNS1", "CNS3", None], n), dtype=object)
    labels = Labels.from_config(CONFIG) if labelled else None
    pd.testing.assert_frame_equal(t1.table1(adsl, by, labels), previous_table1(adsl, by, labels))


def previous_write_xlsx(tables, path, language="en"):
    """write_xlsx before issue #23's rewrite (tables/export.py at 6c9634a): openpyxl's normal mode, cell by cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in tables.items():
        sheet = workbook.create_sheet(sheet_name(name))
        sheet.append([header(c, language) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        decimals = percent_decimals(name)

        def xlsx_cell(c, v):
            return (reader_cell(c, v, decimals, language) if is_p_column(c)
                    else reader_text(c, v, decimals, language) if isinstance(v, str) else _cell(v))

        for row in zip(*[_column_values(frame, index, xlsx_cell) for index in range(len(frame.columns))]):
            sheet.append(list(row))
        for index, column in enumerate(frame.columns, start=1):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, float) and is_percent_column(column):
                    cell.number_format = "0" if decimals == 0 else "0." + "0" * decimals
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0"
            texts = _column_values(frame, index - 1, lambda c, v: len(str(reader_text(c, v, decimals, language))))
            width = max([len(header(column, language))] + texts) + 2
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(width, 60)
    workbook.save(path)


def xlsx_content(path) -> list:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    content = []
    for sheet in workbook.worksheets:
        cells = [(c.coordinate, c.value, type(c.value).__name__, c.number_format, bool(c.font.b), c.data_type)
                 for row in sheet.iter_rows() for c in row]
        widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
        content.append((sheet.title, sheet.max_row, sheet.max_column, cells, widths))
    return content


@pytest.mark.parametrize("language", ["en", "ru"])
def test_write_only_xlsx_has_the_cells_of_the_cell_by_cell_writer(tmp_path, language):
    from ino_study.tables.step import build_tables

    cohort = make_cohort(80, seed=5)
    stats = statistics(cohort)
    config = {**CONFIG, "language": language}
    tables = build_tables(cohort["adsl"], cohort["adae"], stats["estimates"], stats["medians"], stats["follow_up"],
                          config, reader=True)
    frames = {name: frame for name, (frame, _) in tables.items()}
    if language == "en":  # (its headings and texts have no Russian entries)
        frames["awkward"] = pd.DataFrame({"n": [1, 2, 1, None], "rate_pct": [12.5, 0.0, -0.0, float("nan")],
                                          "p_value": [0.0004, 0.5, 1.0, None], "text": ["a", " b ", "", None],
                                          "flag": [True, False, True, False]}, dtype=object)
    write_xlsx(frames, tmp_path / "new.xlsx", language)
    previous_write_xlsx(frames, tmp_path / "old.xlsx", language)
    new, old = xlsx_content(tmp_path / "new.xlsx"), xlsx_content(tmp_path / "old.xlsx")
    assert [sheet[0] for sheet in new] == list(frames)
    assert new == old
    assert any(cell[3] == "#,##0" for sheet in new for cell in sheet[3])  # formats were compared, not absent


def test_figures_drawn_from_the_datasets_read_as_far_as_needed_equal_those_from_the_whole(tmp_path):
    from ino_study.figures.step import transplant_tables

    cohort = make_cohort(120, seed=4)
    stats = statistics(cohort)
    published = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "literature" / "published_cohorts.csv")
    paths = SimpleNamespace()
    for name in ("adsl", "adrs", "adtte", "adae", "doses"):
        cohort[name].to_parquet(tmp_path / f"{name}.parquet", index=False)
        setattr(paths, name, tmp_path / f"{name}.parquet")
    whole = {name: pd.read_parquet(getattr(paths, name)) for name in ("adsl", "adrs", "adtte", "adae", "doses")}
    comparisons = tuple(CONFIG["comparisons"])
    names = figure_names(comparisons)
    for given in (True, False):  # without the transplant tables the figures compute them from everything
        assert (dataset_selection(names, comparisons, given)["adtte"][1] is None) == (not given)
        tables = transplant_tables(whole["adsl"], whole["adtte"], CONFIG) if given else None
        for only in (names, ["km_os", "swimmer"], ["forest_cox", "response_rates"]):
            read = read_datasets(paths, only, comparisons, given)
            drawn = []
            for source in (read, whole):
                out = {}
                for name, fig, data in draw_figures(source["adsl"], source["adrs"], source["adtte"], source["adae"],
                                                    source["doses"], stats["logrank"], stats["cox"],
                                                    stats["estimates"], published, CONFIG, transplant=tables,
                                                    only=only):
                    out[name] = data
                    plt.close(fig)
                drawn.append(out)
            assert list(drawn[0]) == list(drawn[1]) and set(drawn[1]) == set(only)
            for name, data in drawn[1].items():
                pd.testing.assert_frame_equal(drawn[0][name], data, obj=name)
            if "swimmer" not in only:
                assert read["doses"].empty and read["adae"].empty


def previous_worst_grades(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """worst_grades before issue #23's rewrite (tables/adverse_events.py at 6c9634a): groupby on the two texts."""
    included = adsl.loc[adsl["included"], "patient_id"]
    events = adae[adae["patient_id"].isin(included)]
    worst = events.groupby(["AEDECOD", "patient_id"], sort=True)["AETOXGR"].max().reset_index()
    return worst.rename(columns={"AEDECOD": "term", "AETOXGR": "worst_grade"})


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 10**6), st.sampled_from(["int64", "Int64", "float64"]), st.booleans())
def test_worst_grades_are_those_of_the_groupby(n_events, seed, grade_type, holes):
    from ino_study.tables.adverse_events import worst_grades

    rng = np.random.default_rng(seed)
    ids = np.array(["P1", "P10", "P2", "Ж", "p1", "P1 "], dtype=object)
    adsl = pd.DataFrame({"patient_id": ids, "included": rng.random(len(ids)) < 0.8})
    terms = np.array(["Nausea", "Sepsis", "VOD/SOS", "Анемия", "nausea"], dtype=object)
    adae = pd.DataFrame({"patient_id": rng.choice(np.r_[ids, ["P99"]], n_events).astype(object),
                         "AEDECOD": rng.choice(terms, n_events).astype(object),
                         "AETOXGR": pd.array(rng.integers(1, 6, n_events), dtype=grade_type)})
    if holes and n_events:
        adae.loc[rng.random(n_events) < 0.2, "AEDECOD"] = None
        if grade_type != "int64":
            adae.loc[rng.random(n_events) < 0.2, "AETOXGR"] = None
    pd.testing.assert_frame_equal(worst_grades(adsl, adae), previous_worst_grades(adsl, adae))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.floats(allow_nan=False), st.integers(-5, 5),
                          st.booleans(), st.text(max_size=3)), max_size=25),
       st.sampled_from([object, "Int64", "float64", "boolean", "string-only"]))
def test_column_codes_give_each_row_what_the_value_by_value_cache_gave(values, kind):
    from ino_study.tables.export import _cached, _column_codes, _taken

    if kind == "Int64":
        column = pd.Series([v if isinstance(v, int) and not isinstance(v, bool) else None for v in values],
                           dtype="Int64")
    elif kind == "float64":
        column = pd.Series([float(v) if isinstance(v, (int, float)) and v is not None else np.nan for v in values],
                           dtype="float64")
    elif kind == "boolean":
        column = pd.Series([v if isinstance(v, bool) else None for v in values], dtype="boolean")
    elif kind == "string-only":
        column = pd.Series([v for v in values if isinstance(v, str)], dtype=object)
    else:
        column = pd.Series(values, dtype=object)
    frame = pd.DataFrame({"value_pct": column, "other": 0})

    def cell(c, v):
        return (c, type(v).__name__, repr(v))

    one = _cached(lambda value: cell("value_pct", value))
    expected = [one(value) for value in frame.iloc[:, 0]]
    assert _taken(*_column_codes(frame, 0, cell)) == expected


def previous_to_markdown(frame, title="", note="", decimals=1, language="en"):
    """to_markdown before issue #23's rewrite (tables/export.py at 6c9634a): rows joined one by one, each
    column's cells formatted once per distinct value by `_cached`."""
    from ino_study.tables.export import _cached

    columns = []
    for index, column in enumerate(frame.columns):
        one = _cached(lambda value, column=column: str(reader_text(column, value, decimals, language)))
        columns.append([one(value) for value in frame.iloc[:, index]])
    rows = [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]
    top = "| " + " | ".join(header(c, language) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    parts = [f"# {title}\n" if title else "", "\n".join([top, rule, *body]) + "\n"]
    if note:
        parts.append(f"\n{note}\n")
    return "\n".join(p for p in parts if p)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 20), st.integers(0, 10**6), st.integers(0, 7), st.booleans())
def test_markdown_is_the_row_by_row_markdown(n, seed, n_columns, titled):
    from ino_study.tables.export import to_markdown

    rng = np.random.default_rng(seed)
    makers = [
        lambda: rng.choice(np.array(["a|b", " x ", "Ж", "", "plain"], dtype=object), n),
        lambda: pd.array(rng.integers(-3, 2000, n), dtype="Int64"),
        lambda: rng.choice([12.5, 0.0, -0.0, np.nan, 1e-7], n),
        lambda: rng.choice([0.0004, 0.03, 0.5, np.nan], n),
        lambda: rng.random(n) < 0.5,
        lambda: rng.integers(0, 10**7, n),
        lambda: pd.Series(rng.choice(np.array([1, 1.0, "1", None, True, float("nan")], dtype=object), n),
                          dtype=object),
    ]
    names = ["term", "n", "rate_pct", "p_value", "flag", "count", "mixed"]
    frame = pd.DataFrame({names[i]: makers[i]() for i in range(n_columns)}, index=range(n))
    args = (frame, "Title" if titled else "", "A note." if titled else "", 1)
    assert to_markdown(*args) == previous_to_markdown(*args)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "", " padded ", "<&>\"'", "Гепатотоксичность", "1,234", "  ", "x"]),
                          st.sampled_from(["b", "", "tab\there", "line\nbreak", " x", "y "])), max_size=12),
       st.booleans())
def test_docx_rows_put_together_are_those_python_docx_builds(rows, breaks):
    """_add_column_rows (rows assembled as text from each column's distinct cells, parsed at once) gives
    the XML of python-docx's table.add_row() and cell.text, 8 pt, cell by cell; a table with a tab or a
    line break goes the row-by-row way, also the same."""
    from test_tables import _docx_table_xml, _python_docx_rows

    from ino_study.tables.export import _add_column_rows, _column_codes

    if not breaks:
        rows = [tuple(text.replace("\t", " ").replace("\n", " ") for text in row) for row in rows]
    frame = pd.DataFrame(rows, columns=["one", "two"], dtype=object) if rows else pd.DataFrame(
        {"one": pd.Series([], dtype=object), "two": pd.Series([], dtype=object)})

    columns = [_column_codes(frame, index, lambda c, v: str(v)) for index in range(2)]
    assert _docx_table_xml(lambda document, table: _add_column_rows(document, table, columns, len(frame))) == \
        _docx_table_xml(_python_docx_rows(rows))
