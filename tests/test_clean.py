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
