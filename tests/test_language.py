"""The reader's language (issue #26): numbers as Russian writes them and the translation catalogue.
Expected texts are written by hand from the Russian conventions the issue names (decimal comma,
non-breaking space between thousands, dd.mm.yyyy, en dash between interval limits) and from the
study's abstract (one-year OS 40.3%, 95% CI 14.8-65.7)."""

import pytest

from ino_study.endpoints.labels import GENERIC_LEVEL_LABELS, LEVEL_LABELS, VARIABLE_LABELS, Labels
from ino_study.outputs import language as lang
from ino_study.outputs.formats import (
    format_ci,
    format_count,
    format_count_percent,
    format_date,
    format_level,
    format_p,
    format_p_label,
    format_percent,
)

NBSP = "\u00a0"


def test_the_abstracts_one_year_os_in_russian():
    assert format_percent(0.403, 1, language="ru") == "40,3%"
    assert format_ci(0.148, 0.657, 1, language="ru") == "14,8\u201365,7"
    assert format_level(0.95, language="ru") == "95%"
    assert format_level(0.975, language="ru") == "97,5%"


def test_english_is_unchanged_by_the_language_argument():
    assert format_percent(0.403, 1) == format_percent(0.403, 1, language="en") == "40.3%"
    assert format_ci(0.148, 0.657, 1, language="en") == "14.8-65.7"
    assert format_count(628268, language="en") == "628,268"
    assert format_date("2022-09-01") == "2022-09-01"


def test_russian_counts_p_values_and_dates():
    assert format_count(628268, language="ru") == f"628{NBSP}268"
    assert format_count(1234567, language="ru") == f"1{NBSP}234{NBSP}567"
    assert format_count(999, language="ru") == "999"
    assert format_p(0.0004, language="ru") == "< 0,001"
    assert format_p(0.0042, language="ru") == "0,004"
    assert format_p(0.23, language="ru") == "0,23"
    assert format_p_label(0.047, language="ru") == "p = 0,047"
    assert format_count_percent(1000, 8000, 1, language="ru") == f"1{NBSP}000 (12,5%)"
    assert format_date("2022-09-01", language="ru") == "01.09.2022"
    assert format_date("2016-02-29T00:00:00", language="ru") == "29.02.2016"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'de'"):
        format_percent(0.5, language="de")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        lang.catalogue("de")


def test_every_dictionary_label_has_a_russian_translation():
    english = set(VARIABLE_LABELS.values()) | set(GENERIC_LEVEL_LABELS.values())
    english |= {text for levels in LEVEL_LABELS.values() for text in levels.values()}
    missing = sorted(english - set(lang.catalogue("ru")))
    assert not missing, f"no Russian translation in {lang.catalogue_path('ru')} of: {missing}"


@pytest.mark.parametrize("english, russian", [
    ("OS", "ОВ"), ("EFS", "БСВ"), ("MRD", "МОБ"), ("HSCT", "ТГСК"), ("VOD/SOS", "ВОБ/СОС"),
    ("CR", "ПР"), ("CRi", "ПРн"), ("CI", "ДИ"),
])
def test_the_fields_russian_terms(english, russian):
    assert lang.translate(english, "ru") == russian


def test_russian_labels_and_a_centres_own_label():
    labels = lang.labels_in("ru")
    assert labels.variable("prior_hsct") == "ТГСК в анамнезе"
    assert labels.level("sex", "F") == "Женский"
    assert labels.level("prior_hsct", True) == "Да"
    assert labels.level("prior_hsct", None) == "Нет данных"
    own = lang.labels_in("ru", Labels.from_config({"labels": {"variables": {"prior_hsct": "ТГСК до ИнО"}}}))
    assert own.variable("prior_hsct") == "ТГСК до ИнО"
    assert lang.labels_in("en").level("sex", "F") == "Female"


def test_a_missing_translation_names_the_text_and_the_file():
    with pytest.raises(lang.UntranslatedText) as raised:
        lang.translate("Swimmer plot of every patient", "ru")
    assert "'Swimmer plot of every patient'" in str(raised.value)
    assert "translations/ru.csv" in str(raised.value)
    assert lang.translate("Anything", "en") == "Anything"


@pytest.mark.parametrize("rows, message", [
    ("en,ru,note\nSex,Пол,\nSex,Пол,\n", "row 3: 'Sex' is listed twice"),
    ("en,ru,note\nSex,,\n", "row 2: both 'en' and 'ru' must be filled in"),
    ("en,ru,note\nSex,Пол, мужской или женский,\n", "row 2: more than 3 fields"),
])
def test_a_malformed_catalogue_names_the_row(tmp_path, monkeypatch, rows, message):
    (tmp_path / "ru.csv").write_text(rows, encoding="utf-8")
    monkeypatch.setattr(lang, "CATALOGUE_DIR", tmp_path)
    lang.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=message):
            lang.catalogue("ru")
    finally:
        lang.catalogue.cache_clear()


def test_levels_joined_by_plus_are_translated_one_by_one():
    """A patient's MRD methods are one level ('PCR + NGS'); each method has its catalogue row."""
    assert lang.localise_text("PCR + NGS", "ru") == "ПЦР + NGS"
    assert lang.localise_text("flow + PCR", "ru") == "проточная цитометрия + ПЦР"
    with pytest.raises(lang.UntranslatedText):
        lang.localise_text("PCR + an unknown method", "ru")


def test_every_code_the_records_step_writes_has_a_russian_row():
    """The canonical codes of every coded column (records.parse *_SPELLINGS) and the derived codes
    (endpoints.labels.LEVEL_LABELS): the values a listing can show as they are, e.g. an SOS/VOD outcome
    'fatal' or a dose group 'reduced', are in the catalogue or kept in Latin script."""
    from ino_study.records import parse

    codes = {(name, code) for name in dir(parse) if name.endswith("_SPELLINGS")
             and isinstance(getattr(parse, name), dict) for code in getattr(parse, name) if isinstance(code, str)}
    codes |= {(variable, code) for variable, levels in LEVEL_LABELS.items() for code in levels if isinstance(code, str)}
    assert len(codes) > 10
    missing = []
    for name, code in sorted(codes):
        try:
            lang.localise_text(code, "ru")
        except lang.UntranslatedText:
            missing.append((name, code))
    assert missing == []
