"""GVHD on the transplant records (optional contract columns), read and checked.

`agvhd_grade`: the maximum acute GVHD grade, 0, I, II, III or IV (0-4, "grade II", "II ст." and
Russian "нет" for 0 accepted), stored as a whole number 0-4; `cgvhd`: chronic GVHD by NIH global
severity, none, mild, moderate or severe (Russian spellings accepted), stored in English. Empty =
not recorded (the GVHD analyses leave that transplant out and count it). Errors, each naming file,
sheet, row, column, value and patient: a value that is not a grade or severity; a grade I-IV or a
chronic GVHD other than none without its onset date; an onset date before the transplant.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ino_study.records.parse import factorize_exactly
from ino_study.records.quality import Finding, short_value

AGVHD_GRADES = {"0": 0, "i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4,
                "none": 0, "no": 0, "нет": 0}
CGVHD_SEVERITIES = {
    "none": "none", "no": "none", "нет": "none", "0": "none",
    "mild": "mild", "легкая": "mild", "лёгкая": "mild", "легкое": "mild",
    "moderate": "moderate", "средняя": "moderate", "умеренная": "moderate", "средней тяжести": "moderate",
    "severe": "severe", "тяжелая": "severe", "тяжёлая": "severe",
}
ROMAN = ("0", "I", "II", "III", "IV")
_GRADE_WORDS = re.compile(r"^(?:grade|gr\.?|степень|ст\.?)\s*|\s*(?:grade|степени|ст\.?|степень)$")


def _grade_key(text: str) -> str:
    key = text.strip().casefold()
    # Cyrillic letters that look like Roman numerals (І, Ӏ, Х are not used in grades)
    key = key.replace("і", "i").replace("ї", "i")
    return _GRADE_WORDS.sub("", key).strip().rstrip(".")


def _read_codes(frame: pd.DataFrame, column: str, read) -> tuple[np.ndarray, list[int]]:
    """`read(str(value))` of each filled cell of `column` (None for an empty cell, or the whole column
    when the table lacks it), found once per distinct value; and the positions where it gives None
    for a filled cell, in row order."""
    if column not in frame:
        return np.full(len(frame), None, dtype=object), []
    cells = frame[column].to_numpy(dtype=object)
    codes, distinct = factorize_exactly(cells)
    values = np.array([None if pd.isna(value) else read(str(value)) for value in distinct] + [None], dtype=object)
    per_row = values.take(np.where(codes < 0, len(distinct), codes))
    unread = np.append(pd.isna(values[:-1]), False).take(np.where(codes < 0, len(distinct), codes))
    return per_row, np.flatnonzero(unread).tolist()


def normalise_gvhd(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The transplants table with `agvhd_grade` as Int64 (0-4) and `cgvhd` in English; the errors."""
    findings: list[Finding] = []
    frame = frame.copy()

    def error(index, column: str, value, rule: str) -> None:
        findings.append(Finding("error", "transplants", source, int(frame.at[index, "_row"]), column,
                                frame.at[index, "patient_id"], None if value is None else short_value(value),
                                rule, "stop"))

    grades, bad = _read_codes(frame, "agvhd_grade", lambda value: AGVHD_GRADES.get(_grade_key(value)))
    for position in bad:
        error(frame.index[position], "agvhd_grade", frame["agvhd_grade"].iat[position],
              "is not an acute GVHD grade (expected 0, I, II, III or IV)")
    frame["agvhd_grade"] = pd.array(grades, dtype="Int64")
    severities, bad = _read_codes(frame, "cgvhd", lambda value: CGVHD_SEVERITIES.get(value.strip().casefold().rstrip(".")))
    for position in bad:
        error(frame.index[position], "cgvhd", frame["cgvhd"].iat[position],
              "is not a chronic GVHD severity (expected none, mild, moderate or severe)")
    frame["cgvhd"] = pd.Series(severities, index=frame.index, dtype=object)
    for column in ("agvhd_date", "cgvhd_date"):
        if column not in frame:
            frame[column] = pd.NaT
    acute = frame["agvhd_grade"].fillna(0).astype(int) > 0
    chronic = frame["cgvhd"].notna() & (frame["cgvhd"] != "none")
    for mask, grade_column, date_column, what in (
        (acute, "agvhd_grade", "agvhd_date", "acute GVHD grade I-IV"),
        (chronic, "cgvhd", "cgvhd_date", "chronic GVHD"),
    ):
        for index in frame.index[mask & frame[date_column].isna()]:
            shown = frame.at[index, grade_column]
            shown = ROMAN[int(shown)] if grade_column == "agvhd_grade" else shown
            error(index, date_column, None, f"'{date_column}' is empty but {what} is recorded "
                                            f"({grade_column} {shown})")
        early = frame[date_column].notna() & frame["date"].notna() & (frame[date_column] < frame["date"])
        for index in frame.index[early]:
            error(index, date_column, frame.at[index, date_column].date().isoformat(),
                  "GVHD onset is dated before the transplant")
    return frame, findings
