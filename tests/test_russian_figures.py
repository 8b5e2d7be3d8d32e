"""Russian figures (config `language: ru`, issue #26): every figure the pipeline draws shows Russian text,
with numbers as Russian writes them, in a font that has every Cyrillic glyph used.

Every figure of figures.step.draw_figures is drawn for the default cohort (the committed synthetic
registry export, 17 patients, built in-process as tests/test_figure_text_layout.py builds it) with
language: ru, at the default width (7 in) and the single-column preset (3.5 in). The visible texts
are the Text artists that drew themselves (titles, axis and tick labels, legends, numbers at risk,
annotations, footnotes). Expected numbers are the study's abstract (one-year OS 40.3%, 95% CI
14.8-65.7; 12 of 16 responders, 75%) written by hand as Russian writes them.

"No English word remains" as in tests/test_russian_outputs.py: every run of Latin letters must be a
word the reviewed catalogue itself keeps in Latin letters on its Russian side (CTCAE, CAR-T, p, n,
N), a patient ID, or a word of a published reference (authors and journals, cited as published in
data/literature/published_cohorts.csv)."""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.font_manager import FontProperties

from test_figure_text_layout import CONFIG, PUBLISHED, WIDTHS, cohort, recording_drawn_texts, text_problems
from russian_text import LATIN, english_left_in
from ino_study.figures.catalogue import figure_names
from ino_study.figures.captions import km_os_caption
from ino_study.figures.step import draw_figures
from ino_study.figures.theme import FONT_FAMILY, FigureSettings, new_figure
from ino_study.figures.words import Words
from ino_study.outputs import language as lang

FIGURES = figure_names(CONFIG["comparisons"])
CITATION_WORDS = {word for citation in pd.read_csv(PUBLISHED)["citation"] for word in LATIN.findall(citation)}
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
NBSP = "\u00a0"
#: A glyph-missing warning of matplotlib's renderers ("Glyph 28450 (\N{...}) missing from font(s) DejaVu Sans.")
MISSING_GLYPH = r"(?s).*Glyph .* missing"


def visible_texts(fig) -> list[str]:
    """The texts of the figure's Text artists that draw themselves (non-empty, visible)."""
    with recording_drawn_texts() as drawn:
        fig.canvas.draw()
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) in drawn]


@pytest.fixture(scope="module")
def russian_figures():
    """{width: {figure: Figure}} and the generated captions, every pipeline figure drawn with language: ru."""
    from ino_study.statistics.survival_analysis import (
        SurvivalData, SurvivalSettings, cox_table, logrank_table, survival_estimates,
    )

    data = cohort("default")
    settings = SurvivalSettings(tuple(float(t) for t in CONFIG["survival_timepoints_months"]), CONFIG["km_ci"],
                                float(CONFIG["confidence_level"]), tuple(CONFIG["comparisons"]))
    fitted = SurvivalData(data["adtte"], data["adsl"], settings)
    tables = (logrank_table(fitted), cox_table(fitted), survival_estimates(fitted))
    figures, captions = {}, {}
    for width, width_in in WIDTHS.items():
        config = {**CONFIG, "language": "ru", "figures": {**CONFIG["figures"], "width_in": width_in}}
        figures[width] = {name: fig for name, fig, _ in draw_figures(
            data["adsl"], data["adrs"], data["adtte"], data["adae"], data["doses"], *tables, pd.read_csv(PUBLISHED),
            config, captions=captions)}
    return figures, captions


def english_in_figure(texts: list[str]) -> list[str]:
    allowed_elsewhere = set(CITATION_WORDS)
    text = "\n".join(texts)
    ids = tuple(re.findall(r"INO-\d+", text))
    return [word for word in english_left_in(text, paths=ids) if word not in allowed_elsewhere]


# ---------------------------------------------------------------------------------------------------------
# (1) no English word, numbers as Russian writes them


