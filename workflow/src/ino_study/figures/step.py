"""Drawing the figures: every figure in PNG + the configured vector formats, and the numbers it draws as CSV.

`figure_names(comparisons)` lists the figures so that the rules can declare their outputs;
`draw_all(...)` draws them from data frames, `read_and_draw(...)` from the rules' input files, and
`make_figures(...)` is the step of the two figure rules (cohort_figures, figures). Each figure's
data go to results/figures/data/<figure>.csv.
"""

from __future__ import annotations

import logging
from typing import Any, Collection, Iterator, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ino_study.figures.captions import km_os_caption, response_rates_caption, vod_caption, write_captions
from ino_study.figures.catalogue import (  # noqa: F401  (names re-exported for callers and tests)
    CIF_FIGURES, ENDPOINTS, OVERALL_ONLY_ENDPOINTS, FIGURE_CATEGORIES, FIXED_FIGURES, GENERATED_CAPTIONS, caption_path, figure_names,
    figure_outputs, figure_paths, km_names, rule_figure_names, ADAM_INPUTS, STATS_INPUTS,
)
from ino_study.endpoints.labels import Labels
from ino_study.figures.bars import draw_adverse_events, draw_rates, rate_data
from ino_study.figures.forest import draw_forest, forest_data
from ino_study.figures.km import DATA_COLUMNS as KM_DATA_COLUMNS, draw_km, draw_no_patients, km_figure_data
from ino_study.figures.literature import draw_literature, literature_data
from ino_study.figures.mrd import COLUMNS as MRD_COLUMNS, draw_mrd, mrd_data
from ino_study.figures.sampling import MAX_SWIMMER_LANES, sample_patients
from ino_study.figures.swimmer import (
    COLUMNS as SWIMMER_COLUMNS, ENDPOINTS as SWIMMER_ENDPOINTS, draw_swimmer, swimmer_data,
)
from ino_study.figures.theme import FigureSettings, save_figure
from ino_study.figures.transplant import cif_figure_data, draw_cif, draw_landmark, landmark_figure_data
from ino_study.outputs.io import isin_text, read_parquet, write_csv, write_text
from ino_study.statistics.survival_analysis import endpoint_frame, known_group
from ino_study.tables.adverse_events import FIGURE_COLUMNS as AE_FIGURE_COLUMNS, grade_counts, worst_grades
from ino_study.tables.response import ADSL_COLUMNS as RESPONSE_COLUMNS, response_table

LOGGER = logging.getLogger("ino_study")


def _save(fig, name: str, data: pd.DataFrame, output: Any, settings: FigureSettings) -> None:
    formats = dict.fromkeys(["png", *settings.formats])
    save_figure(fig, [getattr(output, f"{name}_{fmt}") for fmt in formats], settings.dpi)
    write_csv(data, getattr(output, f"{name}_data"))


def logrank_p(logrank: pd.DataFrame, endpoint: str, group_by: str) -> float:
    hit = logrank[(logrank["endpoint"] == endpoint) & (logrank["group_by"] == group_by)]
    return float(hit["p_value"].iloc[0]) if len(hit) else float("nan")


def logrank_label(logrank: pd.DataFrame, endpoint: str, group_by: str) -> str:
    """"Stratified log-rank p" when the table's test was stratified (config `stratify_by`), else "Log-rank p"."""
    hit = logrank[(logrank["endpoint"] == endpoint) & (logrank["group_by"] == group_by)]
    stratified = len(hit) and str(hit["note"].fillna("").iloc[0]).startswith("stratified by")
    return "Stratified log-rank p" if stratified else "Log-rank p"


def figure_settings(config: Mapping[str, Any]) -> FigureSettings:
    """The figures' settings: config `figures` and the reader's `language`."""
    return FigureSettings.from_config(config.get("figures", {}), str(config.get("language", "en")))


