"""The tables step: Table 1, response/MRD, adverse events and survival as CSV, Markdown, XLSX and DOCX."""

from __future__ import annotations

import logging
from typing import Any, Mapping

import pandas as pd

from ino_study.outputs.io import read_parquet, write_csv
from ino_study.tables import table1 as t1
from ino_study.endpoints.adae import AFTER_HSCT
from ino_study.tables.adverse_events import TABLE_COLUMNS as ADAE_TABLE_COLUMNS, adverse_event_notes, adverse_event_table, sos_vod_note, sos_vod_table
from ino_study.tables.catalogue import TABLES  # noqa: F401  (re-exported)
from ino_study.outputs.formats import format_count, format_level
from ino_study.tables.export import percent_decimals, write_docx, write_markdown, write_xlsx
from ino_study.statistics.response_subgroups import CD22_VARIABLE, response_by_subgroup
from ino_study.tables.response import response_table
from ino_study.endpoints.labels import Labels
from ino_study.outputs.language import labels_in, localise_note, localise_text
from ino_study.tables.survival import reader_survival, survival_table

LOGGER = logging.getLogger("ino_study")

TITLES = {
    "table1": "Table 1. Baseline characteristics of the included patients",
    "response": "Table 2. Response, MRD negativity and VOD/SOS (exact 95% Clopper-Pearson intervals)",
    "response_by_subgroup": "Table 2b. Response (CR/CRi) of the evaluable patients by subgroup",
    "adverse_events": "Table 3. Treatment-emergent adverse events by CTCAE term: worst grade per patient",
    "adverse_events_after_hsct": "Table 3b. Adverse events after HSCT by CTCAE term: worst grade per patient",
    "sos_vod": "Table 3c. SOS/VOD events: period, EBMT paediatric severity, treatment and outcome",
    "survival_summary": "Table 4. Survival: Kaplan-Meier estimates (%) and medians (months)",
}


def table1_group(config: Mapping[str, Any]) -> str | None:
    """Table 1's optional 'by' variable (config `table1_by`); None for the whole-cohort column only.

    `first_comparison` (the schema's default, also when the key is absent) is the first entry of
    `comparisons`."""
    by = config.get("table1_by", "first_comparison")
    if by == "first_comparison":
        comparisons = config.get("comparisons") or ()
        return comparisons[0] if comparisons else None
    return None if by == "none" else str(by)


def dor_note(adsl: pd.DataFrame) -> str:
    """Who has a duration of response: the patients ever in CR/CRi; the others counted, not dropped."""
    remission = adsl.loc[adsl["included"].to_numpy(bool), "first_remission_date"]
    in_cr = int(remission.notna().sum())
    return (f"DOR (duration of response, from the first CR/CRi) among the {format_count(in_cr)} patients ever in "
            f"CR/CRi; the other {format_count(len(remission) - in_cr)} of {format_count(len(remission))} analysed "
            "never reached CR/CRi and have no DOR.")


