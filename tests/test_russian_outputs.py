"""Russian outputs (config `language: ru`, issue #26), on the default cohort: the Results paragraph
and the reader tables. Expected numbers are the study's abstract (one-year OS 40.3%, 95% CI
14.8-65.7; 75% responders, 12 of 16) written by hand as Russian writes them; the English default
must stay exactly as committed.

"No English word remains" is checked by tests/russian_text.py (the catalogue's own Latin words, file
paths and identifiers aside)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ino_study.outputs import language as lang
from ino_study.outputs.summary import results_paragraph
from russian_text import english_left_in, english_left_in_report

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = json.loads((ROOT / "results" / "summary.json").read_text(encoding="utf-8"))


def test_the_check_finds_english():
    assert english_left_in("Ответ получен у 75% (CR or CRi)") == ["CR", "CRi", "or"]
    assert english_left_in("CAR-T-терапия в анамнезе") == []


def test_the_russian_results_paragraph_of_the_default_cohort():
    text = results_paragraph(SUMMARY, "ru")
    assert text.startswith("# Результаты\n\n")
    assert "Однолетняя общая выживаемость составила 40,3% (95% ДИ 14,8\u201365,7" in text
    assert "Ответ на терапию получен у 75% пациентов, подлежащих оценке (ПР или ПРн: 12 из 16; 95% ДИ" in text
    assert "В исследование включены 17 пациентов" in text
    assert "(2 из 6;" in text and "ВОБ/СОС" in text and "ТГСК" in text
    assert "41,2%" in text and "< 0,01%" in text
    assert "Дата среза данных: 31.01.2023." in text
    assert not re.search(r"\d\.\d", text.replace("31.01.2023", "").replace("summary.json", "")), \
        "a decimal point in the Russian text"
    assert english_left_in(text, paths=("results/summary.json",)) == []


def test_the_english_paragraph_is_the_committed_one():
    committed = (ROOT / "results" / "summary.md").read_text(encoding="utf-8")
    assert results_paragraph(SUMMARY) == results_paragraph(SUMMARY, "en") == committed
    assert "40.3% (95% CI 14.8-65.7" in committed


def test_the_other_branches_of_the_russian_paragraph():
    """Median not reached, no follow-up, a rate not estimable, no all-treated rate, another interval."""
    summary = json.loads(json.dumps(SUMMARY))
    summary["median_os_months"] = None
    summary["median_follow_up_months"] = None
    summary["response_all_treated"] = None
    summary["vod_standard_dose_hsct"].update(rate=None, ci_lower=None, ci_upper=None, count=0, denominator=0)
    summary["os_at_12_months"]["conf_type"] = "log-log"
    summary["n_excluded"] = 1
    text = results_paragraph(summary, "ru")
    assert "медиана общей выживаемости не достигнута." in text and "наблюдения" not in text
    assert "от всех пролеченных" not in text
    assert "не оценимо" in text and "двойной логарифмический интервал" in text
    assert "(ещё 1 пациент из выгрузки" in text
    assert english_left_in(text, paths=("results/summary.json",)) == []


@pytest.mark.parametrize("count, word", [(1, "пациент"), (2, "пациента"), (4, "пациента"), (5, "пациентов"),
                                         (11, "пациентов"), (12, "пациентов"), (21, "пациент"),
                                         (22, "пациента"), (111, "пациентов"), (0, "пациентов")])
def test_russian_plurals(count, word):
    assert lang.plural(count, "пациент|пациента|пациентов", "ru") == word


def test_a_template_with_an_unknown_placeholder_names_the_file_and_template(monkeypatch):
    monkeypatch.setattr(lang, "templates", lambda name, language: {"title": "Итоги {nonsense}"})
    with pytest.raises(ValueError, match=r"summary\.ru\.yaml, template 'title': unknown placeholder 'nonsense'"):
        lang.fill("summary", "title", "ru")
    with pytest.raises(lang.UntranslatedText, match="summary template 'os'"):
        lang.fill("summary", "os", "ru")


# ------------------------------------------------------------------ the steps, in-process, language: ru


def run_in_russian(raw: Path, folder: Path) -> Path:
    """clean_records -> derive_endpoints -> survival_statistics -> summarise, tables and hsct_outcomes on
    the export `raw` with language: ru, in this process (as benchmarks/one_process.py calls them)."""
    from types import SimpleNamespace

    from conftest import clean_records_outputs, load_config
    from ino_study import steps
    from ino_study.config import step_settings
    from ino_study.layout import ANALYSIS_DATASETS
    from ino_study.records.step import clean_records
    from ino_study.tables.step import TITLES, make_tables

    config = load_config(ROOT / "config.yaml", language="ru")
    clean = clean_records_outputs(folder / "clean", folder)
    clean_records(str(raw), step_settings(config, "clean_records"), clean)
    adam = SimpleNamespace(**{f"{name}_{fmt}": str(folder / f"adam/{name}.{fmt}")
                              for name in ANALYSIS_DATASETS for fmt in ("parquet", "csv")})
    steps.derive_endpoints(clean, step_settings(config, "derive_endpoints"), adam)
    adam.adsl, adam.adae, adam.adtte = adam.adsl_parquet, adam.adae_parquet, adam.adtte_parquet
    stats = SimpleNamespace(**{name: str(folder / f"tables/{file}.csv") for name, file in (
        ("estimates", "survival_estimates"), ("medians", "median_survival"), ("follow_up", "follow_up"),
        ("logrank", "logrank"), ("cox", "cox"))})
    steps.survival_statistics(adam, step_settings(config, "survival_statistics"), stats)
    summary = SimpleNamespace(summary=str(folder / "summary.json"), paragraph=str(folder / "summary.md"))
    steps.summarise(adam, stats, step_settings(config, "summarise"), summary)
    tables = SimpleNamespace(**{f"{name}_{ext}": str(folder / f"tables/{name}.{ext}")
                                for name in TITLES for ext in ("csv", "md")},
                             xlsx=str(folder / "tables/tables.xlsx"), docx=str(folder / "tables/tables.docx"))
    make_tables(adam, stats, step_settings(config, "tables"), tables)
    hsct = SimpleNamespace(outcomes=str(folder / "tables/hsct_outcomes.csv"),
                           transplants=str(folder / "tables/transplants.md"))
    steps.hsct_outcomes(adam, step_settings(config, "hsct_outcomes"), hsct)
    return folder


@pytest.fixture(scope="module")
def russian_run(tmp_path_factory):
    """The default cohort with language: ru (run_in_russian)."""
    from conftest import load_config

    return run_in_russian(ROOT / load_config(ROOT / "config.yaml")["raw_data"], tmp_path_factory.mktemp("russian"))


def test_the_russian_run_writes_a_russian_summary_and_a_neutral_json(russian_run):
    assert (russian_run / "summary.md").read_text(encoding="utf-8") == results_paragraph(SUMMARY, "ru")
    assert (russian_run / "summary.json").read_bytes() == (ROOT / "results" / "summary.json").read_bytes()


def test_the_russian_tables_of_the_default_cohort(russian_run):
    from ino_study.tables.step import TITLES

    survival = (russian_run / "tables" / "survival_summary.md").read_text(encoding="utf-8")
    os_row = next(line for line in survival.splitlines() if line.startswith("| ОВ | Все пациенты |"))
    assert "| 40,3 (14,8\u201365,7) | 5 |" in os_row
    response = (russian_run / "tables" / "response.md").read_text(encoding="utf-8")
    assert "| ПР/ПРн (ответившие) | подлежащие оценке | 12 | 16 | 75,0 | 47,6 | 92,7 | 12/16 (75,0%; 47,6\u201392,7) |" \
        in response
    table1 = (russian_run / "tables" / "table1.md").read_text(encoding="utf-8")
    assert "| Пол | Женский | 8 (47%) |" in table1 and "Все пациенты, N = 17" in table1
    for name in TITLES:
        text = (russian_run / "tables" / f"{name}.md").read_text(encoding="utf-8")
        assert text.startswith("# Таблица "), name
        # patient IDs and the column names a note cites (teae_window_days, onset_day) are identifiers
        ids = tuple(re.findall(r"INO-\d+", text)) + ("teae_window_days", "adverse_events_after_hsct",
                                                     "onset_day", "days_after_hsct", "cd22_pct")
        assert english_left_in(text, paths=ids) == [], name
        assert not re.search(r"\d\.\d", text.replace("Corbacioglu et al.", "")), f"a decimal point in {name}.md"
    # the CSVs keep machine names and full numbers, exactly as the English run writes them
    for name in TITLES:
        assert (russian_run / "tables" / f"{name}.csv").read_bytes() == \
            (ROOT / "results" / "tables" / f"{name}.csv").read_bytes(), name


def test_the_russian_xlsx_and_docx(russian_run):
    from docx import Document
    from openpyxl import load_workbook

    sheet = load_workbook(russian_run / "tables" / "tables.xlsx")["response_by_subgroup"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Показатель", "Уровень") and rows[0][-1] == "p"
    assert rows[1][:2] == ("ТГСК в анамнезе", "Нет") and rows[1][-1] == "0,60"
    texts = [str(v) for row in load_workbook(russian_run / "tables" / "tables.xlsx")["survival_summary"].iter_rows(
        values_only=True) for v in row if isinstance(v, str)]
    assert "40,3 (14,8\u201365,7)" in texts
    document = Document(str(russian_run / "tables" / "tables.docx"))
    visible = [p.text for p in document.paragraphs] + [cell.text for table in document.tables
                                                        for row in table.rows for cell in row.cells]
    assert visible[0].startswith("Инотузумаб озогамицин")
    everything = "\n".join(visible)
    ids = tuple(re.findall(r"INO-\d+", everything)) + ("teae_window_days", "adverse_events_after_hsct",
                                                       "onset_day", "days_after_hsct", "cd22_pct")
    assert english_left_in(everything, paths=ids) == []


def test_an_untranslated_table_text_names_the_catalogue_row_to_add():
    with pytest.raises(lang.UntranslatedText, match=r"'Swimmers among \{1\} patients'.*translations/ru\.csv"):
        lang.localise_text("Swimmers among 17 patients", "ru")
    assert lang.localise_text("8/16 (50.0%; 24.7-75.3)", "ru") == "8/16 (50,0%; 24,7\u201375,3)"
    assert lang.localise_text("1,000 (12%)", "ru") == "1\u00a0000 (12%)"
    assert lang.localise_text("Course 1 CR", "ru") == "ПР после 1-го курса"
    assert lang.text_key("INO-006 CD22 2b 6_months_pct") == ("INO-006 CD22 2b {1}_months_pct", ["6"])


def test_the_russian_data_quality_report_headings_and_flow(russian_run):
    report = (russian_run / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Отчёт о качестве данных\n\nИсходные данные: `ino_registry_export_SYNTHETIC.xlsx`. "
                             "Дата среза данных: 31.01.2023. Период первого введения ИнО: 01.10.2016\u201301.09.2022.")
    assert "| пациентов в исходных данных | 20 |" in report and "| пациентов в анализе | 17 |" in report
    assert "## Исключения (5)" in report and "| Таблица | Источник | Строка | Столбец | ID пациента |" in report
    # the headings and fixed texts: every line outside the findings tables is Russian
    fixed = [line for line in report.splitlines() if not line.startswith("| ") or line.startswith("| Этап")]
    assert english_left_in("\n".join(fixed), paths=("ino_registry_export_SYNTHETIC.xlsx",)) == []
    # the machine-readable flow keeps English steps, as the English run writes it
    assert (russian_run / "patient_flow.csv").read_bytes() == \
        (ROOT / "results" / "data_quality" / "patient_flow.csv").read_bytes()


# ------------------------------------------------- the data-quality report's findings and transplants.md


def _findings(path: Path) -> "pd.DataFrame":
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_the_russian_data_quality_report_has_no_english_left(russian_run):
    """Every finding of the default cohort (5 exclusions, 1 warning, 78 corrections) in Russian; the
    identifiers and raw values as the English findings.csv has them, which stays English (machine file)."""
    report = (russian_run / "report.md").read_text(encoding="utf-8")
    assert (russian_run / "findings.csv").read_bytes() == \
        (ROOT / "results" / "data_quality" / "findings.csv").read_bytes()
    findings = _findings(russian_run / "findings.csv")
    assert english_left_in_report(report, findings) == []
    # texts written by hand from the English findings of results/data_quality/report.md
    assert ("| adverse_events | ino_registry_export_SYNTHETIC.xlsx, лист 'adverse_events' | 39 | onset_date | INO-017 "
            "| 20.02.2023 | дата позже даты среза данных 31.01.2023 | запись не включена в анализ | 1 |") in report
    assert ("| patients | ino_registry_export_SYNTHETIC.xlsx, лист 'patients' |  |  | INO-020 |  | нет введения ИнО "
            "до даты среза данных включительно | пациент не включён в анализ | 1 |") in report
    assert ("| assessments | ino_registry_export_SYNTHETIC.xlsx, лист 'assessments' | 12 | mrd_detection_limit_pct |  "
            "| строки 12, 16, 24 | десятичная запятая прочитана как десятичный разделитель; удалён знак '%' "
            "| нормализовано | 3 |") in report
    assert "| assessments | ino_registry_export_SYNTHETIC.xlsx, лист 'assessments' | 4 | mrd |  | строки 4, 7 " \
           "| 'н/д' прочитано как «не выполнено» | нормализовано | 2 |" in report
    # the English report fails the same check: the check can fail
    english = (ROOT / "results" / "data_quality" / "report.md").read_text(encoding="utf-8")
    assert any("dated" in problem for problem in english_left_in_report(english, findings))


def _cohort_with_findings(tmp: Path) -> Path:
    """The default workbook with an unreadable optional number, an Excel error, an impossible date, a
    'y' for yes and a percent-formatted MRD cell (tests/bad_inputs/corpus.py writes it)."""
    from openpyxl.utils import get_column_letter

    from bad_inputs.corpus import column_index, default_sheets, set_cell, write_xlsx

    sheets = default_sheets()
    set_cell(sheets, "assessments", "INO-001", "anc_10e9_l", "много")
    set_cell(sheets, "assessments", "INO-011", "platelets_10e9_l", "#VALUE!")
    set_cell(sheets, "patients", "INO-003", "diagnosis_date", "31.02.2019")
    set_cell(sheets, "patients", "INO-002", "prior_blinatumomab", "y")
    row = set_cell(sheets, "assessments", "INO-001", "mrd", 0.0001)
    letter = get_column_letter(column_index(sheets, "assessments", "mrd") + 1)
    return write_xlsx(sheets, tmp / "export.xlsx", number_formats={("assessments", f"{letter}{row}"): "0.00%"})


def _clean(raw: Path, folder: Path, language: str) -> Path:
    from conftest import clean_records_outputs, load_config
    from ino_study.config import step_settings
    from ino_study.records.step import clean_records

    folder.mkdir()
    config = load_config(ROOT / "config.yaml", language=language)
    output = clean_records_outputs(folder, folder)
    clean_records(str(raw), step_settings(config, "clean_records"), output)
    return folder


def test_a_cohort_with_warnings_and_corrections_gets_a_russian_report(tmp_path):
    raw = _cohort_with_findings(tmp_path)
    english, russian = _clean(raw, tmp_path / "en", "en"), _clean(raw, tmp_path / "ru", "ru")
    for name in ("findings.csv", "patient_flow.csv"):
        assert (russian / name).read_bytes() == (english / name).read_bytes(), name
    findings = _findings(russian / "findings.csv")
    assert set(findings["severity"]) == {"exclusion", "warning", "correction"}
    report = (russian / "report.md").read_text(encoding="utf-8")
    assert english_left_in_report(report, findings) == []
    assert english_left_in_report((english / "report.md").read_text(encoding="utf-8"), findings) != []
    # written by hand from the English rules of the findings (tests/test_bad_inputs.py names them)
    for text in ("| много | 'много' — не число | считается пропуском |",
                 "| #VALUE! | значение ошибки Excel #VALUE! | считается пропуском |",
                 "| 31.02.2019 | 31.02.2019 — несуществующая дата: месяц «февраль» не имеет 31-го числа "
                 "| считается пропуском |",
                 "| 'y' прочитано как да | нормализовано |",
                 "| ячейка в процентном формате (хранится как 0,0001) прочитана как показанный в ней процент "
                 "| преобразовано |"):
        assert text in report, text


def test_the_russian_transplants_table(russian_run):
    text = (russian_run / "tables" / "transplants.md").read_text(encoding="utf-8")
    committed = (ROOT / "results" / "tables" / "transplants.md").read_text(encoding="utf-8")
    assert text.startswith("# Трансплантации после ИнО\n\n| Показатель | Значение |")
    assert len(text.splitlines()) == len(committed.splitlines())
    # the committed English rows ('8 (47%)', '48 [36-51]', '50.0% (15.4-84.6), n = 8') as Russian writes them
    for row in ("| Выполнена ТГСК после ИнО | 8 (47%) |",
                "|   гаплоидентичный | 3 (38%) |",
                "|   ТОТ 12 Гр + этопозид | 3 (38%) |",
                "|   II | 2 (25%) |",
                "| Дней от последнего введения ИнО до ТГСК, медиана [размах] | 48 [36\u201351] |",
                "| Общая выживаемость через 1 год | 50,0% (15,4\u201384,6), n = 8 |",
                "| Острая РТПХ II\u2013IV степени к 100-му дню | 57,1% (30,1\u2013100,0), n = 7 |"):
        assert row in text, row
    assert "95% ДИ: выживаемость по Каплану\u2013Мейеру (линейный интервал)" in text
    assert english_left_in(text) == []
    assert not re.search(r"\d\.\d", text), "a decimal point in transplants.md"


def test_transplants_without_gvhd_and_a_centres_own_regimen_in_russian(russian_run):
    """GVHD not recorded: the outcomes 'not estimated' with the reason and the note naming them; a
    conditioning regimen with no catalogue entry is shown as the centre recorded it."""
    from ino_study.outputs.io import read_parquet
    from ino_study.statistics.hsct_outcomes import hsct_outcomes_table, transplants_table

    adsl = read_parquet(russian_run / "adam" / "adsl.parquet")
    adtte = read_parquet(russian_run / "adam" / "adtte.parquet")
    adtte = adtte[~adtte["PARAMCD"].isin(["AGVHD_II_IV", "AGVHD_III_IV", "CGVHD", "GRFS"])]
    adsl.loc[adsl["hsct_conditioning"] == "busulfan + fludarabine + thiotepa", "hsct_conditioning"] = "Bu/Flu/TT"
    table, note = transplants_table(adsl, hsct_outcomes_table(adtte), "ru")
    rows = dict(zip(table["characteristic"], table["value"]))
    assert rows["Острая РТПХ II\u2013IV степени к 100-му дню"] == \
        "не оценено (нет данных: ни в одной записи о трансплантации нет agvhd_grade)"
    assert rows["Выживаемость без РТПХ и рецидива через 1 год"] == \
        "не оценено (нет данных: нужны agvhd_grade и cgvhd в записи о трансплантации в ПР/ПРн)"
    assert rows["  Bu/Flu/TT"] == "2 (25%)"
    assert note == ("Не рассчитано, нет данных (в записях о трансплантациях нет agvhd_grade / cgvhd): острая РТПХ "
                    "II\u2013IV степени, острая РТПХ III\u2013IV степени, хроническая РТПХ, выживаемость без РТПХ и рецидива.")
    english_table, english_note = transplants_table(adsl, hsct_outcomes_table(adtte))
    assert english_note == ("Skipped, not recorded (no agvhd_grade / cgvhd on the transplant records): acute GVHD "
                            "grade II-IV, acute GVHD grade III-IV, chronic GVHD, GVHD-free, relapse-free survival.")
    assert len(english_table) == len(table)


# --------------------------------------------------------------------------------- the catalogue's placeholders
PLACEHOLDERS = re.compile(r"\{[^{}]*\}|%[sdr]")


def test_the_check_of_placeholders_can_fail():
    assert sorted(PLACEHOLDERS.findall("{value} read as {label}")) == ["{label}", "{value}"]
    assert sorted(PLACEHOLDERS.findall("{1} из {2}; %s")) == ["%s", "{1}", "{2}"]
    assert sorted(PLACEHOLDERS.findall("{значение} прочитано как {label}")) != ["{label}", "{value}"]


def test_every_translation_keeps_the_placeholders_of_its_english_text():
    """A translation that drops, adds or renames a placeholder ({value}, {1}, %s) would print the wrong
    value or fail when filled in; each one is listed as often as in the English text (order free)."""
    import csv
    from collections import Counter

    with lang.catalogue_path("ru").open(encoding="utf-8", newline="") as handle:
        wrong = [(row_number, row["en"], row["ru"])
                 for row_number, row in enumerate(csv.DictReader(handle), start=2)
                 if Counter(PLACEHOLDERS.findall(row["en"])) != Counter(PLACEHOLDERS.findall(row["ru"]))]
    assert wrong == []


def test_the_summary_templates_use_only_the_values_the_code_provides():
    """Each template of summary.ru.yaml is filled in by outputs/summary.py's
    translated_results_paragraph with `text("<key>", name=...)`: its placeholders must be among those
    names, and every key the code fills in must be in the file (read from the code, not from a run, so a
    branch the default cohort does not take is checked too)."""
    import ast
    import string

    import ino_study.outputs.summary as summary_module

    tree = ast.parse(Path(summary_module.__file__).read_text(encoding="utf-8"))
    function = next(node for node in ast.walk(tree)
                    if isinstance(node, ast.FunctionDef) and node.name == "translated_results_paragraph")
    provided: dict[str, set[str]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text":
            key = node.args[0].value
            provided.setdefault(key, set()).update(keyword.arg for keyword in node.keywords)
    assert {"title", "included", "response", "os", "vod", "notes"} <= set(provided)
    templates = lang.templates("summary", "ru")
    sentences = {key: value for key, value in templates.items() if isinstance(value, str)}
    assert set(sentences) == set(provided)
    for key, template in sentences.items():
        used = {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}
        assert used <= provided[key], (key, used - provided[key])
    assert set(templates["interval_types"]) == {"plain", "log", "log-log"}


@pytest.mark.parametrize("example", ["redcap", "russian_headers", "two_centres"])
def test_the_example_exports_get_a_russian_data_quality_report(example, tmp_path, monkeypatch):
    """The example configs (a REDCap export, Russian headers read through column_map, two centres
    pooled) under language: ru: the records step writes a report with no English left; the centre
    names (SYN-A, SYN-B) are data."""
    import yaml

    from conftest import clean_records_outputs, load_config
    from ino_study.config import step_settings
    from ino_study.records.step import clean_records

    overrides = yaml.safe_load((ROOT / "config" / "examples" / f"{example}.yaml").read_text(encoding="utf-8"))
    config = load_config(ROOT / "config.yaml", **{**overrides, "language": "ru"})
    monkeypatch.chdir(ROOT)  # the example paths are relative to the project
    output = clean_records_outputs(tmp_path, tmp_path)
    clean_records(config["raw_data"], step_settings(config, "clean_records"), output)
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    findings = _findings(tmp_path / "findings.csv")
    assert len(findings) > 0 and report.startswith("# Отчёт о качестве данных")
    assert english_left_in_report(report, findings, centre_names=("SYN-A", "SYN-B")) == []


#: Optional columns a centre may not record (docs/data_dictionary.md): without them the tables say
#: "not recorded" and the analyses needing them are skipped with a line saying why.
OPTIONAL = {"patients": ("diagnosis_date", "cytogenetics", "cd22_pct", "cns_status", "prior_lines"),
            "assessments": ("mrd_method", "mrd_detection_limit_pct"),
            "transplants": ("donor_type", "conditioning", "agvhd_grade", "agvhd_date", "cgvhd", "cgvhd_date"),
            "adverse_events": ("sos_severity", "sos_treatment", "sos_outcome")}


def test_a_cohort_without_the_optional_columns_in_russian(tmp_path):
    """The texts a reader sees when a centre does not record the optional columns (the 'not recorded'
    cells, footnotes and skipped-analysis lines) are Russian too."""
    from bad_inputs.corpus import column_index, default_sheets, write_xlsx

    sheets = default_sheets()
    for sheet, columns in OPTIONAL.items():
        for column in columns:
            position = column_index(sheets, sheet, column)
            sheets[sheet] = [row[:position] + row[position + 1:] for row in sheets[sheet]]
    folder = run_in_russian(write_xlsx(sheets, tmp_path / "export.xlsx"), tmp_path / "run")
    transplants = (folder / "tables" / "transplants.md").read_text(encoding="utf-8")
    assert "Не рассчитано, нет данных (в записях о трансплантациях нет agvhd_grade / cgvhd)" in transplants
    assert "|   нет данных | 8 (100%) |" in transplants  # donor and conditioning not recorded for the 8
    sos = (folder / "tables" / "sos_vod.md").read_text(encoding="utf-8")
    assert "| нет данных |" in sos
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        ids = tuple(re.findall(r"INO-\d+", text)) + ("teae_window_days", "adverse_events_after_hsct",
                                                    "onset_day", "days_after_hsct", "cd22_pct", "export.xlsx",
                                                    "results/summary.json")
        if path.name == "report.md":
            assert english_left_in_report(text, _findings(folder / "findings.csv")) == [], path.name
        else:
            assert english_left_in(text, paths=ids) == [], path.name


@pytest.mark.slow
def test_a_simulated_registry_cohort_in_russian(tmp_path):
    """A 3,000-patient simulated export reaches texts the 17 patients never do (an adverse-events note for
    events outside both periods was untranslated until a run at this size stopped on it); every reader
    text of the run is Russian."""
    import subprocess
    import sys

    cohort = tmp_path / "cohort"
    subprocess.run([sys.executable, str(ROOT / "workflow/scripts/simulate_cohort.py"), "--patients", "3000",
                    "--seed", "2", "--out", str(cohort)], check=True, capture_output=True)
    folder = run_in_russian(cohort, tmp_path / "run")
    adverse_events = (folder / "tables" / "adverse_events.md").read_text(encoding="utf-8")
    assert "не относятся ни к одному периоду" in adverse_events
    for path in sorted(folder.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        ids = tuple(re.findall(r"[A-Z]+-\d+", text)) + ("teae_window_days", "adverse_events_after_hsct",
                                                       "onset_day", "days_after_hsct", "cd22_pct", "results/summary.json")
        if path.name == "report.md":
            assert english_left_in_report(text, _findings(folder / "findings.csv")) == [], path.name
        else:
            assert english_left_in(text, paths=ids) == [], path.name