def draw_all(adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, adae: pd.DataFrame,
             doses: pd.DataFrame, logrank: pd.DataFrame, cox: pd.DataFrame, estimates: pd.DataFrame,
             published: pd.DataFrame, config: Mapping[str, Any], output: Any, log=None,
             transplant: Mapping[str, pd.DataFrame] | None = None, only: Collection[str] | None = None) -> None:
    """Draw and save every figure of `figure_names(config['comparisons'])`, and the generated captions.

    `transplant`: the tables of the transplant_and_competing_risks rule ("landmark", "incidence",
    "incidence_curves"); computed here from `adtte`/`adsl` the same way when not given.
    `only`: draw just these figures (and their captions); the others are left alone."""
    settings = figure_settings(config)
    captions: dict[str, str] = {}
    for name, fig, data in draw_figures(adsl, adrs, adtte, adae, doses, logrank, cox, estimates, published, config,
                                        log, transplant, only, captions):
        _save(fig, name, data, output, settings)
    write_captions(captions, output, write_text)


def draw_figures(adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, adae: pd.DataFrame,
                 doses: pd.DataFrame, logrank: pd.DataFrame, cox: pd.DataFrame, estimates: pd.DataFrame,
                 published: pd.DataFrame, config: Mapping[str, Any], log=None,
                 transplant: Mapping[str, pd.DataFrame] | None = None, only: Collection[str] | None = None,
                 captions: dict[str, str] | None = None) -> Iterator[tuple[str, Figure, pd.DataFrame]]:
    """(name, figure, data) of every figure `draw_all` saves, in report order, drawn one at a time;
    the generated captions go into `captions` (a dict) when given. The arguments as for `draw_all`."""
    settings = figure_settings(config)
    say = settings.words
    labels = Labels.from_config(config)
    conf_level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    comparisons = tuple(config.get("comparisons", ()))
    threshold = float(config["mrd_threshold_percent"])
    included = adsl[adsl["included"]]
    wanted = set(figure_names(comparisons) if only is None else only)
    captions = {} if captions is None else captions
    for endpoint in (*ENDPOINTS, *OVERALL_ONLY_ENDPOINTS):
        names = [f"km_{endpoint.lower()}"]
        if endpoint not in OVERALL_ONLY_ENDPOINTS:
            names += [f"km_{endpoint.lower()}_by_{c}" for c in comparisons]
        if not wanted.intersection(names):
            continue
        rows = adtte[(adtte["PARAMCD"] == endpoint).to_numpy()]
        rows = rows[isin_text(rows["patient_id"], included["patient_id"])]
        if wanted.intersection(names[1:]):
            frame = endpoint_frame(rows, adsl, endpoint, comparisons)
            time, event = frame["AVAL"].to_numpy(float), frame["event"].to_numpy(int)
        else:  # the whole cohort's curve only: a Kaplan-Meier fit does not depend on the rows' order
            frame = rows
            time, event = rows["AVAL"].to_numpy(float), (1 - rows["CNSR"].astype(int)).to_numpy(int)
        if names[0] in wanted and frame.empty:  # e.g. DOR when nobody reached CR/CRi
            data = pd.DataFrame([{"element": "no_patients", "group": "all", "n": 0}], columns=KM_DATA_COLUMNS)
            yield names[0], draw_no_patients(settings, endpoint), data
        elif names[0] in wanted:
            data = km_figure_data(time, event, None, conf_level, conf_type)
            if endpoint == "OS":
                captions["km_os"] = km_os_caption(data, conf_level, conf_type, say)
            yield names[0], draw_km(data, settings, endpoint, conf_type, conf_level, labels=labels), data
        for column in comparisons:
            if f"km_{endpoint.lower()}_by_{column}" not in wanted or endpoint in OVERALL_ONLY_ENDPOINTS:
                continue
            known = known_group(frame, column)
            data = km_figure_data(time[known], event[known], frame.loc[known, column].to_numpy(), conf_level,
                                  conf_type)
            p = logrank_p(logrank, endpoint, column)
            data = pd.concat([data, pd.DataFrame([{"element": "logrank_p", "group": "all", "value": p}])],
                             ignore_index=True)
            fig = draw_km(data, settings, endpoint, conf_type, conf_level, logrank_p=p, group_by=column,
                          labels=labels, logrank_label=logrank_label(logrank, endpoint, column))
            yield f"km_{endpoint.lower()}_by_{column}", fig, data
        if log:
            log.info("KM figures for %s drawn", endpoint)
    if "swimmer" in wanted:
        data, note = swimmer_data(adsl, adtte, doses)
        yield "swimmer", draw_swimmer(data, settings, note), data
    if "mrd_trajectories" in wanted:
        data, note = mrd_data(adsl, adrs, threshold)
        yield "mrd_trajectories", draw_mrd(data, settings, threshold, note), data
    response = response_table(adsl, conf_level)
    rates = rate_data(response)  # drawn as response_rates; quoted by the VOD/SOS caption
    if "response_rates" in wanted:
        yield "response_rates", draw_rates(rates, settings, conf_level), rates
        captions["response_rates"] = response_rates_caption(rates, conf_level, threshold, say)
    if "adverse_events" in wanted:
        data = grade_counts(worst_grades(adsl, adae[adae["treatment_emergent"]]))  # as Table 3
        yield "adverse_events", draw_adverse_events(data, settings, len(included)), data
    if "forest_cox" in wanted:
        data = forest_data(cox)
        yield "forest_cox", draw_forest(data, settings, conf_level, labels), data
    if wanted.intersection(["landmark_os", *CIF_FIGURES]):
        tables = dict(transplant) if transplant is not None else transplant_tables(adsl, adtte, config)
    if "landmark_os" in wanted:
        data = landmark_figure_data(adtte, adsl, tables["landmark"], conf_level, conf_type)
        yield "landmark_os", draw_landmark(data, settings, conf_type, conf_level), data
    for name, endpoint in CIF_FIGURES.items():
        if name not in wanted:
            continue
        data = cif_figure_data(tables["incidence_curves"], tables["incidence"], endpoint)
        yield name, draw_cif(data, settings, endpoint, conf_level), data
        if name == "cumulative_incidence_vod":
            captions[name] = vod_caption(data, rates, conf_level, say)
    if "literature_comparison" in wanted:
        os12 = estimates[(estimates["endpoint"] == "OS") & (estimates["group_by"] == "all")
                         & np.isclose(estimates["time_months"], 12.0)]
        if len(os12):
            data = literature_data(published, response, os12.iloc[0])
        else:  # 12 months not among the configured timepoints: compute it the same way
            from ino_study.statistics.kaplan_meier import km_at, km_fit
            rows = adtte[(adtte["PARAMCD"] == "OS").to_numpy() & isin_text(adtte["patient_id"], included["patient_id"])]
            at = km_at(km_fit(rows["AVAL"], 1 - rows["CNSR"], conf_level, conf_type), [12.0]).iloc[0]
            data = literature_data(published, response, at)
        yield "literature_comparison", draw_literature(data, published, settings), data