def reader_subgroups(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """response_by_subgroup as printed: labelled variables and levels, rates and limits in %."""
    out = table.copy()
    out["level"] = [labels.level(v, lv) for v, lv in zip(out["variable"], out["level"])]
    out["variable"] = ["CD22 expression" if v == CD22_VARIABLE else labels.variable(v) for v in out["variable"]]
    for column in ("rate", "ci_lower", "ci_upper"):
        out[f"{column}_pct"] = 100 * out.pop(column)
    return out[["variable", "level", "responders", "denominator", "rate_pct", "ci_lower_pct", "ci_upper_pct",
                "p_value"]]


def build_tables(adsl: pd.DataFrame, adae: pd.DataFrame, estimates: pd.DataFrame, medians: pd.DataFrame,
                 follow_up: pd.DataFrame, config: Mapping[str, Any],
                 reader: bool = False) -> dict[str, tuple[pd.DataFrame, str]]:
    """{name: (table, note)} for every publication table; `reader`: the form printed in Markdown, XLSX
    and DOCX, variables and levels labelled from the analysis-dataset dictionary (config `labels`)
    instead of the machine names and values the CSVs keep."""
    return build_table_forms(adsl, adae, estimates, medians, follow_up, config, (reader,))[reader]


def build_table_forms(adsl: pd.DataFrame, adae: pd.DataFrame, estimates: pd.DataFrame, medians: pd.DataFrame,
                      follow_up: pd.DataFrame, config: Mapping[str, Any],
                      forms: tuple[bool, ...] = (False, True)) -> dict[bool, dict[str, tuple[pd.DataFrame, str]]]:
    """{reader: build_tables(..., reader)} for each of `forms`; what the forms share (every table but
    Table 1, the survival summary and the subgroups' labels) is computed once."""
    conf_level = float(config["confidence_level"])
    teae_note, after_note = adverse_event_notes(adsl, adae, int(config.get("teae_window_days", 30)))
    cutoff = float(config.get("cd22_cutoff_percent", 90))
    shared = {
        "response": (response_table(adsl, conf_level),
                     f"Rates in % with exact {format_level(conf_level)} Clopper-Pearson intervals. Populations: "
                     "evaluable = at least one assessment in the response window; analysed = all treated "
                     "(included) patients, a patient not evaluable counting as a non-responder."),
        "adverse_events": (adverse_event_table(adsl, adae), teae_note),
        "adverse_events_after_hsct": (adverse_event_table(adsl, adae, AFTER_HSCT), after_note),
        "sos_vod": (sos_vod_table(adsl, adae), sos_vod_note(adsl, adae)),
    }
    subgroups_note = (f"CR/CRi among evaluable patients by level, exact {format_level(conf_level)} "
                      "Clopper-Pearson intervals; p: two-sided Fisher's exact test over the recorded "
                      f"levels (missing shown, not tested). CD22 expression: cd22_pct >= {cutoff:g}% vs "
                      "below.")
    subgroups_table = response_by_subgroup(adsl, tuple(config["comparisons"]), cutoff, conf_level)
    unrecorded = t1.unrecorded_variables(adsl)
    follow_up_note = dor_note(adsl)
    forms_built = {}
    for reader in forms:
        survival = survival_table(estimates, medians, follow_up)
        labels = labels_in(str(config.get("language", "en")), Labels.from_config(config)) if reader else None
        table1 = t1.display(t1.table1(adsl, table1_group(config), labels))
        table1_note = ("Median [range], median (Q1, Q3) or n (%); included patients only. Not recorded: the optional "
                       "column is blank or absent from the export. MRD method: the methods of the MRD results in the "
                       "response window; no MRD result: none classed negative or positive.")
        if unrecorded:
            table1_note += (" Not recorded for any patient in this export: " + ", ".join(
                (labels or Labels()).variable(v) for v in unrecorded) + ".")
        subgroups = subgroups_table
        if reader:
            survival = reader_survival(survival, labels)
            subgroups = reader_subgroups(subgroups, labels)
        forms_built[reader] = {
            "table1": (table1, table1_note),
            "response": shared["response"],
            "response_by_subgroup": (subgroups, subgroups_note),
            "adverse_events": shared["adverse_events"],
            "adverse_events_after_hsct": shared["adverse_events_after_hsct"],
            "sos_vod": shared["sos_vod"],
            "survival_summary": (survival, f"{format_level(conf_level)} CI, {config['km_ci']} Greenwood interval; NR = "
                                           f"not reached. {survival.attrs.get('follow_up', '')} {follow_up_note}".strip()),
        }
    return forms_built


def make_tables(adam: Any, stats: Any, config: Mapping[str, Any], output: Any) -> None:
    """Write results/tables/<name>.csv and .md, tables.xlsx and tables.docx."""
    inputs = (read_parquet(adam.adsl), read_parquet(adam.adae, ADAE_TABLE_COLUMNS), pd.read_csv(stats.estimates),
              pd.read_csv(stats.medians), pd.read_csv(stats.follow_up), config)
    language = str(config.get("language", "en"))
    forms = build_table_forms(*inputs)
    tables, readers = forms[False], forms[True]  # labels for readers; the CSVs keep machine names
    titles = {name: localise_text(title, language) for name, title in TITLES.items()}
    readers = {name: (frame, localise_note(note, language)) for name, (frame, note) in readers.items()}
    for name, (frame, note) in tables.items():
        write_csv(frame, getattr(output, f"{name}_csv"))
        frame, note = readers[name]
        write_markdown(frame, getattr(output, f"{name}_md"), titles[name], note, percent_decimals(name), language)
        LOGGER.info("%s: %d rows", name, len(frame))
    for variable in t1.unrecorded_variables(inputs[0]):
        LOGGER.info("Table 1: %s not recorded in this export (optional column): shown as 'Not recorded'", variable)
    write_xlsx({name: frame for name, (frame, _) in readers.items()}, output.xlsx, language)
    write_docx({name: (titles[name], frame, note) for name, (frame, note) in readers.items()}, output.docx, language)
