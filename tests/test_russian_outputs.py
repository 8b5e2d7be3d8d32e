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