def transplant_tables(adsl: pd.DataFrame, adtte: pd.DataFrame, config: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The landmark and cumulative incidence tables as the transplant_and_competing_risks step writes them."""
    from ino_study.statistics import transplant_analyses as ta

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    timepoints = [float(t) for t in config.get("survival_timepoints_months", (6, 12, 24))]

    def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
        kept = [f for f in frames if len(f)]
        return pd.concat(kept, ignore_index=True) if kept else frames[0]

    return {
        "landmark": ta.landmark_table(adtte, adsl, list(config.get("landmark_days", (60, 90))), timepoints, level,
                                      conf_type),
        "incidence": stack([ta.cumulative_incidence_table(adtte, e, timepoints, level) for e in ("REL", "VOD")]),
        "incidence_curves": stack([ta.cumulative_incidence_curves(adtte, e, level) for e in ("REL", "VOD")]),
    }


#: What the Kaplan-Meier figures (and the literature figure's 12-month OS, when the estimates lack it)
#: are drawn from; adsl's comparison columns are added to it.
KM_COLUMNS = {"adsl": ("patient_id", "included"), "adtte": ("patient_id", "PARAMCD", "AVAL", "CNSR")}
#: What the landmark figure is drawn from (with the landmark table; `_endpoint_days` of OS).
LANDMARK_COLUMNS = {"adsl": ("patient_id", "first_dose_date", "hsct_date"),
                    "adtte": ("patient_id", "PARAMCD", "AVAL", "AVAL_DAYS", "CNSR")}
DATASETS = ("adsl", "adrs", "adtte", "adae", "doses")


def dataset_selection(names: Collection[str], comparisons: Collection[str], transplant_tables_given: bool = True
                      ) -> dict[str, tuple[set[str] | None, set[str] | None]]:
    """What the figures `names` are drawn from: {dataset: (columns, adtte's PARAMCD values)}, None for
    all of them; a dataset no figure needs is absent. Every figure step makes the response table
    (adsl's response columns). Without the transplant tables the landmark and cumulative incidence
    figures compute them (`transplant_tables`) from all of adsl and adtte."""
    columns: dict[str, set[str] | None] = {"adsl": {"patient_id", *RESPONSE_COLUMNS}}
    endpoints: set[str] | None = set()

    def need(spec: Mapping[str, Collection[str]], *paramcd: str) -> None:
        for key, names_needed in spec.items():
            if columns.get(key, set()) is not None:
                columns[key] = columns.get(key, set()) | set(names_needed)
        if endpoints is not None:
            endpoints.update(paramcd)

    for name in names:
        if name.startswith("km_"):
            need(KM_COLUMNS | {"adsl": (*KM_COLUMNS["adsl"], *comparisons)}, name[3:].split("_by_")[0].upper())
        elif name == "swimmer":
            need(SWIMMER_COLUMNS, *SWIMMER_ENDPOINTS)
        elif name == "mrd_trajectories":
            need(MRD_COLUMNS)
        elif name == "adverse_events":
            need(AE_FIGURE_COLUMNS)
        elif name == "literature_comparison":
            need(KM_COLUMNS, "OS")
        elif name == "landmark_os" and transplant_tables_given:
            need(LANDMARK_COLUMNS, "OS")
        elif name == "landmark_os" or (name in CIF_FIGURES and not transplant_tables_given):
            columns["adsl"] = columns["adtte"] = endpoints = None
    return {key: (value, endpoints if key == "adtte" else None) for key, value in columns.items()}


def read_datasets(adam: Any, names: Collection[str], comparisons: Collection[str],
                  transplant_tables_given: bool = True) -> dict[str, pd.DataFrame]:
    """adsl, adrs, adtte, adae and doses from the paths in `adam`, each read only as far as the figures
    `names` need it (`dataset_selection`; an empty frame for a dataset none of them needs). The swimmer
    plot's doses are read for its sample of patients only."""
    selection = dataset_selection(names, comparisons, transplant_tables_given)
    frames = {key: pd.DataFrame() for key in DATASETS}
    for key in DATASETS:
        if key not in selection or key == "doses":
            continue
        columns, endpoints = selection[key]
        frames[key] = read_parquet(getattr(adam, key), columns, None if endpoints is None else {"PARAMCD": endpoints})
    if "doses" in selection:
        adsl = frames["adsl"]
        ids, _ = sample_patients(adsl.loc[adsl["included"], "patient_id"], MAX_SWIMMER_LANES)  # as swimmer_data
        frames["doses"] = read_parquet(adam.doses, selection["doses"][0], {"patient_id": [str(i) for i in ids]})
    return frames


def read_and_draw(adam: Any, stats: Any, config: Mapping[str, Any], output: Any, logger=None,
                  only: Collection[str] | None = None) -> None:
    """Read the analysis datasets and the statistics tables from the paths in `adam`/`stats`; draw `only`.

    `stats` may lack the tables the figures drawn do not need (the cohort figures need none). Only
    what the figures drawn need is read of the datasets (`read_datasets`)."""
    def table(key: str) -> pd.DataFrame | None:
        path = getattr(stats, key, None)
        return None if path is None else pd.read_csv(path)

    transplant = {key: table(key) for key in ("landmark", "incidence", "incidence_curves")}
    given = all(frame is not None for frame in transplant.values())
    comparisons = tuple(config.get("comparisons", ()))
    names = figure_names(comparisons) if only is None else only
    data = read_datasets(adam, names, comparisons, given)
    draw_all(data["adsl"], data["adrs"], data["adtte"], data["adae"], data["doses"], table("logrank"), table("cox"),
             table("estimates"), table("published"), config, output, logger,
             transplant=transplant if given else None, only=only)


def make_figures(adam: Any, stats: Any, config: Mapping[str, Any], output: Any, rule: str | None = None) -> None:
    """Draw and save the figures of `rule` (one of FIGURE_RULES; every figure if None).

    `adam`/`stats`: the paths of the analysis datasets and statistics tables (the rule's input;
    `stats` may lack the tables these figures do not need); `output`: the rule's output paths."""
    comparisons = config.get("comparisons", ())
    names = figure_names(comparisons) if rule is None else rule_figure_names(comparisons, rule)
    read_and_draw(adam, stats, config, output, LOGGER, only=names)
    LOGGER.info("%d figures written", len(names))
