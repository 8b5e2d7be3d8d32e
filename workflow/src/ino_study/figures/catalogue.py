"""Which figures the figures step draws and where they go: names, paths, report categories.

Kept apart from the drawing code so that reading the workflow (which needs the output paths) does
not import matplotlib: every Snakemake start, including a no-op rerun, pays for what is imported here.
"""

from __future__ import annotations

import os
from typing import Any

#: Figures whose report caption the step writes with this run's numbers.
GENERATED_CAPTIONS = ("km_os", "response_rates", "cumulative_incidence_vod")

ENDPOINTS = ("OS", "EFS")
#: Kaplan-Meier endpoints drawn for the whole cohort only (no figure by comparison): duration of response.
OVERALL_ONLY_ENDPOINTS = ("DOR",)
FIXED_FIGURES = ("swimmer", "mrd_trajectories", "response_rates", "adverse_events", "forest_cox",
                 "landmark_os", "cumulative_incidence_rel", "cumulative_incidence_vod", "literature_comparison")
#: Competing-risks endpoint of each cumulative incidence figure.
CIF_FIGURES = {"cumulative_incidence_rel": "REL", "cumulative_incidence_vod": "VOD"}


#: Figures drawn from the analysis datasets alone (rule cohort_figures): they are drawn while the
#: statistics are computed, by a process of their own. The rest (rule figures) need the statistics
#: tables (log-rank p, Cox, landmark, cumulative incidence, 12-month OS for the literature figure).
COHORT_FIGURES = ("km_os", "km_efs", "km_dor", "swimmer", "mrd_trajectories", "response_rates", "adverse_events")
FIGURE_RULES = ("cohort_figures", "figures")


def km_names(comparisons) -> list[str]:
    names = [f"km_{e.lower()}" for e in (*ENDPOINTS, *OVERALL_ONLY_ENDPOINTS)]
    names += [f"km_{e.lower()}_by_{c}" for e in ENDPOINTS for c in comparisons]
    return names


def figure_names(comparisons) -> list[str]:
    """Every figure the step draws, in report order."""
    return km_names(comparisons) + list(FIXED_FIGURES)


def rule_figure_names(comparisons, rule: str) -> list[str]:
    """The figures that `rule` (one of FIGURE_RULES) draws, in report order."""
    if rule not in FIGURE_RULES:
        raise ValueError(f"no figure rule {rule!r}; the figure rules are {', '.join(FIGURE_RULES)}")
    return [name for name in figure_names(comparisons) if (name in COHORT_FIGURES) == (rule == "cohort_figures")]


def figure_paths(comparisons, formats, root: str = "results/figures", rule: str | None = None) -> dict[str, str]:
    """{<figure>_<fmt>: path, <figure>_data: path, <figure>_caption: path} for the rule's named outputs
    (captions only for the figures of GENERATED_CAPTIONS: results/figures/captions/<figure>.rst);
    every figure, or those of one figure `rule`."""
    out = {}
    for name in figure_names(comparisons) if rule is None else rule_figure_names(comparisons, rule):
        for fmt in dict.fromkeys(["png", *formats]):
            out[f"{name}_{fmt}"] = f"{root}/{name}.{fmt}"
        out[f"{name}_data"] = f"{root}/data/{name}.csv"
        if name in GENERATED_CAPTIONS:
            out[f"{name}_caption"] = caption_path(name, root)
    return out


def caption_path(name: str, root: str = "results/figures") -> str:
    """Where the figures step writes the generated report caption of `name`."""
    return f"{root}/captions/{name}.rst"


FIGURE_CATEGORIES = {
    "km": ("Survival", "Kaplan-Meier"),
    "swimmer": ("Treatment course", "Swimmer plot"),
    "mrd_trajectories": ("Response", "MRD"),
    "response_rates": ("Response", "Rates"),
    "adverse_events": ("Safety", "Adverse events"),
    "forest_cox": ("Survival", "Cox models"),
    "landmark_os": ("Transplant (HSCT)", "Landmark survival"),
    "cumulative_incidence_rel": ("Transplant (HSCT)", "Cumulative incidence: relapse"),
    "cumulative_incidence_vod": ("Transplant (HSCT)", "Cumulative incidence: VOD/SOS"),
    "literature_comparison": ("Context", "Published cohorts"),
}


#: The folder of the report's fixed captions of each language, in workflow/report/.
CAPTION_FOLDERS = {"en": "", "ru": "ru/"}


def report_text(text: str, language: str = "en") -> str:
    """A report category or subcategory in `language` (the translation catalogue is read only for
    another language than English: no import cost for a Snakemake start otherwise)."""
    if language == "en":
        return text
    from ino_study.outputs.language import translate

    return translate(text, language)


def report_caption(name: str, language: str = "en", root: str = "../report") -> str:
    """The report's fixed caption `name`.rst of `language`; `root`: workflow/report/ as the caller
    names it (relative to workflow/rules/ by default, as a rule's caption is)."""
    return f"{root}/{CAPTION_FOLDERS[language]}{name}.rst"


def report_category(name: str, language: str = "en") -> tuple[str, str]:
    """The report's category and subcategory of figure `name`, in `language`."""
    category, subcategory = FIGURE_CATEGORIES["km" if name.startswith("km_") else name]
    return report_text(category, language), report_text(subcategory, language)


def figure_outputs(comparisons, formats, root: str, report, rule: str | None = None,
                   language: str = "en") -> dict[str, Any]:
    """The rule's outputs: PNGs wrapped in Snakemake's `report(...)` with caption and category in
    `language` (captions in workflow/report/, relative to workflow/rules/, Russian ones in
    workflow/report/ru/, except GENERATED_CAPTIONS, which the step writes under <root>/captions/
    with this run's numbers: given to Snakemake as absolute paths of the working directory, read when
    the report is built); other formats, data CSVs and captions plain."""
    out: dict[str, Any] = {}
    for key, path in figure_paths(comparisons, formats, root, rule).items():
        name = key.rsplit("_", 1)[0]
        if path.endswith(".png"):
            category, subcategory = report_category(name, language)
            if name in GENERATED_CAPTIONS:
                caption = os.path.abspath(caption_path(name, root))
            else:
                caption = report_caption("km_by_group" if "_by_" in name else name, language)
            path = report(path, caption=caption, category=category, subcategory=subcategory,
                          labels={"figure": name})
        out[key] = path
    return out


#: The rule's named inputs, read by `read_and_draw` (analysis datasets, doses; statistics tables).
ADAM_INPUTS = ("adsl", "adrs", "adtte", "adae", "doses")
STATS_INPUTS = ("logrank", "cox", "estimates", "published", "landmark", "incidence", "incidence_curves")
