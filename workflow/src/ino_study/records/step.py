"""The records step of the pipeline (rule `clean_records`): read, clean, pseudonymise, report.

Reading, cleaning and the optional pseudonymisation of patient IDs (config key
`pseudonymise`, key from the environment variable INO_PSEUDONYM_KEY, see
`ino_study.records.pseudonym`). The rules clean_records and scenario_clean_records run it
(workflow/scripts/clean_records.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Mapping

LOGGER = logging.getLogger("ino_study")


def eligibility_rules(config: Mapping[str, Any]):
    """Eligibility of the config (study window, maximum age, cut-off, extra identifier columns)."""
    from ino_study.records.clean import Eligibility

    def date(value: Any) -> dt.date:
        return dt.date.fromisoformat(str(value))

    return Eligibility(
        window_start=date(config["study_window"]["start"]),
        window_end=date(config["study_window"]["end"]),
        max_age_years=float(config["max_age_years"]),
        cutoff_date=date(config["cutoff_date"]),
        identifier_columns=tuple(config.get("identifier_columns", [])),
    )


def clean_records(raw_data: Any, config: Mapping[str, Any], output: Any) -> None:
    """Read and clean the raw export; write clean tables, the data-quality report and patient flow.

    `raw_data` is the config key of that name: a path (one export) or a list of centres, pooled by
    `ino_study.records.centres`."""
    from ino_study.outputs.io import write_parquet
    from ino_study.records.centres import clean_centres, is_pooled
    from ino_study.records.clean import clean_records as clean
    from ino_study.records.pseudonym import key_from_environment
    from ino_study.records.quality import DataContractError
    from ino_study.records.read import read_registry_export
    from ino_study.records.report import write_quality_report
    from ino_study.layout import CLEAN_TABLES

    rules = eligibility_rules(config)
    key = key_from_environment() if config.get("pseudonymise", False) else None
    column_map = config.get("column_map") or {}
    centres = None
    if is_pooled(raw_data):
        LOGGER.info("reading %d centres%s", len(raw_data), " (patient IDs pseudonymised)" if key else "")
        try:
            records, centres = clean_centres({**config, "raw_data": raw_data}, rules, pseudonym_key=key)
        except DataContractError as error:
            raise DataContractError(error.findings) from None
        source = "; ".join(f"{c.name}: {Path(c.path).name}" for c in centres)
    else:
        LOGGER.info("reading %s%s", Path(raw_data).name, " (patient IDs pseudonymised)" if key else "")
        raw, findings = read_registry_export(raw_data, column_map, config.get("raw_format", "contract"),
                                             config.get("redcap_data_dictionary"))
        try:
            records = clean(raw, rules, findings, pseudonym_key=key, release_raw=True)
        except DataContractError as error:
            raise DataContractError(error.findings) from None
        source = Path(raw_data).name
    for name in CLEAN_TABLES:  # each table let go once written: converting one to Arrow takes memory
        write_parquet(records.tables.pop(name), getattr(output, name))
    write_quality_report(records.findings, records.flow, output.findings, output.report, output.flow,
                         source=source, rules=rules, column_map=column_map, centres=centres,
                         language=str(config.get("language", "en")))
    LOGGER.info("%d patients in the raw data, %d analysed; %d findings", int(records.flow.iloc[0]["patients"]),
                int(records.flow.iloc[-1]["patients"]), len(records.findings))
