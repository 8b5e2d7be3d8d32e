"""Bad-input corpus: mutations of the default raw data, each with its exact outcome.

Every case loads the default SYNTHETIC workbook's sheets, mutates them, writes a temporary .xlsx (or a
directory of CSV files) and runs the package's reading and cleaning functions (as the records step
does, without Snakemake). Each asserts either the DataContractError's message line, which names the
file, sheet, Excel row, column and value, or the correction / warning / exclusion logged in the
findings. No case may end in any exception other than DataContractError (never a bare traceback),
and a file with several problems gives ONE message listing all of them.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tracemalloc
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from bad_inputs.corpus import (
    RULES, Outcome, add_formula, column_index, default_sheets, get_cell, has_finding, patch_xlsx, row_index, run,
    set_cell, sheet_part, write_csv_dir, write_xlsx,
)
from ino_study.records.quality import REDACTED
from russian_text import english_left_in_russian_report_of

CASES = []


def case(function):
    CASES.append(pytest.param(function, id=function.__name__.removeprefix("case_")))
    return function


def xlsx(sheets, tmp: Path, name: str = "export.xlsx", **kwargs) -> Outcome:
    return run(write_xlsx(sheets, tmp / name, **kwargs))


def problem(outcome: Outcome, prefix: str, rule: str) -> None:
    """The error message has a line starting with `prefix` (location and value) that contains `rule`."""
    assert outcome.error is not None, "expected a DataContractError"
    lines = [re.sub(r"^\s+\d+\. ", "", line) for line in outcome.message.splitlines()[1:]]
    assert any(line.startswith(prefix) and rule in line for line in lines), (prefix, rule, outcome.message)


def ok(outcome: Outcome) -> Outcome:
    assert outcome.error is None, outcome.message
    return outcome


def analysed(outcome: Outcome) -> int:
    return int(ok(outcome).records.flow.iloc[-1]["patients"])


SHEET = "export.xlsx, sheet '{}'"


def at(sheet: str, row: int, column: str, value=None) -> str:
    text = f"{SHEET.format(sheet)}, row {row}, column '{column}':"
    return text if value is None else f"{text} value {value!r}:"


# ----------------------------------------------------------------------------------- baseline


@case
def case_default_workbook_round_trip(tmp):
    outcome = xlsx(default_sheets(), tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "exclusion", "adverse_events", column="onset_date", value="2023-02-20",
                       rule="after the data cut-off 2023-01-31")


@case
def case_default_as_csv_directory(tmp):
    assert analysed(run(write_csv_dir(default_sheets(), tmp / "csv"))) == 17


# ---------------------------------------------------------------------------------- structure


@case
def case_missing_sheet(tmp):
    sheets = default_sheets()
    del sheets["transplants"]
    problem(xlsx(sheets, tmp), "export.xlsx: table 'transplants' is missing", "a sheet or file named 'transplants'")


@case
def case_missing_csv_file(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv")
    (directory / "follow_up.csv").unlink()
    problem(run(directory), "directory csv: table 'follow_up' is missing", "follow_up")


@case
def case_missing_required_column(tmp):
    sheets = default_sheets()
    position = column_index(sheets, "ino_doses", "cycle")
    for row in sheets["ino_doses"]:
        del row[position]
    problem(xlsx(sheets, tmp), at("ino_doses", 1, "cycle"), "required column 'cycle' is missing")


@case
def case_missing_optional_column_is_fine(tmp):
    sheets = default_sheets()
    position = column_index(sheets, "assessments", "mrd")
    for row in sheets["assessments"]:
        del row[position]
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert set(outcome.records.tables["assessments"]["mrd_status"]) == {"missing"}


@case
def case_renamed_column_with_space_matched(tmp):
    sheets = default_sheets()
    sheets["patients"][0][column_index(sheets, "patients", "patient_id")] = "Patient ID "
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "patients", 1, "patient_id", value="Patient ID ",
                       rule="matched case- and whitespace-insensitively")


@case
def case_renamed_column_pid_not_matched(tmp):
    sheets = default_sheets()
    sheets["patients"][0][column_index(sheets, "patients", "patient_id")] = "pid"
    problem(xlsx(sheets, tmp), at("patients", 1, "patient_id"), "required column 'patient_id' is missing")


@case
def case_duplicate_column(tmp):
    sheets = default_sheets()
    sheets["transplants"][0][column_index(sheets, "transplants", "conditioning")] = "date"
    problem(xlsx(sheets, tmp), at("transplants", 1, "date"), "column 'date' appears twice in the header")


@case
def case_empty_workbook(tmp):
    outcome = xlsx({"Sheet1": []}, tmp)
    for table in ("patients", "ino_doses", "assessments", "transplants", "adverse_events", "follow_up"):
        problem(outcome, f"export.xlsx: table '{table}' is missing", table)
    assert len(outcome.error.findings) == 6


@case
def case_zero_byte_file(tmp):
    path = tmp / "export.xlsx"
    path.write_bytes(b"")
    problem(run(path), "export.xlsx:", "cannot be opened as an .xlsx workbook")


@case
def case_text_file_named_xlsx(tmp):
    path = tmp / "export.xlsx"
    path.write_text("patient_id;sex\nINO-001;M\n", encoding="utf-8")
    problem(run(path), "export.xlsx:", "cannot be opened as an .xlsx workbook (BadZipFile")


@case
def case_wrong_file_type(tmp):
    path = tmp / "export.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    problem(run(path), "export.xls:", "raw data must be an .xlsx workbook or a directory of <table>.csv files")


@case
def case_path_does_not_exist(tmp):
    problem(run(tmp / "nowhere.xlsx"), str(tmp / "nowhere.xlsx"), "the raw data path does not exist")


@case
def case_header_only_transplants_is_valid(tmp):
    sheets = default_sheets()
    sheets["transplants"] = sheets["transplants"][:1]
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert len(outcome.records.tables["transplants"]) == 0


@case
def case_header_only_adverse_events_is_valid(tmp):
    sheets = default_sheets()
    sheets["adverse_events"] = sheets["adverse_events"][:1]
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert len(outcome.records.tables["adverse_events"]) == 0


@case
def case_no_header_found(tmp):
    sheets = default_sheets()
    sheets["transplants"] = [["banner"]] * 10 + sheets["transplants"]
    problem(xlsx(sheets, tmp), f"{SHEET.format('transplants')}:", "no header row found in the first 10 rows")


@case
def case_second_sheet_for_a_table(tmp):
    sheets = default_sheets()
    sheets["hsct"] = sheets["transplants"]
    problem(xlsx(sheets, tmp), SHEET.format("hsct") + ":", "a second sheet for table 'transplants'")


@case
def case_extra_sheet_ignored(tmp):
    sheets = default_sheets()
    sheets["pivot"] = [["anything", 1], ["#REF!", None]]
    assert analysed(xlsx(sheets, tmp)) == 17


@case
def case_sheet_name_by_alias_and_case(tmp):
    sheets = {(" Пациенты " if k == "patients" else "TOXICITY" if k == "adverse_events" else k): v
              for k, v in default_sheets().items()}
    assert analysed(xlsx(sheets, tmp)) == 17


@case
def case_title_row_above_header(tmp):
    sheets = default_sheets()
    sheets["ino_doses"].insert(0, ["Введения инотузумаба озогамицина (выгрузка из регистра)"])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "ino_doses", 1, rule="1 row(s) above the header")


@case
def case_merged_banner_header_rows(tmp):
    sheets = default_sheets()
    width = len(sheets["assessments"][0])
    sheets["assessments"][:0] = [["Костный мозг"] + [None] * (width - 1), ["Пациент", None, "Морфология", "МОБ"]]
    path = write_xlsx(sheets, tmp / "export.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["assessments"].merge_cells(f"A1:{get_column_letter(width)}1")
    workbook.save(path)
    outcome = run(path)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "assessments", 1, rule="2 row(s) above the header")
    # rows keep the numbers the user sees: the first record is now on row 4
    assert outcome.records.tables["assessments"]["source_row"].min() == 4


# -------------------------------------------------------------------------------- identifiers


@case
def case_duplicate_patient_id(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-002", "patient_id", "INO-001")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("patients", 2, "patient_id", "INO-001"), "patient_id appears more than once")
    problem(outcome, at("patients", row, "patient_id", "INO-001"), "patient_id appears more than once")
    # INO-002's other records are now orphans: listed in the same message
    problem(outcome, at("follow_up", row_index(sheets, "follow_up", "INO-002") + 1, "patient_id", "INO-002"),
            "patient_id is not in the patients table")


@case
def case_duplicate_follow_up(tmp):
    sheets = default_sheets()
    sheets["follow_up"].append(list(sheets["follow_up"][3]))
    row = len(sheets["follow_up"])
    problem(xlsx(sheets, tmp), at("follow_up", row, "patient_id", "INO-003"), "patient_id appears more than once")


@case
def case_orphan_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-004", "patient_id", "INO-099")
    problem(xlsx(sheets, tmp), at("ino_doses", row, "patient_id", "INO-099"), "patient_id is not in the patients table")


@case
def case_orphan_adverse_event(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-005", "patient_id", "INO-05")
    problem(xlsx(sheets, tmp), at("adverse_events", row, "patient_id", "INO-05"),
            "patient_id is not in the patients table")


@case
def case_nbsp_in_patient_id(tmp):
    sheets = default_sheets()
    set_cell(sheets, "patients", "INO-004", "patient_id", "INO-004\xa0")
    row = set_cell(sheets, "follow_up", "INO-006", "patient_id", "\xa0INO-006")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "follow_up", row, "patient_id", rule="non-breaking space")
    assert "INO-004" in set(outcome.records.tables["patients"]["patient_id"])


@case
def case_numeric_patient_ids(tmp):
    sheets = default_sheets()
    for name, rows in sheets.items():
        if name == "README":
            continue
        position = column_index(sheets, name, "patient_id")
        for row in rows[1:]:
            if isinstance(row[position], str) and row[position].strip().startswith("INO-"):
                row[position] = int(row[position].strip()[4:])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "patients", column="patient_id", rule="number converted to text")


@case
def case_record_without_patient_id(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-005", "patient_id", None)
    problem(xlsx(sheets, tmp), at("ino_doses", row, "patient_id"), "a record without a patient_id")


@case
def case_excel_error_in_patient_id(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-010", "patient_id", "#N/A")
    problem(xlsx(sheets, tmp), at("assessments", row, "patient_id", "#N/A"), "Excel error value #N/A")


# -------------------------------------------------------------------------------------- dates


@case
def case_impossible_date(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-006", "date", "31.02.2019", nth=1)
    problem(xlsx(sheets, tmp), at("ino_doses", row, "date", "31.02.2019"), "February has no day 31")


@case
def case_impossible_optional_date_is_a_warning(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-006", "diagnosis_date", "31.02.2019")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "patients", row, "diagnosis_date", value="31.02.2019",
                       rule="February has no day 31")


@case
def case_month_thirteen(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-012", "date", "13.13.2020")
    problem(xlsx(sheets, tmp), at("assessments", row, "date", "13.13.2020"), "day-first")


@case
def case_two_digit_year(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-012", "date", "17.12.20")
    problem(xlsx(sheets, tmp), at("transplants", row, "date", "17.12.20"), "write the year in full")


@case
def case_serial_out_of_range(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-012", "last_contact_date", 99999)
    problem(xlsx(sheets, tmp), at("follow_up", row, "last_contact_date", "99999"), "is not a plausible Excel serial date (expected 1-73415")


@case
def case_unreadable_birth_date_is_withheld(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-008", "birth_date", "30.02.2011")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("patients", row, "birth_date", REDACTED), "cannot be read as a date (dd.mm.yyyy)")
    assert "30.02.2011" not in outcome.message


@case
def case_blank_birth_date(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-008", "birth_date", None)
    problem(xlsx(sheets, tmp), at("patients", row, "birth_date"), "'birth_date' is required and is empty")


@case
def case_death_before_first_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-002", "death_date", "10.04.2016")
    problem(xlsx(sheets, tmp), at("follow_up", row, "death_date", "2016-04-10"),
            "death is dated before the first InO dose")


@case
def case_last_contact_before_first_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-003", "last_contact_date", "01.01.2017")
    problem(xlsx(sheets, tmp), at("follow_up", row, "last_contact_date", "2017-01-01"),
            "last contact is dated before the first InO dose")


@case
def case_hsct_before_first_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-005", "date", "01.01.2018")
    problem(xlsx(sheets, tmp), at("transplants", row, "date", "2018-01-01"), "HSCT dated before the first InO dose")


@case
def case_relapse_after_death(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-001", "relapse_date", "01.02.2018")
    problem(xlsx(sheets, tmp), at("follow_up", row, "relapse_date", "2018-02-01"), "relapse is dated after death")


@case
def case_last_contact_before_death_corrected(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-002", "last_contact_date", "01.04.2017")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "follow_up", row, "last_contact_date", value="2017-04-01",
                       rule="last contact before the death date")


@case
def case_assessment_after_death(tmp):
    sheets = default_sheets()  # INO-002 died on 2017-04-10
    row = set_cell(sheets, "assessments", "INO-002", "date", "20.04.2017")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("assessments", row, "date", "2017-04-20"), "dated after the patient's death")
    assert "(patient INO-002)" in outcome.message


@case
def case_last_contact_before_a_recorded_assessment_moved_to_it(tmp):
    sheets = default_sheets()  # INO-008 alive, last contact 2019-05-26
    row = set_cell(sheets, "follow_up", "INO-008", "last_contact_date", "26.05.2019")
    sheets["assessments"].append(["INO-008", "10.06.2019", "0,5", "<0,01%", "2,0", 150])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "follow_up", row, "last_contact_date", value="2019-05-26",
                       rule="last contact before a recorded visit, dose, transplant, adverse event or relapse")
    follow_up = outcome.records.tables["follow_up"].set_index("patient_id")
    assert follow_up.loc["INO-008", "last_contact_date"] == pd.Timestamp("2019-06-10")


@case
def case_assessment_after_cutoff_kept_out(tmp):
    sheets = default_sheets()
    sheets["assessments"].append(["INO-017", "15.02.2023", "0,5", "<0,01%", "2,0", 150])
    row = len(sheets["assessments"])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "exclusion", "assessments", row, "date", value="2023-02-15",
                       rule="dated after the data cut-off 2023-01-31")
    assert row not in set(outcome.records.tables["assessments"]["source_row"])


@case
def case_death_after_cutoff_censored(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-017", "vital_status", "умер")
    set_cell(sheets, "follow_up", "INO-017", "death_date", "10.03.2023")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "exclusion", "follow_up", row, "death_date", value="2023-03-10")
    follow_up = outcome.records.tables["follow_up"].set_index("patient_id")
    assert follow_up.loc["INO-017", "vital_status"] == "alive"


@case
def case_first_dose_after_cutoff_excludes_patient(tmp):
    sheets = default_sheets()
    for nth in range(3):
        set_cell(sheets, "ino_doses", "INO-019", "date", f"0{nth + 1}.02.2023", nth=nth)
    row = set_cell(sheets, "follow_up", "INO-019", "last_contact_date", "01.03.2023")
    outcome = xlsx(sheets, tmp)
    assert has_finding(outcome.findings, "exclusion", "follow_up", row, "last_contact_date",
                       rule="dated after the data cut-off", value="2023-03-01")
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "exclusion", "patients", rule="no InO dose recorded on or before the cut-off")


# ------------------------------------------------------------------------------------ numbers


@case
def case_number_with_units(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-007", "dose_mg_m2", "0,8 mg")
    problem(xlsx(sheets, tmp), at("ino_doses", row, "dose_mg_m2", "0,8 mg"), "is not a number")


@case
def case_unreadable_optional_number_is_a_warning(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "anc_10e9_l", "много")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "assessments", row, "anc_10e9_l", value="много",
                       rule="is not a number")


@case
def case_bound_is_not_a_number(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-002", "marrow_blasts_pct", "<5")
    problem(xlsx(sheets, tmp), at("assessments", row, "marrow_blasts_pct", "<5"), "is a bound, not a number")


@case
def case_blank_required_number(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-008", "dose_mg_m2", "  ")
    problem(xlsx(sheets, tmp), at("ino_doses", row, "dose_mg_m2"), "'dose_mg_m2' is required and is empty")


@case
def case_negative_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-009", "dose_mg_m2", "-0,5")
    problem(xlsx(sheets, tmp), at("ino_doses", row, "dose_mg_m2", "-0.5"), "a dose must be positive")


@case
def case_zero_dose(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-009", "dose_mg_m2", 0)
    problem(xlsx(sheets, tmp), at("ino_doses", row, "dose_mg_m2", "0.0"), "a dose must be positive")


@case
def case_grade_six(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-002", "grade", 6)
    problem(xlsx(sheets, tmp), at("adverse_events", row, "grade", "6"), "a CTCAE grade is 1 to 5")


@case
def case_fractional_grade(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-002", "grade", "2,5")
    problem(xlsx(sheets, tmp), at("adverse_events", row, "grade", "2,5"), "is not a whole number")


@case
def case_cycle_zero(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-010", "cycle", 0)
    problem(xlsx(sheets, tmp), at("ino_doses", row, "cycle", "0"), "cycle must be 1 or more")


@case
def case_blasts_above_100(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-004", "marrow_blasts_pct", "150%")
    problem(xlsx(sheets, tmp), at("assessments", row, "marrow_blasts_pct", "150.0"), "in_range(0, 100)")


@case
def case_excel_error_na_in_required_number(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-011", "dose_mg_m2", "#N/A")
    problem(xlsx(sheets, tmp), at("ino_doses", row, "dose_mg_m2", "#N/A"), "Excel error value #N/A")


@case
def case_excel_error_value_in_optional_number(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-011", "platelets_10e9_l", "#VALUE!")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "assessments", row, "platelets_10e9_l", value="#VALUE!",
                       rule="Excel error value #VALUE!")


@case
def case_excel_error_cell_types_from_xml(tmp):
    """A real error cell (t="e"), as Excel saves it, not a typed text."""
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-012", "dose_mg_m2", 0.8)
    path = write_xlsx(sheets, tmp / "export.xlsx")
    coordinate = f"{get_column_letter(column_index(sheets, 'ino_doses', 'dose_mg_m2') + 1)}{row}"
    patch_xlsx(path, sheet_part(sheets, "ino_doses"),
               lambda xml: re.sub(rf'<c r="{coordinate}"[^>]*>.*?</c>', f'<c r="{coordinate}" t="e"><v>#DIV/0!</v></c>',
                                  xml, count=1))
    problem(run(path), at("ino_doses", row, "dose_mg_m2", "#DIV/0!"), "Excel error value #DIV/0!")


# ---------------------------------------------------------------------------------------- MRD


@case
def case_unreadable_mrd_text(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "mrd", "положительная")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "assessments", row, "mrd", value="положительная")


@case
def case_mrd_above_100(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-002", "mrd", "120%")
    outcome = xlsx(sheets, tmp)
    assert has_finding(outcome.findings, "warning", "assessments", row, "mrd", rule="more than 100%")


@case
def case_percent_formatted_mrd_cell(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "mrd", 0.0001)
    letter = get_column_letter(column_index(sheets, "assessments", "mrd") + 1)
    outcome = xlsx(sheets, tmp, number_formats={("assessments", f"{letter}{row}"): "0.00%"})
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "assessments", row, "mrd", value="0.01%",
                       rule="percent-formatted cell")
    frame = outcome.records.tables["assessments"]
    assert frame.loc[frame["source_row"] == row, "mrd_percent"].item() == pytest.approx(0.01)


@case
def case_percent_formatted_blasts_cell(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-002", "marrow_blasts_pct", 0.45)
    letter = get_column_letter(column_index(sheets, "assessments", "marrow_blasts_pct") + 1)
    outcome = xlsx(sheets, tmp, number_formats={("assessments", f"{letter}{row}"): "0%"})
    frame = ok(outcome).records.tables["assessments"]
    assert frame.loc[frame["source_row"] == row, "marrow_blasts_pct"].item() == pytest.approx(45)


@case
def case_unformatted_small_mrd_number_is_percent(tmp):
    """Without a percent format, a number is read as written: 0.0001 means 0.0001 %."""
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "mrd", 0.0001)
    frame = ok(xlsx(sheets, tmp)).records.tables["assessments"]
    assert frame.loc[frame["source_row"] == row, "mrd_percent"].item() == pytest.approx(0.0001)


# ------------------------------------------------------------------------------- codes, status


@case
def case_alive_with_death_date(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-002", "vital_status", "жив")
    problem(xlsx(sheets, tmp), at("follow_up", row, "death_date", "2017-04-10"),
            "vital status is alive but a death date is given")


@case
def case_dead_without_death_date(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-003", "vital_status", "умер")
    problem(xlsx(sheets, tmp), at("follow_up", row, "death_date"), "vital status is dead but the death date is empty")


@case
def case_vital_status_unknown(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "follow_up", "INO-004", "vital_status", "неизвестно")
    problem(xlsx(sheets, tmp), at("follow_up", row, "vital_status"), "'vital_status' is required and is empty")


@case
def case_sex_numeric_code(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-005", "sex", 2)
    problem(xlsx(sheets, tmp), at("patients", row, "sex", "2"), "")


@case
def case_yes_no_unrecognised(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-006", "prior_hsct", "возможно")
    problem(xlsx(sheets, tmp), at("patients", row, "prior_hsct", "возможно"), "not a recognised")


@case
def case_identifier_error_value_withheld(tmp):
    sheets = default_sheets()
    name = get_cell(sheets, "patients", "INO-007", "full_name")
    row = set_cell(sheets, "patients", "INO-007", "full_name", "#REF!")
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "patients", row, "full_name", value=REDACTED)
    assert name not in repr(outcome.findings)


@case
def case_extra_identifier_column_dropped(tmp):
    sheets = default_sheets()
    rules = RULES.__class__(**{**RULES.__dict__, "identifier_columns": ("cytogenetics",)})
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), rules=rules)
    assert "cytogenetics" not in ok(outcome).records.tables["patients"]


# ------------------------------------------------------------------------------- layout noise


@case
def case_note_typed_below_table(tmp):
    sheets = default_sheets()
    sheets["ino_doses"] += [[None] * 5, ["Итого: 77 введений"]]
    row = len(sheets["ino_doses"])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "ino_doses", row, rule="a note typed in a single cell")


@case
def case_note_inside_table(tmp):
    sheets = default_sheets()
    index = row_index(sheets, "transplants", "INO-005")
    sheets["transplants"].insert(index, ["(данные уточняются)", None, None, None])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "warning", "transplants", index + 1, rule="a note typed in a single cell")


@case
def case_blank_rows_inside(tmp):
    sheets = default_sheets()
    for index in (5, 10, 15):
        sheets["adverse_events"].insert(index, [None, None, None, None])
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "adverse_events", rule="3 blank row(s) inside the table skipped")


@case
def case_trailing_blank_rows_silent(tmp):
    sheets = default_sheets()
    sheets["transplants"] += [[None] * 4] * 50
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    assert not has_finding(outcome.findings, "correction", "transplants", rule="blank row")


@case
def case_extra_columns_ignored(tmp):
    sheets = default_sheets()
    for index, row in enumerate(sheets["follow_up"]):
        row.append("комментарий" if index == 0 else "#N/A")
    assert analysed(xlsx(sheets, tmp)) == 17


# ----------------------------------------------------------------------------------- formulas


def _formula_case(tmp, cached):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-013", "dose_mg_m2", 0.4)
    path = write_xlsx(sheets, tmp / "export.xlsx")
    coordinate = f"{get_column_letter(column_index(sheets, 'ino_doses', 'dose_mg_m2') + 1)}{row}"
    patch_xlsx(path, sheet_part(sheets, "ino_doses"), lambda xml: add_formula(xml, coordinate, "0.8/2", cached))
    return row, run(path)


@case
def case_formula_with_cached_value(tmp):
    row, outcome = _formula_case(tmp, 0.4)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "ino_doses", row, "dose_mg_m2", value="0.4",
                       rule="formula read as its cached value")


@case
def case_formula_without_cached_value(tmp):
    row, outcome = _formula_case(tmp, None)
    problem(outcome, at("ino_doses", row, "dose_mg_m2"), "formula without a cached value")


@case
def case_formula_without_cache_in_ignored_column(tmp):
    sheets = default_sheets()
    path = write_xlsx(sheets, tmp / "export.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["ino_doses"]["E5"] = "=D5*2"  # 'примечание', not a contract column
    workbook.save(path)
    assert analysed(run(path)) == 17


@case
def case_formula_written_by_openpyxl_has_no_cache(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-014", "grade", "=1+2")
    problem(xlsx(sheets, tmp), at("adverse_events", row, "grade"), "formula without a cached value")


# ------------------------------------------------------------------------- macros, links, CSV


@case
def case_macro_workbook_read_as_data(tmp):
    sheets = default_sheets()
    path = write_xlsx(sheets, tmp / "export.xlsm")
    patch_xlsx(path, sheet_part(sheets, "patients"), lambda xml: xml,
               extra_parts={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not a real VBA project"},
               content_types=lambda xml: xml.replace(
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                   "application/vnd.ms-excel.sheet.macroEnabled.main+xml"))
    outcome = run(path)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", rule="macro-enabled workbook: read as data only")


@case
def case_external_link_not_followed(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-003", "anc_10e9_l", 1.1)
    path = write_xlsx(sheets, tmp / "export.xlsx")
    coordinate = f"{get_column_letter(column_index(sheets, 'assessments', 'anc_10e9_l') + 1)}{row}"
    link = (b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
            b"</externalLink>")
    patch_xlsx(path, sheet_part(sheets, "assessments"), lambda xml: add_formula(xml, coordinate, "[1]lab!C7", 1.1),
               extra_parts={"xl/externalLinks/externalLink1.xml": link})
    outcome = run(path)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", rule="links not followed")
    assert has_finding(outcome.findings, "correction", "assessments", row, "anc_10e9_l",
                       rule="formula read as its cached value")


@case
def case_csv_utf8_bom(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv", encoding="utf-8-sig")
    outcome = run(directory)
    assert analysed(outcome) == 17
    assert not has_finding(outcome.findings, "correction", rule="cp1251")


@case
def case_csv_cp1251(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv", encoding="cp1251")
    outcome = run(directory)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "patients", rule="file encoded in cp1251")
    assert "cp1251" not in repr(outcome.records.tables["follow_up"]["death_cause"].tolist())


@case
def case_csv_semicolon(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv", encoding="utf-8-sig", delimiter=";")
    outcome = run(directory)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "ino_doses", rule="semicolon-delimited CSV")


@case
def case_csv_tab(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv", delimiter="\t")
    outcome = run(directory)
    assert analysed(outcome) == 17
    assert has_finding(outcome.findings, "correction", "assessments", rule="tab-delimited CSV")


@case
def case_csv_error_names_file_and_line(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "ino_doses", "INO-006", "date", "31.02.2019", nth=1)
    outcome = run(write_csv_dir(sheets, tmp / "csv", delimiter=";"))
    problem(outcome, f"ino_doses.csv, row {row}, column 'date': value '31.02.2019':", "February has no day 31")


@case
def case_csv_with_nul_bytes(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv")
    data = (directory / "transplants.csv").read_bytes()
    (directory / "transplants.csv").write_bytes(data.replace(b"TBI", b"T\x00BI", 1))
    problem(run(directory), "transplants.csv:", "cannot be read as a CSV file")


@case
def case_csv_binary_garbage(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv")
    (directory / "patients.csv").write_bytes(bytes(range(256)) * 4)
    outcome = run(directory)
    assert outcome.error is not None
    assert any(f.source == "patients.csv" for f in outcome.error.findings)


@case
def case_csv_second_file_for_a_table(tmp):
    directory = write_csv_dir(default_sheets(), tmp / "csv")
    (directory / "hsct.csv").write_bytes((directory / "transplants.csv").read_bytes())
    problem(run(directory), "transplants.csv:", "a second file for table 'transplants'")


# ------------------------------------------------------------------------ column maps (config column_map)

RU_PATIENTS = {"patient_id": "ИД пациента", "sex": "Пол", "birth_date": "Дата рождения", "full_name": "ФИО"}


def russian_patients(sheets) -> dict:
    """Rename four headers of the patients sheet to Russian; returns the column_map that reads them."""
    for column, header in RU_PATIENTS.items():
        sheets["patients"][0][column_index(sheets, "patients", column)] = header
    return {"patients": {header: column for column, header in RU_PATIENTS.items()}}


@case
def case_column_map_reads_russian_headers(tmp):
    sheets = default_sheets()
    column_map = russian_patients(sheets)
    column_map["patients"] = {" пол ": "sex", **{h: c for h, c in column_map["patients"].items() if c != "sex"}}
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map=column_map)
    assert analysed(outcome) == 17
    assert "full_name" not in outcome.records.tables["patients"]
    assert not has_finding(outcome.findings, "correction", "patients", 1, "sex")  # a mapped header: no rename note


@case
def case_column_map_required_column_unmapped(tmp):
    sheets = default_sheets()
    column_map = russian_patients(sheets)
    del column_map["patients"]["Пол"]
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map=column_map)
    problem(outcome, at("patients", 1, "sex"),
            "required column 'sex' is missing: neither in the header nor mapped in column_map.patients; the header "
            "has: 'ИД пациента', 'ФИО', 'Пол', 'Дата рождения', 'diagnosis_date', 'Relapse_Number', 'prior_HSCT', "
            "'Prior_Blinatumomab', 'prior_car_t', 'Cytogenetics', 'CD22_pct', 'marrow_blasts_pct'")
    assert outcome.message.startswith("The raw records have 1 problem(s)")


@case
def case_column_map_required_column_unmapped_csv(tmp):
    sheets = default_sheets()
    position = column_index(sheets, "follow_up", "last_contact_date")
    sheets["follow_up"][0][position] = "Дата последнего контакта"
    directory = write_csv_dir(sheets, tmp / "csv")
    outcome = run(directory, column_map={"patients": {"Patient_ID": "patient_id"}})
    problem(outcome, "follow_up.csv, row 1, column 'last_contact_date':",
            "required column 'last_contact_date' is missing: neither in the header nor mapped in "
            "column_map.follow_up; the header has: 'Patient_ID', 'Дата последнего контакта', 'Vital_Status'")
    assert outcome.message.startswith("The raw records have 1 problem(s)")


@case
def case_column_map_header_absent(tmp):
    sheets = default_sheets()
    column_map = russian_patients(sheets)
    column_map["follow_up"] = {"Дата последнего контакта": "last_contact_date"}
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map=column_map)
    problem(outcome, at("follow_up", 1, "last_contact_date"),
            "column_map.follow_up header 'Дата последнего контакта' (mapped to 'last_contact_date') is not in the "
            "header row; the header has: 'Patient_ID', 'Last_Contact_Date', 'Vital_Status', 'death_date', "
            "'Death_Cause', 'RELAPSE_DATE'")
    assert outcome.message.startswith("The raw records have 1 problem(s)")


@case
def case_column_map_mapped_and_contract_name(tmp):
    sheets = default_sheets()
    sheets["patients"][0].append("Пол")
    for row in sheets["patients"][1:]:
        row.append(None)
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map={"patients": {"Пол": "sex"}})
    problem(outcome, at("patients", 1, "Пол"),
            "contract column 'sex' is given twice: by header 'sex' and by header 'Пол' (column_map.patients)")


@case
def case_column_map_header_twice_in_file(tmp):
    sheets = default_sheets()
    column_map = russian_patients(sheets)
    sheets["patients"][0][column_index(sheets, "patients", "cd22_pct")] = "пол"
    problem(run(write_xlsx(sheets, tmp / "export.xlsx"), column_map=column_map), at("patients", 1, "пол"),
            "contract column 'sex' is given twice: by header 'Пол' and by header 'пол' (column_map.patients)")


@case
def case_column_map_two_headers_one_column(tmp):
    sheets = default_sheets()
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map={"patients": {"Пол": "sex", "Gender": "sex"}})
    problem(outcome, "config key column_map.patients:",
            "headers 'Пол' and 'Gender' both map to contract column 'sex'")


@case
def case_column_map_unknown_contract_column(tmp):
    outcome = run(write_xlsx(default_sheets(), tmp / "export.xlsx"), column_map={"follow_up": {"Статус": "status"}})
    problem(outcome, "config key column_map.follow_up:",
            "header 'Статус' maps to 'status', which is not a column of table 'follow_up' (its columns: patient_id, "
            "last_contact_date, vital_status, death_date, death_cause, relapse_date)")


@case
def case_column_map_unknown_table(tmp):
    outcome = run(write_xlsx(default_sheets(), tmp / "export.xlsx"), column_map={"patient": {"Пол": "sex"}})
    problem(outcome, "config key column_map:", "'patient' is not a table of the contract")


@case
def case_column_map_identifier_never_shown(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-004", "birth_date", "31.02.2010")
    name = get_cell(sheets, "patients", "INO-004", "full_name")
    column_map = russian_patients(sheets)
    outcome = run(write_xlsx(sheets, tmp / "export.xlsx"), column_map=column_map)
    assert "31.02.2010" not in outcome.message and name not in outcome.message
    problem(outcome, at("patients", row, "birth_date"), "identifier column is not shown")


# ---------------------------------------------------------------------------- many problems


@case
def case_many_problems_one_message(tmp):
    sheets = default_sheets()
    position = column_index(sheets, "transplants", "donor_type")
    sheets["transplants"][0][position] = "donor"  # optional column renamed: ignored, not an error
    del sheets["follow_up"]
    date_row = set_cell(sheets, "ino_doses", "INO-006", "date", "31.02.2019", nth=1)
    grade_row = set_cell(sheets, "adverse_events", "INO-002", "grade", 6)
    dose_row = set_cell(sheets, "ino_doses", "INO-009", "dose_mg_m2", "#N/A")
    orphan_row = set_cell(sheets, "assessments", "INO-010", "patient_id", "INO-100")
    outcome = xlsx(sheets, tmp)
    problem(outcome, "export.xlsx: table 'follow_up' is missing", "follow_up")
    problem(outcome, at("ino_doses", date_row, "date", "31.02.2019"), "February has no day 31")
    problem(outcome, at("ino_doses", dose_row, "dose_mg_m2", "#N/A"), "Excel error value #N/A")
    problem(outcome, at("adverse_events", grade_row, "grade", "6"), "a CTCAE grade is 1 to 5")
    assert outcome.message.startswith("The raw records have 4 problem(s)")
    # with every table present, cross-table problems join the same message
    sheets2 = default_sheets()
    set_cell(sheets2, "ino_doses", "INO-006", "date", "31.02.2019", nth=1)
    set_cell(sheets2, "assessments", "INO-010", "patient_id", "INO-100")
    set_cell(sheets2, "adverse_events", "INO-002", "grade", 6)
    outcome = xlsx(sheets2, tmp, name="second.xlsx")
    assert outcome.message.startswith("The raw records have 3 problem(s)")
    assert f"second.xlsx, sheet 'assessments', row {orphan_row}, column 'patient_id': value 'INO-100'" in outcome.message


# ------------------------------------------------- optional columns of issue 21 (Table 1, SOS/VOD)


@case
def case_optional_table1_and_sos_columns_absent_are_not_recorded(tmp):
    sheets = default_sheets()
    for sheet, columns in (("patients", ("cns_status", "extramedullary_disease", "cr1_date", "first_relapse_date",
                                         "prior_lines")),
                           ("assessments", ("mrd_method", "mrd_detection_limit_pct")),
                           ("adverse_events", ("sos_severity", "sos_treatment", "sos_outcome"))):
        for column in columns:
            position = column_index(sheets, sheet, column)
            for row in sheets[sheet]:
                del row[position]
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    tables = outcome.records.tables
    assert tables["patients"][["cns_status", "prior_lines", "cr1_date"]].isna().all().all()
    assert tables["assessments"]["mrd_method"].isna().all() and tables["adverse_events"]["sos_severity"].isna().all()
    assert not [f for f in outcome.findings if f.severity in ("error", "warning") and f.column in (
        "cns_status", "mrd_method", "sos_severity")]


@case
def case_optional_codes_in_other_spellings_are_read(tmp):
    sheets = default_sheets()
    cns_row = set_cell(sheets, "patients", "INO-002", "cns_status", "ЦНС 3")
    set_cell(sheets, "patients", "INO-003", "cns_status", 2)
    set_cell(sheets, "assessments", "INO-001", "mrd_method", "ПЦР")
    set_cell(sheets, "adverse_events", "INO-006", "sos_severity", "очень тяжелая", nth=2)
    set_cell(sheets, "adverse_events", "INO-006", "sos_outcome", "летальный исход", nth=2)
    outcome = xlsx(sheets, tmp)
    patients = outcome.records.tables["patients"].set_index("patient_id")
    assert patients.loc["INO-002", "cns_status"] == "CNS3" and patients.loc["INO-003", "cns_status"] == "CNS2"
    assert outcome.records.tables["assessments"]["mrd_method"].iloc[0] == "PCR"
    events = outcome.records.tables["adverse_events"]
    vod = events[(events["patient_id"] == "INO-006") & events["sos_severity"].notna()]
    assert list(vod[["sos_severity", "sos_outcome"]].iloc[0]) == ["very severe", "fatal"]
    assert has_finding(outcome.findings, "correction", "patients", cns_row, "cns_status",
                       rule="Russian code translated")


@case
def case_cns_status_not_a_cns_grade(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-004", "cns_status", "CNS4")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("patients", row, "cns_status", "CNS4"), "is not a recognised CNS status")
    assert "(patient INO-004)" in outcome.message


@case
def case_extramedullary_disease_not_yes_no(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-005", "extramedullary_disease", "testis")
    problem(xlsx(sheets, tmp), at("patients", row, "extramedullary_disease", "testis"), "is not a recognised yes/no")


@case
def case_prior_lines_zero(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-001", "prior_lines", 0)
    problem(xlsx(sheets, tmp), at("patients", row, "prior_lines", "0"), "prior lines of therapy: 1")


@case
def case_prior_lines_not_a_number(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-001", "prior_lines", "две")
    # an optional column, but strict: an unreadable count stops the run (not a warning set to missing)
    problem(xlsx(sheets, tmp), at("patients", row, "prior_lines", "две"), "is not a number")


@case
def case_first_relapse_before_first_remission(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-005", "first_relapse_date", "01.01.2010")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("patients", row, "first_relapse_date"), "dated on or before the first remission")
    assert "(patient INO-005)" in outcome.message


@case
def case_first_relapse_date_in_primary_refractory_disease(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-003", "first_relapse_date", "01.01.2017")
    problem(xlsx(sheets, tmp), at("patients", row, "first_relapse_date"), "relapse_number is 0")


@case
def case_impossible_cr1_date_stops(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "patients", "INO-001", "cr1_date", "31.02.2015")
    problem(xlsx(sheets, tmp), at("patients", row, "cr1_date", "31.02.2015"), "February has no day 31")


@case
def case_mrd_method_unknown(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "mrd_method", "FISH")
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("assessments", row, "mrd_method", "FISH"), "is not a recognised MRD method")
    assert "(patient INO-001)" in outcome.message


@case
def case_mrd_detection_limit_zero(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "assessments", "INO-001", "mrd_detection_limit_pct", 0)
    problem(xlsx(sheets, tmp), at("assessments", row, "mrd_detection_limit_pct", "0.0"),
            "an MRD detection limit is above 0% and at most 100%")


@case
def case_sos_severity_given_as_a_ctcae_grade(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-006", "sos_severity", 3, nth=2)
    outcome = xlsx(sheets, tmp)
    problem(outcome, at("adverse_events", row, "sos_severity", "3"), "is not a recognised EBMT SOS/VOD severity")
    assert "(patient INO-006)" in outcome.message


@case
def case_sos_outcome_unknown_word(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "adverse_events", "INO-011", "sos_outcome", "improved", nth=1)
    problem(xlsx(sheets, tmp), at("adverse_events", row, "sos_outcome", "improved"),
            "is not a recognised SOS/VOD outcome")


# --------------------------------------------------------------------- GVHD (optional transplant columns)


@case
def case_agvhd_grade_not_a_grade(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-001", "agvhd_grade", "V")
    problem(xlsx(sheets, tmp), at("transplants", row, "agvhd_grade", "V"),
            "is not an acute GVHD grade (expected 0, I, II, III or IV) (patient INO-001)")


@case
def case_cgvhd_not_a_severity(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-006", "cgvhd", "very severe")
    problem(xlsx(sheets, tmp), at("transplants", row, "cgvhd", "very severe"),
            "is not a chronic GVHD severity (expected none, mild, moderate or severe) (patient INO-006)")


@case
def case_agvhd_grade_without_date(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-001", "agvhd_date", None)
    problem(xlsx(sheets, tmp), at("transplants", row, "agvhd_date"),
            "'agvhd_date' is empty but acute GVHD grade I-IV is recorded (agvhd_grade II) (patient INO-001)")


@case
def case_cgvhd_before_transplant(tmp):
    sheets = default_sheets()
    row = set_cell(sheets, "transplants", "INO-006", "cgvhd_date", "01.01.2017")
    problem(xlsx(sheets, tmp), at("transplants", row, "cgvhd_date", "2017-01-01"),
            "GVHD onset is dated before the transplant (patient INO-006)")


@case
def case_gvhd_grade_spellings(tmp):
    sheets = default_sheets()
    set_cell(sheets, "transplants", "INO-001", "agvhd_grade", 2)  # a number cell
    set_cell(sheets, "transplants", "INO-005", "agvhd_grade", "grade III")
    set_cell(sheets, "transplants", "INO-006", "cgvhd", "Умеренная")
    tables = ok(xlsx(sheets, tmp)).records.tables["transplants"].set_index("patient_id")
    assert tables.loc["INO-001", "agvhd_grade"] == 2 and tables.loc["INO-005", "agvhd_grade"] == 3
    assert tables.loc["INO-006", "cgvhd"] == "moderate"
    assert pd.isna(tables.loc["INO-016", "agvhd_grade"]) and tables.loc["INO-016", "cgvhd"] is None


@case
def case_gvhd_columns_not_recorded(tmp):
    sheets = default_sheets()
    drop = sorted((column_index(sheets, "transplants", c) for c in ("agvhd_grade", "agvhd_date", "cgvhd",
                                                                      "cgvhd_date")), reverse=True)
    for row in sheets["transplants"]:
        for position in drop:
            del row[position]
    outcome = xlsx(sheets, tmp)
    assert analysed(outcome) == 17
    transplants = outcome.records.tables["transplants"]
    assert transplants["agvhd_grade"].isna().all() and transplants["cgvhd"].isna().all()
    assert not [f for f in outcome.findings if f.column in ("agvhd_grade", "cgvhd") and f.severity != "correction"]


# ------------------------------------------------------------------------------------- runner


@pytest.mark.parametrize("check", CASES)
def test_bad_input(check, tmp_path, monkeypatch):
    """Each case's outcome; and when the records are clean, their data-quality report in Russian
    (config language: ru) has no English left: every finding the corpus makes has its translation."""
    outcomes = []
    read_and_clean = run

    def recorded(*args, **kwargs) -> Outcome:
        outcomes.append(read_and_clean(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(sys.modules[__name__], "run", recorded)
    check(tmp_path)
    for outcome in outcomes:
        if outcome.records is not None:
            assert english_left_in_russian_report_of(outcome.records, RULES) == []


def test_corpus_is_large_enough():
    assert len(CASES) >= 60


# -------------------------------------------------------------------------------- large files


def test_file_far_larger_than_any_cohort(tmp_path):
    """222 742 data rows (20 000 simulated patients) read and cleaned in bounded time and memory."""
    from ino_study.synthetic import simulate_cohort, write_raw

    directory = tmp_path / "big"
    write_raw(simulate_cohort(20_000, seed=7), directory, fmt="csv")
    rows = sum(len(p.read_bytes().splitlines()) - 1 for p in directory.glob("*.csv"))
    assert rows > 200_000
    tracemalloc.start()
    try:
        outcome = run(directory, rules=RULES.__class__(dt.date(2016, 10, 1), dt.date(2022, 9, 1), 18.0,
                                                      dt.date(2023, 1, 31)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcome.error is None, outcome.message[:2000]
    assert int(outcome.records.flow.iloc[0]["patients"]) == 20_000
    assert peak < 1_500_000_000, peak


@pytest.mark.slow
def test_large_workbook(tmp_path):
    """The same scale as an .xlsx workbook (slow: writing it takes a while)."""
    from ino_study.synthetic import simulate_cohort, write_raw

    (path,) = write_raw(simulate_cohort(10_000, seed=8), tmp_path, fmt="xlsx")
    outcome = run(path)
    assert outcome.error is None, outcome.message[:2000]
    assert int(outcome.records.flow.iloc[0]["patients"]) == 10_000
