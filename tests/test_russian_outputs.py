"""Russian outputs (config `language: ru`, issue #26), on the default cohort: the Results paragraph
and the reader tables. Expected numbers are the study's abstract (one-year OS 40.3%, 95% CI
14.8-65.7; 75% responders, 12 of 16) written by hand as Russian writes them; the English default
must stay exactly as committed.

"No English word remains" is checked so: every run of Latin letters in a Russian text must be a
word the reviewed catalogue itself keeps in Latin letters on its Russian side (e.g. 'CAR-T',
'CTCAE', 'p') or a file path the text names; anything else is English that escaped translation."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ino_study.outputs import language as lang
from ino_study.outputs.summary import results_paragraph

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = json.loads((ROOT / "results" / "summary.json").read_text(encoding="utf-8"))
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/.][A-Za-z0-9]+)*")


def latin_kept_by_the_catalogue() -> set[str]:
    with lang.catalogue_path("ru").open(encoding="utf-8", newline="") as handle:
        return {word for row in csv.DictReader(handle) for word in LATIN.findall(row["ru"])}


def english_left_in(text: str, paths: tuple[str, ...] = ()) -> list[str]:
    for path in paths:
        text = text.replace(path, "")
    allowed = latin_kept_by_the_catalogue()
    return sorted({word for word in LATIN.findall(text) if word not in allowed})


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


@pytest.fixture(scope="module")
def russian_run(tmp_path_factory):
    """clean_records -> derive_endpoints -> survival_statistics -> summarise and tables on the default
    cohort with language: ru, in this process (as benchmarks/one_process.py calls them)."""
    from types import SimpleNamespace

    from conftest import load_config
    from ino_study import steps
    from ino_study.config import step_settings
    from ino_study.layout import ANALYSIS_DATASETS, CLEAN_TABLES
    from ino_study.records.step import clean_records
    from ino_study.tables.step import TITLES, make_tables

    folder = tmp_path_factory.mktemp("russian")
    config = load_config(ROOT / "config.yaml", language="ru")
    raw = config["raw_data"]
    clean = SimpleNamespace(**{name: str(folder / f"clean/{name}.parquet") for name in CLEAN_TABLES},
                            findings=str(folder / "findings.csv"), report=str(folder / "report.md"),
                            flow=str(folder / "patient_flow.csv"))
    clean_records(str(ROOT / raw), step_settings(config, "clean_records"), clean)
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
    return folder


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