def test_the_check_finds_english_in_a_figure():
    assert english_in_figure(["Общая выживаемость", "12 mo: 40,3%", "INO-001", "Bhojwani 2019"]) == ["mo"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("figure", FIGURES)
def test_no_english_left_in_a_russian_figure(russian_figures, width, figure):
    texts = visible_texts(russian_figures[0][width][figure])
    assert any(CYRILLIC.search(t) for t in texts), f"{figure}: no Russian text at all"
    assert english_in_figure(texts) == [], f"{figure} ({width} in): {texts}"
    decimals = [t for t in texts if re.search(r"\d\.\d", t)]
    assert not decimals, f"{figure} ({width} in): a decimal point in {decimals}"


def test_the_russian_overall_survival_figure_of_the_default_cohort(russian_figures):
    texts = visible_texts(russian_figures[0]["7"]["km_os"])
    # the abstract's one-year OS, 40.3% (14.8-65.7), with a decimal comma and an en dash
    assert "12 мес: 40,3%\n(14,8%\u201365,7%)" in texts
    assert {"Общая выживаемость", "Число пациентов под риском", "Месяцы от первого введения ИнО",
            "Все пациенты (n = 17)", "Заливка: 95% ДИ (линейный); + цензурированные"} <= set(texts)
    assert any(re.fullmatch(r"медиана \d+,\d мес", t) for t in texts)
    by_group = visible_texts(russian_figures[0]["7"]["km_os_by_prior_hsct"])
    assert "Общая выживаемость по подгруппам: ТГСК в анамнезе" in by_group
    assert any(t.startswith("p (лог-ранговый критерий) = 0,") for t in by_group)
    rates = visible_texts(russian_figures[0]["7"]["response_rates"])
    assert "75,0%\n12/16" in rates and "ПР/ПРн\n(из подлежащих оценке)" in rates


def test_the_russian_captions_of_the_default_cohort(russian_figures):
    captions = russian_figures[1]
    assert set(captions) == {"km_os", "response_rates", "cumulative_incidence_vod"}
    assert "через 12 мес 40,3% (95% ДИ 14,8\u201365,7;" in captions["km_os"]
    assert "ПР/ПРн (из подлежащих оценке): 12/16 = 75,0% (47,6\u201392,7)" in captions["response_rates"]
    assert "ВОБ/СОС (стандартная доза + ТГСК): 2/6 = 33,3%" in captions["response_rates"]
    for name, text in captions.items():
        paths = tuple(re.findall(r"results/\S+?\.csv", text))
        assert english_left_in(text, paths=paths) == [], name
        without_paths = re.sub(r"results/\S+?\.csv", "", text)
        assert not re.search(r"\d\.\d", without_paths), f"a decimal point in the {name} caption"


def test_the_english_captions_are_unchanged_by_the_words_object(russian_figures):
    """The caption of the English default as committed before translation: the same sentence."""
    from ino_study.figures.km import km_figure_data

    data = km_figure_data(np.array([1.0, 2.0, 3.0, 14.0]), np.array([1, 1, 0, 0]), None, 0.95, "plain")
    text = km_os_caption(data, 0.95, "plain")
    assert text.startswith("Kaplan-Meier overall survival from the first InO dose in this run's 4 included patients: "
                           "at 12 months 50.0% (95% CI ")
    assert text == km_os_caption(data, 0.95, "plain", Words("en"))


def test_the_texts_of_rare_cases_in_russian():
    """No patients, a stratified test, thinned censor marks and a sampled per-patient figure."""
    from ino_study.figures.km import draw_km, draw_no_patients, km_figure_data
    from ino_study.figures.transplant import draw_cif

    settings = FigureSettings(dpi=60, language="ru", censor_marks_max=2)
    empty = visible_texts(draw_no_patients(settings, "DOR"))
    assert "Нет пациентов: показатель «длительность ответа» в этой когорте оценить нельзя." in " ".join(
        t.replace("\n", " ") for t in empty)
    cif = visible_texts(draw_cif(pd.DataFrame([{"element": "no_patients", "endpoint": "VOD", "n": 0}]), settings,
                                 "VOD", 0.95))
    assert english_in_figure(cif) == [] and any("никому не выполнена ТГСК" in t.replace("\n", " ") for t in cif)
    rng = np.random.default_rng(1)
    data = km_figure_data(rng.exponential(10, 40), (rng.random(40) < 0.3).astype(int), None, 0.95, "log-log")
    texts = visible_texts(draw_km(data, settings, "OS", "log-log", 0.95, logrank_p=0.0004,
                                  logrank_label="Stratified log-rank p"))
    note = next(t for t in texts if t.startswith("p (стратифицированный"))
    assert "p (стратифицированный лог-ранговый критерий) < 0,001" in note and "двойной логарифмический" in note
    assert "одна отметка на столбец пикселей" in note.replace("\n", " ")
    assert english_in_figure(texts) == []
    assert Words("ru").note("Random sample of 40 of 1,000 patients (seed 20230131).") == \
        f"Случайная выборка: 40 из 1{NBSP}000 пациентов (начальное значение генератора 20230131)."


def test_an_untranslated_figure_text_names_the_catalogue_row_to_add():
    with pytest.raises(lang.UntranslatedText, match=r"'Swimmers by \{arm\}'.*translations/ru\.csv"):
        Words("ru")("Swimmers by {arm}", arm="A")
    assert Words("en")("{name} by {group}", name="Overall survival", group="sex") == "Overall survival by sex"


# ---------------------------------------------------------------------------------------------------------
# (2) the font has every Cyrillic glyph; PNG, SVG and PDF are saved without a missing glyph


def font_paths() -> dict[str, str]:
    """The font files matplotlib uses for the figures' text, regular and bold (the titles)."""
    from ino_study.figures.theme import use_theme

    use_theme()
    return {weight: font_manager.findfont(FontProperties(family=FONT_FAMILY, weight=weight), fallback_to_default=False)
            for weight in ("normal", "bold")}


def test_the_figures_font_is_dejavu_sans_with_every_cyrillic_glyph_used(russian_figures):
    used = {c for width in russian_figures[0].values() for fig in width.values()
            for text in visible_texts(fig) for c in text if CYRILLIC.match(c)}
    used |= {c for text in lang.catalogue("ru").values() for c in text if CYRILLIC.match(c)}
    assert len(used) > 40  # the Russian alphabet, upper and lower case, is in use
    for weight, path in font_paths().items():
        assert Path(path).name.startswith("DejaVuSans"), (weight, path)
        charmap = ft2font.FT2Font(path).get_charmap()
        missing = sorted(c for c in used if ord(c) not in charmap)
        assert not missing, f"{path} lacks {missing}"
        # the check can fail: DejaVu Sans has no CJK ideographs
        assert ord("\u6f22") not in charmap


def save_all(fig) -> dict[str, bytes]:
    out = {}
    for fmt in ("png", "svg", "pdf"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=60)
        out[fmt] = buffer.getvalue()
    return out


def test_saving_a_figure_with_a_missing_glyph_warns():
    """The warning the next test turns into an error exists: a character DejaVu Sans lacks warns."""
    fig = new_figure(FigureSettings(dpi=60))
    fig.text(0.5, 0.5, "\u6f22")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        with pytest.raises(UserWarning, match="missing"):
            save_all(fig)


@pytest.mark.parametrize("figure", ["km_os_by_prior_hsct", "landmark_os", "forest_cox", "literature_comparison"])
def test_russian_figures_save_to_png_svg_and_pdf_with_every_glyph(russian_figures, figure):
    fig = russian_figures[0]["7"][figure]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        files = save_all(fig)
    assert files["png"].startswith(b"\x89PNG")
    svg = files["svg"].decode("utf-8")
    assert "Число пациентов под риском" in svg or CYRILLIC.search(svg)  # text kept as text (svg.fonttype none)
    assert "DejaVu Sans" in svg
    pdf = files["pdf"]
    # the font embedded as TrueType (pdf.fonttype 42): a FontFile2 stream and DejaVu Sans by name
    assert b"/FontFile2" in pdf and b"DejaVuSans" in pdf
    assert b"/Subtype /Type3" not in pdf


# ---------------------------------------------------------------------------------------------------------
# (3) every catalogue row keeps the placeholders of its English text


PLACEHOLDER = re.compile(r"\{[^{}]*\}|%[sd]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_placeholder_check_finds_a_lost_or_renamed_placeholder():
    assert placeholders("{months} mo: {estimate}") == placeholders("{estimate} через {months} мес")
    assert placeholders("{months} mo: {estimate}") != placeholders("{months} мес: {estimat}")
    assert placeholders("Table {1}. %s") != placeholders("Таблица {1}.")


def test_every_translation_keeps_the_placeholders_of_its_english_text():
    with lang.catalogue_path("ru").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(lang.catalogue("ru"))
    wrong = [(row_number, row["en"], row["ru"]) for row_number, row in enumerate(rows, start=2)
             if placeholders(row["en"]) != placeholders(row["ru"])]
    assert not wrong, f"{lang.catalogue_path('ru')}: rows whose placeholders differ from the English: {wrong}"


# ---------------------------------------------------------------------------------------------------------
# (4) no text on text: the longer Russian labels at 7 in and 3.5 in


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("figure", FIGURES)
def test_no_text_on_text_in_a_russian_figure(russian_figures, width, figure):
    problems = text_problems(russian_figures[0][width][figure], f"{figure} (ru, {width} in wide)")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------
# the rules: `language` reruns the figures; the report's fixed captions and categories in Russian


ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "workflow" / "report"


def test_the_figure_rules_read_language_and_the_catalogue():
    from ino_study.config import STEP_SETTINGS

    assert "language" in STEP_SETTINGS["figures"]  # passed as params: changing it reruns the figures
    rules = (ROOT / "workflow" / "rules" / "figures.smk").read_text(encoding="utf-8")
    # the catalogue and the number formats count as the figures' code: correcting a term reruns them
    # (common.smk's LANGUAGE_CODE; test_rerun.py checks every language-reading rule in a dry run)
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    language_code = common[common.index("LANGUAGE_CODE = ["):]
    language_code = language_code[:language_code.index("]")]
    assert '"outputs/translations/ru.csv"' in language_code and '"outputs/formats.py"' in language_code
    assert "*LANGUAGE_CODE" in rules
    assert rules.count('config["language"]') == 2  # both figure rules' report captions and categories


def rendered_caption(path: Path) -> str:
    """A report caption as Snakemake renders it (Jinja, with the default config as snakemake.config)."""
    from types import SimpleNamespace

    import jinja2

    from conftest import load_config

    return jinja2.Template(path.read_text(encoding="utf-8")).render(snakemake=SimpleNamespace(config=load_config()))


@pytest.mark.parametrize("name", sorted(p.name for p in REPORT.glob("*.rst")))
def test_every_report_caption_has_a_russian_one(name):
    russian = REPORT / "ru" / name
    assert russian.exists(), f"no Russian caption {russian}"
    text = rendered_caption(russian)
    # identifiers the caption names: paths, config keys and columns, dataset names, comparison variables
    identifiers = tuple(re.findall(r"``[^`]+``|\b(?:results|data)/\S+|\b[a-z0-9]+(?:_[a-z0-9]+)+\b"
                                   r"|\b(?:adsl|adrs|adtte|adae)\b", text))
    assert english_left_in(text, paths=tuple(sorted(identifiers, key=len, reverse=True))) == [], text
    without = re.sub(r"\b\d{2}\.\d{2}\.\d{4}\b", "", text)  # dates, dd.mm.yyyy
    for identifier in identifiers:
        without = without.replace(identifier, "")
    assert not re.search(r"\d\.\d", without), f"a decimal point in {russian}: {text}"


def test_the_russian_report_names_the_abstracts_settings_as_russian_writes_them():
    assert "с 95% доверительной полосой (с линейным преобразованием)" in rendered_caption(REPORT / "ru" / "km_efs.rst")
    assert "< 0,01%" in rendered_caption(REPORT / "ru" / "swimmer.rst")
    assert "с датой среза данных 31.01.2023:" in rendered_caption(REPORT / "ru" / "workflow.rst")


def test_the_figure_outputs_carry_russian_captions_and_categories():
    from ino_study.figures.catalogue import GENERATED_CAPTIONS, figure_outputs

    def report(path, **kwargs):
        return {"path": path, **kwargs}

    outputs = figure_outputs(CONFIG["comparisons"], ["png"], "results/figures", report, language="ru")
    for key, value in outputs.items():
        if not key.endswith("_png"):
            continue
        name = key[: -len("_png")]
        if name not in GENERATED_CAPTIONS:
            assert value["caption"].startswith("../report/ru/"), value
            assert (ROOT / "workflow" / "rules" / value["caption"]).exists(), value
        assert english_left_in(f"{value['category']} {value['subcategory']}") == [], value
    english = figure_outputs(CONFIG["comparisons"], ["png"], "results/figures", report)
    assert english["swimmer_png"]["caption"] == "../report/swimmer.rst"
    assert english["swimmer_png"]["category"] == "Treatment course"


def test_a_centres_own_adverse_event_term_is_shown_as_recorded():
    """As in the Russian tables: a CTCAE term with no catalogue row is the centre's own text, kept."""
    from ino_study.figures.bars import draw_adverse_events

    counts = pd.DataFrame({"term": ["Febrile neutropenia", "Стоматит (запись центра)"], "worst_grade": [3, 2],
                           "n_patients": [2, 1]})
    texts = visible_texts(draw_adverse_events(counts, FigureSettings(dpi=60, language="ru"), 5))
    assert "Фебрильная нейтропения" in texts and "Стоматит (запись центра)" in texts
    assert "2 (40%)" in texts and "Степень 3" in texts
