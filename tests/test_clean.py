"""Unit tests of ino_study.records.clean beyond the corpus: one message, pseudonyms, flow."""

from __future__ import annotations

from bad_inputs.corpus import DEFAULT_WORKBOOK, default_sheets, run, set_cell, write_xlsx
from ino_study.records.pseudonym import pseudonym


def test_default_flow_adds_up():
    flow = run(DEFAULT_WORKBOOK).records.flow
    assert flow["patients"].tolist() == [20, 1, 1, 1, 0, 17]


def test_identifiers_never_in_clean_tables():
    tables = run(DEFAULT_WORKBOOK).records.tables
    assert not any({"full_name", "birth_date"} & set(frame.columns) for frame in tables.values())


def test_value_and_structure_problems_in_one_message(tmp_path):
    sheets = default_sheets()
    del sheets["transplants"]
    set_cell(sheets, "adverse_events", "INO-002", "grade", 7)
    set_cell(sheets, "ino_doses", "INO-003", "dose_mg_m2", "abc")
    outcome = run(write_xlsx(sheets, tmp_path / "x.xlsx"))
    rules = [f.rule for f in outcome.error.findings]
    assert len(rules) == 3
    assert any("transplants" in r for r in rules) and any("CTCAE" in r for r in rules)


def test_pseudonymised_exclusions_keep_reasons():
    key = b"k" * 20
    records = run(DEFAULT_WORKBOOK, pseudonym_key=key).records
    excluded = {f.patient_id: f.rule for f in records.findings if f.action == "patient not analysed"}
    assert excluded[pseudonym("INO-020", key)] == "no InO dose recorded on or before the cut-off"


# ------------------------------------------- column-wise versions agree with the rules cell by cell

import datetime as dt  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ino_study.records import clean  # noqa: E402
from ino_study.records.quality import Finding, findings_frame  # noqa: E402

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

some_dates = st.one_of(
    st.none(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from([dt.date(2000, 2, 29), dt.date(2004, 2, 29), dt.date(2018, 2, 28), dt.date(2018, 3, 1),
                     dt.date(2022, 2, 28), dt.date(2022, 3, 1), dt.date(2100, 2, 28), dt.date(2100, 3, 1)]),
)


@FAST
@given(pairs=st.lists(st.tuples(some_dates, some_dates), max_size=20),
       years=st.sampled_from([0.0, 1.0, 4.0, 18.0, 22.0, 100.0, 17.5, 18.25, 0.5]))
def test_ages_and_birthdays_column_wise_agree_with_the_scalar_rules(pairs, years):
    birth = pd.to_datetime(pd.Series([b for b, _ in pairs], dtype=object))
    on = pd.to_datetime(pd.Series([o for _, o in pairs], dtype=object))
    ages = clean.ages_in_years(birth, on)
    reached = clean.reached_age_on(birth, on, years)
    for (b, o), age, flag in zip(pairs, ages, reached):
        if b is None or o is None:
            assert np.isnan(age) and not flag
        else:
            assert age == clean.age_in_years(b, o)
            assert bool(flag) == clean.reached_age(b, o, years)


numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.sampled_from([0.0, 100.0, -0.0, 20.0, 50.0, 1.0, 500.0, 5000.0, 5000.5, 1e-9]))
integers = st.one_of(st.none(), st.integers(-2, 60))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from(["M", "F", None, "X"]), integers, numbers, numbers, numbers, integers),
                     min_size=1, max_size=6))
def test_value_screen_never_hides_a_pandera_failure(rows):
    """check_values (screen, then pandera) gives exactly what pandera alone gives."""
    sex, counts, pct, dose, anc, grade = zip(*rows)
    ids = [f"P{i}" for i in range(len(rows))]

    def frame(**columns):
        return pd.DataFrame({"_row": range(2, 2 + len(rows)), "patient_id": ids, **columns})

    tables = {
        "patients": frame(sex=pd.Series(sex, dtype=object), relapse_number=pd.array(counts, dtype="Int64"),
                          cd22_pct=pd.Series(pct, dtype=float), marrow_blasts_pct=pd.Series(anc, dtype=float)),
        "ino_doses": frame(dose_mg_m2=pd.Series(dose, dtype=float), cycle=pd.array(grade, dtype="Int64")),
        "assessments": frame(marrow_blasts_pct=pd.Series(pct, dtype=float), anc_10e9_l=pd.Series(anc, dtype=float),
                             platelets_10e9_l=pd.Series(dose, dtype=float)),
        "adverse_events": frame(grade=pd.array(grade, dtype="Int64")),
    }
    sources = {name: f"{name}.csv" for name in tables}
    assert clean.check_values(tables, sources) == clean._pandera_findings(tables, sources)


def test_findings_frame_reads_every_field():
    findings = [Finding("error", "patients", "x.csv", 3, "sex", "P1", "X", "rule", "stop"),
                Finding("correction", "patients", "x.csv", None, None, None, None, "note", "read", count=4)]
    frame = findings_frame(findings)
    assert frame.to_dict("records")[0] == {"severity": "error", "table": "patients", "source": "x.csv",
                                           "row": 3, "column": "sex", "patient_id": "P1", "value": "X",
                                           "rule": "rule", "action": "stop", "count": 1}
    assert frame["count"].tolist() == [1, 4] and frame["row"].isna().tolist() == [False, True]


@FAST
@given(st.lists(st.sampled_from([None, "b note", "a note", "Z", "a note; other", "ё"]), max_size=40))
def test_rows_by_note_is_the_groupby(notes):
    notes = pd.Series(notes, dtype=object)
    rows = pd.Series(range(5, 5 + len(notes)), dtype=object)
    want = [(note, group.tolist()) for note, group in rows[notes.notna()].groupby(notes[notes.notna()])]
    assert [(note, group.tolist()) for note, group in clean._rows_by_note(notes, rows)] == want
