"""The SYNTHETIC two-centre example and the study's REDCap data dictionary file.

- :func:`write_two_centre_example`: the reference cohort (`ino_study.synthetic`, invented patients)
  split in two centres, as two centres would send it: centre SYN-A an .xlsx registry export
  (INO-001..INO-010, messy cells as in the default workbook), centre SYN-B a REDCap "Export Records"
  CSV (INO-011..INO-020) read through the study's data dictionary. Pooled by
  config/examples/two_centres.yaml, the results equal the default run's (tests/test_centres.py).
- :func:`write_redcap_data_dictionary`: data/redcap/ino_study_data_dictionary.csv, the data
  dictionary a centre imports into REDCap to capture the study (generated from the contract).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ino_study.synthetic import build_reference_cohort, redcap_data_dictionary_rows, redcap_export_rows, \
    write_registry_workbook

#: The example's centres: name -> the reference patients it holds.
CENTRE_PATIENTS: dict[str, tuple[str, ...]] = {
    "SYN-A": tuple(f"INO-{n:03d}" for n in range(1, 11)),
    "SYN-B": tuple(f"INO-{n:03d}" for n in range(11, 21)),
}
#: The example's files, under data/examples/.
CENTRE_A_WORKBOOK = "centre_SYN-A_SYNTHETIC.xlsx"
CENTRE_B_REDCAP = "centre_SYN-B_redcap_SYNTHETIC.csv"
REDCAP_DICTIONARY = Path("data") / "redcap" / "ino_study_data_dictionary.csv"

README_LINES = (
    "Centre SYN-A of the SYNTHETIC two-centre example (config/examples/two_centres.yaml): reference patients "
    "INO-001..INO-010.",
)


def split_by_centre(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    """Each centre's rows of every table (CENTRE_PATIENTS), row order kept."""
    return {centre: {name: frame[frame["patient_id"].isin(ids)].reset_index(drop=True)
                     for name, frame in tables.items()}
            for centre, ids in CENTRE_PATIENTS.items()}


def _write_csv(rows, path: str | Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")


def write_redcap_data_dictionary(path: str | Path = REDCAP_DICTIONARY) -> None:
    """The study's REDCap data dictionary (one instrument per contract table), as REDCap downloads it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _write_csv(redcap_data_dictionary_rows(), path)


def write_two_centre_example(folder: str | Path, seed: int = 20230201) -> list[Path]:
    """Centre SYN-A's workbook and centre SYN-B's REDCap export in `folder` (data/examples/)."""
    folder = Path(folder)
    parts = split_by_centre(build_reference_cohort())
    workbook, export = folder / CENTRE_A_WORKBOOK, folder / CENTRE_B_REDCAP
    write_registry_workbook(parts["SYN-A"], workbook, seed=seed, readme_lines=README_LINES)
    _write_csv(redcap_export_rows(parts["SYN-B"]), export)
    return [workbook, export]
