"""ADAE: adverse events by CTCAE v5.0 term and grade, with timing relative to InO and HSCT.

Terms are mapped to a CTCAE v5.0 term when they match a known spelling (English or Russian,
case-insensitive); other terms are kept as written. VOD/SOS has no term of its own in CTCAE v5.0
(it is graded as "Hepatobiliary disorders - Other, specify"), so it is recognised under its common
names and flagged `vod`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ino_study.endpoints.sorting import date_key, join_patients, sort_codes, taken_frame

VOD_TERM = "Sinusoidal obstruction syndrome (VOD/SOS)"

#: Known spellings (lower case, whitespace collapsed) -> CTCAE v5.0 term.
TERM_SYNONYMS: dict[str, str] = {
    **{s: VOD_TERM for s in (
        "vod", "sos", "vod/sos", "sos/vod", "veno-occlusive disease", "venoocclusive disease",
        "veno occlusive disease", "hepatic veno-occlusive disease", "sinusoidal obstruction syndrome",
        "hepatobiliary disorders - other: sinusoidal obstruction syndrome",
        "hepatobiliary disorders - other, specify: veno-occlusive disease",
        "воб", "воб/сос", "сос", "сос/воб", "веноокклюзионная болезнь", "вено-окклюзионная болезнь",
        "синусоидальный обструктивный синдром",
    )},
    "febrile neutropenia": "Febrile neutropenia", "фебрильная нейтропения": "Febrile neutropenia",
    "neutrophil count decreased": "Neutrophil count decreased", "нейтропения": "Neutrophil count decreased",
    "platelet count decreased": "Platelet count decreased", "тромбоцитопения": "Platelet count decreased",
    "alanine aminotransferase increased": "Alanine aminotransferase increased",
    "alt increased": "Alanine aminotransferase increased", "повышение алт": "Alanine aminotransferase increased",
    "aspartate aminotransferase increased": "Aspartate aminotransferase increased",
    "ast increased": "Aspartate aminotransferase increased", "повышение аст": "Aspartate aminotransferase increased",
    "blood bilirubin increased": "Blood bilirubin increased", "гипербилирубинемия": "Blood bilirubin increased",
    "infusion related reaction": "Infusion related reaction", "инфузионная реакция": "Infusion related reaction",
    "sepsis": "Sepsis", "сепсис": "Sepsis", "nausea": "Nausea", "тошнота": "Nausea",
    "fever": "Fever", "лихорадка": "Fever", "vomiting": "Vomiting", "рвота": "Vomiting",
}


def ctcae_term(term: str) -> str:
    """The CTCAE v5.0 term for a recorded term (known spellings mapped; others kept as written)."""
    key = re.sub(r"\s+", " ", term.strip().casefold())
    return TERM_SYNONYMS.get(key, term.strip())


def ctcae_terms(terms: pd.Series) -> list[str]:
    """:func:`ctcae_term` of every recorded term, worked out once per distinct spelling.

    A registry has a few dozen spellings for hundreds of thousands of events; the regular
    expression per event was 1.5 s at 100,000 patients.
    """
    codes, spellings = pd.factorize(terms)
    mapped = np.array([ctcae_term(term) for term in spellings] + [None], dtype=object)
    return mapped[codes].tolist()  # code -1 (a missing term) would take the None


#: The optional SOS/VOD columns of the adverse-events table, carried into adae.
SOS_COLUMNS = ("sos_severity", "sos_treatment", "sos_outcome")
#: adae's `period` of an event.
TREATMENT_EMERGENT, AFTER_HSCT, OTHER_PERIOD = "treatment-emergent", "after HSCT", "other"


def treatment_emergent_end(last_dose: pd.Series, hsct: pd.Series, window_days: int) -> pd.Series:
    """The last day of the treatment-emergent period: the earlier of the last dose + `window_days` and
    the day before HSCT (no HSCT: the last dose + `window_days`)."""
    end = last_dose + pd.Timedelta(days=int(window_days))
    before_hsct = hsct - pd.Timedelta(days=1)
    return end.where(hsct.isna() | (end <= before_hsct), before_hsct)


def derive_adae(events: pd.DataFrame, base: pd.DataFrame, teae_window_days: int = 30) -> pd.DataFrame:
    """One row per adverse event of an included patient.

    `base`: one row per patient with first_dose_date, last_dose_date and hsct_date. An event is
    treatment-emergent from the first dose to the earlier of the last dose + `teae_window_days`
    (config `teae_window_days`) and the day before HSCT; "after HSCT" from the day of transplant on
    (an event on the day of HSCT is after HSCT); `period` is one of these or "other" (before the first
    dose, or after the window without or before HSCT). "during InO" (kept for continuity) is the first
    dose to 30 days after the last dose, whatever the HSCT. `worst_in_term` marks the patient's
    highest-grade row of each term (first onset among equal grades), for per-patient tables.
    """
    frame = join_patients(events, base, ["first_dose_date", "last_dose_date", "hsct_date"])
    frame["AEDECOD"] = ctcae_terms(frame["term"])
    frame["AETOXGR"] = frame["grade"].astype(int)
    frame["ADY"] = (frame["onset_date"] - frame["first_dose_date"]).dt.days
    frame["grade3plus"] = frame["AETOXGR"] >= 3
    frame["vod"] = frame["AEDECOD"].eq(VOD_TERM)
    frame["during_ino"] = (frame["ADY"] >= 0) & (
        frame["onset_date"] <= frame["last_dose_date"] + pd.Timedelta(days=30)
    )
    frame["after_hsct"] = frame["hsct_date"].notna() & (frame["onset_date"] >= frame["hsct_date"])
    end = treatment_emergent_end(frame["last_dose_date"], frame["hsct_date"], teae_window_days)
    frame["treatment_emergent"] = (frame["onset_date"] >= frame["first_dose_date"]) & (frame["onset_date"] <= end)
    period = np.select([frame["treatment_emergent"].to_numpy(bool), frame["after_hsct"].to_numpy(bool)], [0, 1], 2)
    frame["period"] = np.array([TREATMENT_EMERGENT, AFTER_HSCT, OTHER_PERIOD], dtype=object)[period]
    for column in SOS_COLUMNS:  # optional contract columns; kept on VOD/SOS rows only
        values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        frame[column] = values.astype(object).where(frame["vod"] & values.notna(), None)
    # integer keys sort as patient_id and AEDECOD do, without comparing strings (sorting.py)
    frame["_patient"], frame["_term"] = sort_codes(frame["patient_id"]), sort_codes(frame["AEDECOD"])
    patient, term = frame["_patient"].to_numpy(), frame["_term"].to_numpy()
    onset, source_row = date_key(frame["onset_date"]), frame["source_row"].to_numpy()
    # = sort_values([_patient, _term, AETOXGR desc, onset_date, source_row], stable): integer keys
    worst_first = np.lexsort((source_row, onset, -frame["AETOXGR"].to_numpy(np.int64), term, patient))
    worst = np.zeros(len(frame), dtype=bool)
    new_group = np.ones(len(worst_first), dtype=bool)
    new_group[1:] = (patient[worst_first[1:]] != patient[worst_first[:-1]]) | (
        term[worst_first[1:]] != term[worst_first[:-1]])
    worst[worst_first[new_group]] = True
    frame["worst_in_term"] = worst
    columns = ["patient_id", "term", "AEDECOD", "AETOXGR", "onset_date", "ADY", "grade3plus", "vod",
               "during_ino", "after_hsct", "treatment_emergent", "period", *SOS_COLUMNS, "worst_in_term",
               "source_row"]
    names = {"term": "AETERM", "onset_date": "ASTDT"}
    return taken_frame(frame, {names.get(c, c): c for c in columns},
                       np.lexsort((source_row, term, onset, patient)))  # by patient, onset, term, source_row
