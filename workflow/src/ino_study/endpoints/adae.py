"""ADAE: adverse events by CTCAE v5.0 term and grade, with timing relative to InO and HSCT.

Terms are mapped to a CTCAE v5.0 term when they match a known spelling (English or Russian,
case-insensitive); other terms are kept as written. VOD/SOS has no term of its own in CTCAE v5.0
(it is graded as "Hepatobiliary disorders - Other, specify"), so it is recognised under its common
names and flagged `vod`.
"""

from __future__ import annotations

import re

import pandas as pd

from ino_study.endpoints.sorting import sort_codes

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
    mapping = {term: ctcae_term(term) for term in pd.unique(terms)}
    return [mapping[term] for term in terms]


def is_vod(term: str) -> bool:
    """True when the term is VOD/SOS under any of its recognised names."""
    return ctcae_term(term) == VOD_TERM


def derive_adae(events: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """One row per adverse event of an included patient.

    `base`: one row per patient with first_dose_date, last_dose_date and hsct_date. An event is
    "during InO" from the first dose to 30 days after the last dose, and "after HSCT" from the day of
    transplant on. `worst_in_term` marks the patient's highest-grade row of each term (first onset
    among equal grades), for per-patient tables.
    """
    frame = events.merge(base[["patient_id", "first_dose_date", "last_dose_date", "hsct_date"]],
                         on="patient_id", how="inner")
    frame["AEDECOD"] = ctcae_terms(frame["term"])
    frame["AETOXGR"] = frame["grade"].astype(int)
    frame["ADY"] = (frame["onset_date"] - frame["first_dose_date"]).dt.days
    frame["grade3plus"] = frame["AETOXGR"] >= 3
    frame["vod"] = frame["AEDECOD"].eq(VOD_TERM)
    frame["during_ino"] = (frame["ADY"] >= 0) & (
        frame["onset_date"] <= frame["last_dose_date"] + pd.Timedelta(days=30)
    )
    frame["after_hsct"] = frame["hsct_date"].notna() & (frame["onset_date"] >= frame["hsct_date"])
    # integer keys sort as patient_id and AEDECOD do, without comparing strings (sorting.py)
    frame["_patient"], frame["_term"] = sort_codes(frame["patient_id"]), sort_codes(frame["AEDECOD"])
    frame = frame.sort_values(["_patient", "_term", "AETOXGR", "onset_date", "source_row"],
                              ascending=[True, True, False, True, True], kind="stable")
    frame["worst_in_term"] = ~frame.duplicated(["_patient", "_term"])
    frame = frame.sort_values(["_patient", "onset_date", "_term", "source_row"], kind="stable")
    columns = ["patient_id", "term", "AEDECOD", "AETOXGR", "onset_date", "ADY", "grade3plus", "vod",
               "during_ino", "after_hsct", "worst_in_term", "source_row"]
    return frame[columns].rename(columns={"term": "AETERM", "onset_date": "ASTDT"}).reset_index(drop=True)
