"""SYNTHETIC data for the InO study pipeline: a fixed reference cohort and a random-cohort simulator.

No real patient data exist in this project. Everything produced here is synthetic and labelled so.

Two generators live here:

1. The **reference cohort** (:func:`build_reference_cohort`, :func:`write_registry_workbook`):
   20 raw patients (17 eligible + 3 that the eligibility rules must exclude) whose clinical facts are
   written out explicitly in :data:`REFERENCE_PATIENTS`, one entry per patient. They are chosen so
   that the default analysis reproduces the published abstract of Evstratov et al. (2023):

   - 12 of 16 evaluable patients respond (CR or CRi, 75%);
   - MRD negativity (< 0.01% by flow) in 7 of 17 (41.2%);
   - one-year overall survival 40.3% (plain Greenwood 95% CI 14.8-65.7);
   - VOD/SOS in 2 of the 6 patients (33%) given standard-dose InO and then HSCT.

   :func:`build_reference_cohort` returns clean, typed "truth" tables in the raw-record contract
   (:mod:`ino_study.records.contract`); :func:`write_registry_workbook` renders them as a messy,
   Russian-registry-looking Excel export (seeded, byte-for-byte deterministic) and returns a log of
   every deliberate irregularity it wrote.

2. The **simulator** (:func:`simulate_cohort`, :func:`write_raw`): clinically plausible random
   cohorts of any size (vectorised; 100,000 patients in seconds), as raw-looking string tables with
   the same kinds of messiness, written as Russian-locale CSV (``;``, decimal comma, UTF-8 BOM) or xlsx.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd

from ino_study.outputs.io import write_zip_fixed_times

from ino_study.records.contract import TABLES

# ---------------------------------------------------------------------------------------------
# Shared constants
# ---------------------------------------------------------------------------------------------

#: Study window for the first InO dose and the analysis cut-off used by the default configuration.
STUDY_START = dt.date(2016, 10, 1)
STUDY_END = dt.date(2022, 9, 1)
CUTOFF = dt.date(2023, 1, 31)
MAX_AGE_YEARS = 18.0
MRD_THRESHOLD_PCT = 0.01
#: Fixed timestamp written into workbook properties and zip entries (byte-identical output).
FIXED_TIMESTAMP = dt.datetime(2023, 2, 1, 0, 0, 0)
#: Note typed under the last row of the patients sheet.
SYNTHETIC_NOTE = "* Данные синтетические / synthetic data"

STANDARD_CYCLE_MG_M2 = 1.8
EXCEL_EPOCH = dt.date(1899, 12, 30)

VOD_TERMS = ("Veno-occlusive disease", "ВОБ/СОС", "Sinusoidal obstruction syndrome")

# Dose schedules within a cycle (doses on days 1, 8, 15 of the cycle).
STD = (0.8, 0.5, 0.5)  # standard: 1.8 mg/m2 per cycle
CONS = (0.5, 0.5, 0.5)  # consolidation after CR: 1.5 mg/m2
RED2 = (0.5, 0.5)  # reduced: 1.0 mg/m2 per cycle
RED1 = (0.8,)  # reduced: a single 0.8 mg/m2 dose per cycle


def cycle(start_day: int, number: int, doses: tuple[float, ...]) -> tuple[tuple[int, int, float], ...]:
    """Doses of one cycle as ``(day offset from first dose, cycle number, mg/m2)``, weekly from ``start_day``."""
    return tuple((start_day + 7 * i, number, d) for i, d in enumerate(doses))


# ---------------------------------------------------------------------------------------------
# 1. The reference cohort: the truth, one entry per patient
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefPatient:
    """The complete truth about one reference patient. All ``*_day`` values are days from the first InO dose.

    ``anchor`` is the first InO dose (or, for the patient who never received InO, the registration date).
    ``os_days`` is the observed OS time the default analysis must find (censoring at the cut-off included);
    ``last_contact`` overrides ``anchor + os_days`` for a patient followed beyond the cut-off.
    """

    patient_id: str
    full_name: str
    sex: Literal["M", "F"]
    age_years: float  # age at the anchor date
    anchor: dt.date
    diagnosis_months_before: int
    relapse_number: int
    prior_hsct: bool
    prior_blinatumomab: bool
    prior_car_t: bool
    cytogenetics: str
    cd22_pct: float
    marrow_blasts_pct: float
    doses: tuple[tuple[int, int, float], ...]  # (day, cycle, mg/m2)
    assessments: tuple[tuple[int, float, str | None, float, float], ...]  # (day, blasts %, MRD text, ANC, PLT)
    hsct: tuple[int, str, str] | None  # (day, donor type, conditioning)
    adverse_events: tuple[tuple[str, int, int], ...]  # (CTCAE term, grade, onset day)
    os_days: int
    dead: bool
    death_cause: str | None = None
    relapse_day: int | None = None
    last_contact: dt.date | None = None
    excluded_reason: str | None = None  # set for the 3 patients the eligibility rules must exclude
    role: str = ""  # a short description of the patient's part in the design


D = dt.date

# fmt: off
REFERENCE_PATIENTS: tuple[RefPatient, ...] = (
    # -- INO-001: standard dose, CR, MRD-negative after cycle 2, HSCT, relapse, dies day 430 -------------
    RefPatient(
        "INO-001", "Петров Иван Сергеевич", "M", 9.3, D(2016, 11, 8), 40, 2, False, False, False,
        "ETV6-RUNX1", 92.0, 45.0,
        doses=cycle(0, 1, STD) + cycle(28, 2, CONS),
        assessments=((24, 1.5, "0,04%", 1.8, 140.0), (56, 0.5, "0,003%", 2.2, 175.0)),
        hsct=(90, "matched unrelated", "TBI 12 Gy + etoposide"),
        adverse_events=(("Febrile neutropenia", 3, 9), ("Platelet count decreased", 4, 12),
                        ("Alanine aminotransferase increased", 2, 16)),
        os_days=430, dead=True, death_cause="прогрессия заболевания (relapse after HSCT)", relapse_day=330,
        role="late death after HSCT and relapse"),
    # -- INO-002: standard dose, no response (blasts 45%), MRD not done, dies day 55 ------------------
    RefPatient(
        "INO-002", "Смирнова Анна Дмитриевна", "F", 14.2, D(2017, 2, 14), 50, 2, True, False, False,
        "other", 78.0, 88.0,
        doses=cycle(0, 1, STD),
        assessments=((24, 45.0, "н/д", 0.3, 20.0),),
        hsct=None,
        adverse_events=(("Febrile neutropenia", 3, 6), ("Nausea", 2, 1), ("Fever", 2, 30)),
        os_days=55, dead=True, death_cause="прогрессия заболевания",
        role="non-responder, death 2"),
    # -- INO-003: primary refractory, REDUCED dose (0.5+0.5), CRi then CR, MRD 'не выявлено', HSCT, alive
    RefPatient(
        "INO-003", "Кузнецов Артём Алексеевич", "M", 6.8, D(2017, 6, 20), 6, 0, False, True, False,
        "normal", 85.0, 35.0,
        doses=cycle(0, 1, RED2) + cycle(30, 2, RED2),
        assessments=((22, 3.0, "0,8%", 0.7, 45.0), (58, 0.5, "не выявлено", 1.5, 160.0)),
        hsct=(85, "haploidentical", "treosulfan + fludarabine + thiotepa"),
        adverse_events=(("Neutrophil count decreased", 3, 10), ("Infusion related reaction", 1, 0)),
        os_days=1500, dead=False,
        role="long-term survivor (reduced dose, HSCT)"),
    # -- INO-004: REDUCED dose (single 0.8 per cycle), no response, dies day 105 ------------------------
    RefPatient(
        "INO-004", "Попова Мария Игоревна", "F", 16.1, D(2017, 10, 3), 70, 3, True, True, True,
        "BCR-ABL1", 66.0, 72.0,
        doses=cycle(0, 1, RED1) + cycle(28, 2, RED1),
        assessments=((25, 62.0, "н/д", 0.2, 15.0), (56, 70.0, "48%", 0.1, 10.0)),
        hsct=None,
        adverse_events=(("Febrile neutropenia", 4, 14), ("Blood bilirubin increased", 2, 20),
                        ("Platelet count decreased", 4, 30)),
        os_days=105, dead=True, death_cause="прогрессия заболевания",
        role="non-responder, death 4"),
    # -- INO-005: standard dose, CR, MRD '<0,01%', HSCT, dies day 200 (transplant-related sepsis) -------
    RefPatient(
        "INO-005", "Васильев Максим Андреевич", "M", 11.5, D(2018, 3, 13), 36, 1, False, False, False,
        "ETV6-RUNX1", 97.0, 25.0,
        doses=cycle(0, 1, STD),
        assessments=((23, 2.0, "<0,01%", 1.2, 110.0),),
        hsct=(60, "matched unrelated", "busulfan + fludarabine + thiotepa"),
        adverse_events=(("Aspartate aminotransferase increased", 2, 8), ("Sepsis", 5, 196)),
        os_days=200, dead=True, death_cause="sepsis after HSCT (transplant-related mortality)",
        role="death 7 (TRM after HSCT)"),
    # -- INO-006: standard dose, CRi then CR, MRD-negative, HSCT, VOD grade 3 on day +14, alive ---------
    RefPatient(
        "INO-006", "Соколова Екатерина Павловна", "F", 4.7, D(2018, 7, 24), 30, 1, True, False, False,
        "normal", 90.0, 60.0,
        doses=cycle(0, 1, STD) + cycle(32, 2, CONS),
        assessments=((25, 4.0, "0,06%", 0.6, 38.0), (60, 1.0, "0,004%", 2.1, 180.0)),
        hsct=(95, "matched related", "TBI 12 Gy + etoposide"),
        adverse_events=(("Febrile neutropenia", 3, 11), ("Blood bilirubin increased", 3, 108),
                        ("Veno-occlusive disease", 3, 109)),
        os_days=1100, dead=False,
        role="long-term survivor, VOD/SOS grade 3 after HSCT"),
    # -- INO-007: infant KMT2A-r, reduced dose, early death from sepsis on day 12: NOT evaluable --------
    RefPatient(
        "INO-007", "Михайлов Даниил Олегович", "M", 1.4, D(2018, 12, 4), 8, 1, False, False, False,
        "KMT2A-r", 75.0, 95.0,
        doses=cycle(0, 1, RED2),
        assessments=(),
        hsct=None,
        adverse_events=(("Febrile neutropenia", 4, 5), ("Sepsis", 5, 10)),
        os_days=12, dead=True, death_cause="сепсис (early death)",
        role="early death before any marrow assessment (death 1, not evaluable)"),
    # -- INO-008: standard dose, CRi, MRD-positive 0,5%, lost to follow-up on day 40 (moved away) -------
    RefPatient(
        "INO-008", "Новикова Полина Викторовна", "F", 12.9, D(2019, 4, 16), 30, 1, False, True, False,
        "normal", 88.0, 30.0,
        doses=cycle(0, 1, STD),
        assessments=((21, 2.5, "0,5%", 1.1, 85.0),),
        hsct=None,
        adverse_events=(),  # the one patient with no adverse event at all
        os_days=40, dead=False,
        role="censored day 40: lost to follow-up (moved away), no adverse events"),
    # -- INO-009: REDUCED dose (single 0.8), CRi, MRD exactly 0,01% (POSITIVE), HSCT, relapse, dies 610 --
    RefPatient(
        "INO-009", "Фёдоров Кирилл Николаевич", "M", 15.6, D(2019, 8, 27), 60, 2, True, False, False,
        "other", 80.0, 40.0,
        doses=cycle(0, 1, RED1) + cycle(29, 2, RED1),
        assessments=((26, 3.5, "1,2%", 0.9, 60.0), (55, 1.0, "0,01%", 1.6, 130.0)),
        hsct=(80, "haploidentical", "treosulfan + fludarabine + thiotepa"),
        adverse_events=(("Nausea", 1, 0), ("Platelet count decreased", 3, 15)),
        os_days=610, dead=True, death_cause="рецидив / relapse", relapse_day=420,
        role="late death after HSCT and relapse; MRD = threshold (positive)"),
    # -- INO-010: infant KMT2A-r, standard dose x2, no response, dies day 80 ---------------------------
    RefPatient(
        "INO-010", "Морозова Виктория Романовна", "F", 2.5, D(2020, 1, 14), 14, 1, False, True, False,
        "KMT2A-r", 70.0, 80.0,
        doses=cycle(0, 1, STD) + cycle(28, 2, STD),
        assessments=((21, 18.0, "12%", 0.4, 25.0), (60, 30.0, "25%", 0.3, 18.0)),
        hsct=None,
        adverse_events=(("Febrile neutropenia", 3, 35), ("Neutrophil count decreased", 4, 40)),
        os_days=80, dead=True, death_cause="прогрессия заболевания",
        role="non-responder, death 3"),
    # -- INO-011: standard dose, CRi, MRD 'neg', HSCT, VOD grade 4 ('ВОБ/СОС'), dies day 240 -------------
    RefPatient(
        "INO-011", "Волков Егор Михайлович", "M", 8.2, D(2020, 5, 26), 28, 1, False, True, False,
        "other", 95.0, 20.0,
        doses=cycle(0, 1, STD),
        assessments=((24, 1.0, "neg", 0.9, 105.0),),
        hsct=(50, "matched unrelated", "busulfan + fludarabine + thiotepa"),
        adverse_events=(("Infusion related reaction", 2, 0), ("ВОБ/СОС", 4, 68),
                        ("Blood bilirubin increased", 4, 66), ("Sepsis", 5, 236)),
        os_days=240, dead=True, death_cause="инфекция после ТГСК (transplant-related mortality)",
        role="death 8, VOD/SOS grade 4 after HSCT"),
    # -- INO-012: primary refractory, standard dose, CR, MRD-negative, HSCT, alive ---------------------
    RefPatient(
        "INO-012", "Алексеева Софья Артёмовна", "F", 13.4, D(2020, 9, 8), 5, 0, False, False, False,
        "ETV6-RUNX1", 99.0, 15.0,
        doses=cycle(0, 1, STD) + cycle(35, 2, CONS),
        assessments=((27, 0.8, "0,002%", 1.9, 150.0), (63, 0.5, "0,001%", 2.4, 190.0)),
        hsct=(100, "matched related", "TBI 12 Gy + etoposide"),
        adverse_events=(("Alanine aminotransferase increased", 1, 20), ("Fever", 1, 3)),
        os_days=700, dead=False,
        role="long-term survivor (HSCT)"),
    # -- INO-013: REDUCED dose (0.5+0.5), CRi, MRD-positive, lost to follow-up on day 150 --------------
    RefPatient(
        "INO-013", "Лебедев Тимофей Ильич", "M", 10.0, D(2021, 1, 19), 48, 2, False, True, False,
        "normal", 72.0, 55.0,
        doses=cycle(0, 1, RED2) + cycle(28, 2, RED2),
        assessments=((22, 4.5, "0,1%", 0.5, 30.0), (60, 2.0, "0,2%", 1.3, 90.0)),
        hsct=None,
        adverse_events=(("Фебрильная нейтропения", 3, 12), ("Nausea", 1, 29)),
        os_days=150, dead=False,
        role="censored day 150: lost to follow-up (transferred abroad)"),
    # -- INO-014: standard dose, CR with ANC exactly 1.0 and PLT exactly 100, MRD+, relapse, dies 170 ---
    RefPatient(
        "INO-014", "Козлова Алиса Евгеньевна", "F", 17.2, D(2021, 5, 11), 84, 3, True, False, False,
        "other", 83.0, 50.0,
        doses=cycle(0, 1, STD) + cycle(28, 2, CONS),
        assessments=((23, 3.0, "0,3%", 1.0, 100.0), (58, 1.5, "0,15%", 1.4, 120.0)),
        hsct=None,
        adverse_events=(("Platelet count decreased", 3, 10), ("Aspartate aminotransferase increased", 2, 15)),
        os_days=170, dead=True, death_cause="рецидив, прогрессия", relapse_day=120,
        role="death 6, relapse, no donor"),
    # -- INO-015: hypodiploid, standard dose, blasts exactly 5% (NOT a response), dies day 130 ---------
    RefPatient(
        "INO-015", "Николаев Матвей Денисович", "M", 7.9, D(2021, 8, 24), 30, 2, False, True, True,
        "hypodiploid", 62.0, 65.0,
        doses=cycle(0, 1, STD) + cycle(30, 2, STD),
        assessments=((26, 5.0, "6,5%", 1.2, 110.0), (58, 9.5, "11%", 0.9, 70.0)),
        hsct=None,
        adverse_events=(("Febrile neutropenia", 3, 40), ("Fever", 2, 41)),
        os_days=130, dead=True, death_cause="прогрессия заболевания",
        role="non-responder, death 5"),
    # -- INO-016: BCR-ABL1, standard dose, CRi, MRD-positive, HSCT, relapse, dies day 320 -------------
    RefPatient(
        "INO-016", "Орлова Дарья Константиновна", "F", 15.0, D(2021, 12, 7), 40, 1, True, False, False,
        "BCR-ABL1", 87.0, 33.0,
        doses=cycle(0, 1, STD),
        assessments=((28, 2.0, "0,08%", 0.8, 70.0),),
        hsct=(56, "haploidentical", "treosulfan + fludarabine + thiotepa"),
        adverse_events=(("Neutrophil count decreased", 3, 14), ("Alanine aminotransferase increased", 3, 20)),
        os_days=320, dead=True, death_cause="рецидив после ТГСК", relapse_day=250,
        role="death 9, relapse after HSCT"),
    # -- INO-017: standard dose, CR, MRD-negative, ADMINISTRATIVE censoring: first dose 270 days before
    #    the cut-off, last contact 2023-03-10 is after it, so OS must be censored at 2023-01-31 (day 270).
    RefPatient(
        "INO-017", "Зайцев Лев Андреевич", "M", 5.5, D(2022, 5, 6), 10, 0, False, False, False,
        "normal", 94.0, 28.0,
        doses=cycle(0, 1, STD) + cycle(29, 2, CONS),
        assessments=((22, 0.5, "0,005%", 1.5, 210.0),),
        hsct=None,
        adverse_events=(("Nausea", 1, 1), ("Fever", 1, 290)),  # the fever (2023-02-20) is after the cut-off
        os_days=270, dead=False, last_contact=D(2023, 3, 10),
        role="censored at the cut-off (last contact after it); one AE after the cut-off"),
    # ======================= raw patients the eligibility rules must EXCLUDE =======================
    RefPatient(
        "INO-018", "Григорьев Никита Владимирович", "M", 18.4, D(2019, 3, 5), 30, 1, False, False, False,
        "normal", 81.0, 40.0,
        doses=cycle(0, 1, STD),
        assessments=((24, 2.0, "0,02%", 1.3, 130.0),),
        hsct=None,
        adverse_events=(("Nausea", 2, 1),),
        os_days=300, dead=False,
        excluded_reason="age 18.4 years at first dose (>= 18)", role="excluded: age"),
    RefPatient(
        "INO-019", "Белова Ксения Сергеевна", "F", 9.0, D(2022, 11, 15), 20, 1, False, False, False,
        "other", 77.0, 50.0,
        doses=cycle(0, 1, STD),
        assessments=((23, 3.0, "0,4%", 0.9, 80.0),),
        hsct=None,
        adverse_events=(),
        os_days=66, dead=False,
        excluded_reason="first dose 2022-11-15, after the study window", role="excluded: date"),
    RefPatient(
        "INO-020", "Тарасов Глеб Русланович", "M", 12.0, D(2020, 3, 2), 24, 1, False, True, False,
        "normal", 70.0, 45.0,
        doses=(),
        assessments=(),
        hsct=None,
        adverse_events=(),
        os_days=400, dead=False,
        excluded_reason="registered, never received InO", role="excluded: no InO dose"),
)
# fmt: on


#: Baseline facts Table 1 reports (issue 21), per patient: (CNS status, extramedullary disease,
#: months from CR1 to the first relapse (None: primary refractory, no CR1)). CR1 is one month after
#: the diagnosis. INO-007's CNS status is not recorded. Prior lines of therapy: 1 + relapses + CAR-T.
TABLE1_FACTS: dict[str, tuple[str | None, bool, int | None]] = {
    "INO-001": ("CNS1", False, 24), "INO-002": ("CNS2", False, 30), "INO-003": ("CNS1", False, None),
    "INO-004": ("CNS3", True, 36), "INO-005": ("CNS1", False, 20), "INO-006": ("CNS1", False, 12),
    "INO-007": (None, True, 5), "INO-008": ("CNS2", False, 22), "INO-009": ("CNS1", False, 40),
    "INO-010": ("CNS1", False, 9), "INO-011": ("CNS1", False, 15), "INO-012": ("CNS1", False, None),
    "INO-013": ("CNS1", True, 26), "INO-014": ("CNS2", False, 50), "INO-015": ("CNS1", False, 14),
    "INO-016": ("CNS1", False, 17), "INO-017": ("CNS1", False, None), "INO-018": ("CNS1", False, 20),
    "INO-019": ("CNS1", False, 10), "INO-020": ("CNS1", False, 15),
}
#: The method and detection limit (%) of each patient's MRD measurements: flow cytometry at 10^-4 unless
#: listed; INO-013's method is not recorded.
MRD_METHODS: dict[str, tuple[str | None, float | None]] = {
    "INO-012": ("NGS", 0.0001), "INO-016": ("PCR", 0.001), "INO-013": (None, None),
}
#: SOS/VOD as the field reports it: EBMT paediatric severity, treatment, outcome (by patient).
SOS_DETAILS: dict[str, tuple[str, str, str]] = {
    "INO-006": ("severe", "defibrotide", "resolved"),
    "INO-011": ("very severe", "defibrotide", "resolved"),
}
#: Columns added to the contract after the reference workbook was first written: their cells are
#: rendered from a random stream of their own, so that every earlier cell keeps its formatting.
LATER_COLUMNS = frozenset({"cns_status", "extramedullary_disease", "cr1_date", "first_relapse_date", "prior_lines",
                           "mrd_method", "mrd_detection_limit_pct", "sos_severity", "sos_treatment", "sos_outcome"})
MONTH_DAYS = 30.4375


def _add(d: dt.date, days: int) -> dt.date:
    return d + dt.timedelta(days=int(days))


def _birth_date(p: RefPatient) -> dt.date:
    return _add(p.anchor, -round(p.age_years * 365.25))


def _dose_group(p: RefPatient) -> str | None:
    """'standard' if cycle 1 totals 1.8 mg/m2 (0.8/0.5/0.5), 'reduced' otherwise; None without InO."""
    if not p.doses:
        return None
    c1 = sum(d for _, c, d in p.doses if c == 1)
    return "standard" if c1 >= STANDARD_CYCLE_MG_M2 - 1e-9 else "reduced"


# -- GVHD on the transplant records (optional contract columns; issue 21 item 5) --------------------------
#: Per transplanted reference patient: (maximum acute GVHD grade, its onset in days after HSCT, chronic GVHD
#: severity, its onset in days after HSCT); None = not recorded (INO-016: a transplant without GVHD data).
REFERENCE_GVHD: dict[str, tuple[str, int | None, str, int | None] | None] = {
    "INO-001": ("II", 21, "none", None),
    "INO-003": ("I", 18, "mild", 150),
    "INO-005": ("III", 25, "none", None),  # dies on day +140 (transplant-related sepsis)
    "INO-006": ("0", None, "moderate", 200),
    "INO-009": ("II", 30, "none", None),
    "INO-011": ("III", 20, "none", None),  # dies on day +190 (infection after HSCT)
    "INO-012": ("I", 14, "none", None),
    "INO-016": None,
}


def reference_gvhd(patient_id: str, hsct_date: dt.date) -> dict[str, Any]:
    """The GVHD columns of a reference patient's transplant row (all None when not recorded)."""
    gvhd = REFERENCE_GVHD.get(patient_id)
    if gvhd is None:
        return dict(agvhd_grade=None, agvhd_date=None, cgvhd=None, cgvhd_date=None)
    grade, a_day, severity, c_day = gvhd
    return dict(agvhd_grade=grade, agvhd_date=None if a_day is None else _add(hsct_date, a_day),
                cgvhd=severity, cgvhd_date=None if c_day is None else _add(hsct_date, c_day))


def _simulated_gvhd(hsct_days: np.ndarray, end_days: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Simulated GVHD columns of the transplant rows (own generator: the other columns do not change).

    Maximum acute grade 0/I/II/III/IV (about 40/25/20/10/5%), onset 10-60 days after HSCT; chronic GVHD
    none/mild/moderate/severe (about 65/15/13/7%), onset 100-300 days after HSCT; a grade whose onset
    falls after the end of follow-up is recorded as 0 / none; about 5% of transplants without GVHD data.
    """
    rng = np.random.default_rng([seed, 21])
    m = len(hsct_days)
    missing = np.int64(-10**9)
    grade = rng.choice(5, size=m, p=[0.4, 0.25, 0.2, 0.1, 0.05])
    a_day = hsct_days + rng.integers(10, 61, m)
    grade = np.where(a_day <= end_days, grade, 0)
    severity = rng.choice(4, size=m, p=[0.65, 0.15, 0.13, 0.07])
    c_day = hsct_days + rng.integers(100, 301, m)
    severity = np.where(c_day <= end_days, severity, 0)
    unrecorded = rng.random(m) < 0.05
    roman = np.array(["0", "I", "II", "III", "IV"], dtype=object)
    levels = np.array(["none", "mild", "moderate", "severe"], dtype=object)
    return {
        "agvhd_grade": np.where(unrecorded, "", roman[grade]).astype(object),
        "agvhd_date": _format_dates(np.where(unrecorded | (grade == 0), missing, a_day), rng),
        "cgvhd": np.where(unrecorded, "", levels[severity]).astype(object),
        "cgvhd_date": _format_dates(np.where(unrecorded | (severity == 0), missing, c_day), rng),
    }


def build_reference_cohort() -> dict[str, pd.DataFrame]:
    """The clean, typed truth tables of the reference cohort, one DataFrame per contract table.

    Dates are ``datetime.date`` objects (``None`` when missing), numbers are floats, yes/no are bools,
    sex is "M"/"F", vital status "alive"/"dead", MRD is the text as the registry writes it.
    The 20 raw patients include 3 that the eligibility rules must exclude (INO-018..INO-020).
    """
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
    for p in REFERENCE_PATIENTS:
        diagnosis = _add(p.anchor, -round(p.diagnosis_months_before * MONTH_DAYS))
        cns, extramedullary, cr1_months = TABLE1_FACTS[p.patient_id]
        cr1 = _add(diagnosis, round(MONTH_DAYS)) if cr1_months is not None else None
        rows["patients"].append(
            dict(
                patient_id=p.patient_id, full_name=p.full_name, sex=p.sex, birth_date=_birth_date(p),
                diagnosis_date=diagnosis,
                relapse_number=p.relapse_number, prior_hsct=p.prior_hsct,
                prior_blinatumomab=p.prior_blinatumomab, prior_car_t=p.prior_car_t,
                cytogenetics=p.cytogenetics, cd22_pct=p.cd22_pct, marrow_blasts_pct=p.marrow_blasts_pct,
                cns_status=cns, extramedullary_disease=extramedullary, cr1_date=cr1,
                first_relapse_date=_add(cr1, round(cr1_months * MONTH_DAYS)) if cr1 is not None else None,
                prior_lines=1 + p.relapse_number + int(p.prior_car_t),
            )
        )
        method, limit = MRD_METHODS.get(p.patient_id, ("flow", 0.01))
        for day, cyc, dose in p.doses:
            rows["ino_doses"].append(
                dict(patient_id=p.patient_id, date=_add(p.anchor, day), cycle=cyc, dose_mg_m2=dose)
            )
        for day, blasts, mrd, anc, plt in p.assessments:
            rows["assessments"].append(
                dict(patient_id=p.patient_id, date=_add(p.anchor, day), marrow_blasts_pct=blasts, mrd=mrd,
                     anc_10e9_l=anc, platelets_10e9_l=plt,
                     mrd_method=method if _mrd_done(mrd) else None,
                     mrd_detection_limit_pct=limit if _mrd_done(mrd) else None)
            )
        if p.hsct is not None:
            day, donor, cond = p.hsct
            rows["transplants"].append(
                dict(patient_id=p.patient_id, date=_add(p.anchor, day), donor_type=donor, conditioning=cond,
                     **reference_gvhd(p.patient_id, _add(p.anchor, day)))
            )
        for term, grade, day in p.adverse_events:
            severity, treatment, outcome = (SOS_DETAILS[p.patient_id] if term in VOD_TERMS else (None, None, None))
            rows["adverse_events"].append(
                dict(patient_id=p.patient_id, term=term, grade=grade, onset_date=_add(p.anchor, day),
                     sos_severity=severity, sos_treatment=treatment, sos_outcome=outcome)
            )
        end = _add(p.anchor, p.os_days)
        rows["follow_up"].append(
            dict(
                patient_id=p.patient_id,
                last_contact_date=p.last_contact or end,
                vital_status="dead" if p.dead else "alive",
                death_date=end if p.dead else None,
                death_cause=p.death_cause,
                relapse_date=_add(p.anchor, p.relapse_day) if p.relapse_day is not None else None,
            )
        )
    out: dict[str, pd.DataFrame] = {}
    for t in TABLES:
        cols = [c.name for c in t.columns]
        out[t.name] = pd.DataFrame(rows[t.name], columns=cols)
    return out


def _mrd_done(text: str | None) -> bool:
    """The reference cohort's MRD text is a measurement (not blank, not 'not done')."""
    return text is not None and text.strip().lower() not in {"н/д", "not done", ""}


def _mrd_negative_text(text: str | None) -> bool | None:
    """Reference-cohort MRD text -> negative (< 0.01%)? None when not done."""
    if text is None or text.strip().lower() in {"н/д", "not done", ""}:
        return None
    t = text.strip().lower()
    if t in {"neg", "не выявлено"} or t.startswith("<"):
        return True
    return float(t.rstrip("%").replace(",", ".")) < MRD_THRESHOLD_PCT


def reference_patient_summary() -> pd.DataFrame:
    """Expected per-patient results of the default analysis (one row per raw patient).

    Columns: patient_id, eligible, excluded_reason, first_dose, os_days, os_event (1 = death),
    evaluable, best_response (CR / CRi / NR / NE), responder, mrd_negative, dose_group, hsct, vod, role.
    """
    recs = []
    for p in REFERENCE_PATIENTS:
        best = "NE"
        if p.assessments:
            best = "NR"
            for _, blasts, _, anc, plt in p.assessments:
                if blasts < 5:
                    if anc >= 1.0 and plt >= 100:
                        best = "CR"
                        break
                    best = "CRi"
        vod = any(term in VOD_TERMS for term, _, _ in p.adverse_events)
        recs.append(
            dict(
                patient_id=p.patient_id,
                eligible=p.excluded_reason is None,
                excluded_reason=p.excluded_reason,
                first_dose=p.anchor if p.doses else None,
                os_days=p.os_days,
                os_event=int(p.dead),
                evaluable=best != "NE",
                best_response=best,
                responder=best in ("CR", "CRi"),
                mrd_negative=any(_mrd_negative_text(a[2]) for a in p.assessments),
                dose_group=_dose_group(p),
                hsct=p.hsct is not None,
                vod=vod,
                role=p.role,
            )
        )
    return pd.DataFrame(recs)


# ---------------------------------------------------------------------------------------------
# 2. The messy registry workbook
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Messiness:
    """One deliberate irregularity written into the workbook."""

    sheet: str
    cell: str  # Excel address, e.g. "C7"; a row address "12:12" for whole rows
    category: str
    detail: str


def _col_letter(idx: int) -> str:
    """0-based column index -> Excel letters."""
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def _fmt_dec(v: float) -> str:
    """A number as Russian text: at most 6 decimals (an MRD detection limit has 4), decimal comma, no
    trailing zeros."""
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return s.replace(".", ",")


#: How each contract column's header is written in the export (varied case and whitespace).
HEADER_VARIANTS: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": "Patient_ID", "full_name": "FULL_NAME", "sex": " sex", "birth_date": "Birth_Date ",
        "diagnosis_date": "diagnosis_date", "relapse_number": "Relapse_Number", "prior_hsct": "prior_HSCT",
        "prior_blinatumomab": "Prior_Blinatumomab ", "prior_car_t": "prior_car_t", "cytogenetics": "Cytogenetics",
        "cd22_pct": "CD22_pct", "marrow_blasts_pct": " marrow_blasts_pct ",
        "cns_status": "cns_status", "extramedullary_disease": "extramedullary_disease", "cr1_date": "cr1_date",
        "first_relapse_date": "first_relapse_date", "prior_lines": "prior_lines",
    },
    "ino_doses": {"patient_id": "patient_id ", "date": " date ", "cycle": "Cycle", "dose_mg_m2": "Dose_mg_m2 "},
    "assessments": {
        "patient_id": "PATIENT_ID", "date": "Date", "marrow_blasts_pct": "Marrow_Blasts_Pct", "mrd": "MRD",
        "anc_10e9_l": "ANC_10e9_L", "platelets_10e9_l": " platelets_10e9_l",
        "mrd_method": "mrd_method", "mrd_detection_limit_pct": "mrd_detection_limit_pct",
    },
    "transplants": {"patient_id": "Patient_Id", "date": "DATE ", "donor_type": "Donor_Type",
                    "conditioning": " conditioning"},
    "adverse_events": {"patient_id": "patient_id", "term": "Term ", "grade": "GRADE", "onset_date": "Onset_Date",
                       "sos_severity": "sos_severity", "sos_treatment": "sos_treatment", "sos_outcome": "sos_outcome"},
    "follow_up": {
        "patient_id": " Patient_ID", "last_contact_date": "Last_Contact_Date", "vital_status": "Vital_Status ",
        "death_date": "death_date", "death_cause": "Death_Cause", "relapse_date": "RELAPSE_DATE",
    },
}

HEADER_VARIANTS["transplants"].update({"agvhd_grade": "aGVHD_grade", "agvhd_date": "aGVHD_Date",
                                        "cgvhd": "cGVHD ", "cgvhd_date": "cgvhd_date"})

#: The extra column (ignored by the pipeline) added to one sheet, and its contents by patient.
EXTRA_COLUMN = ("ino_doses", "примечание")
EXTRA_COLUMN_NOTES = {
    "INO-003": "доза снижена (инфекция)", "INO-004": "доза снижена", "INO-007": "доза снижена, сепсис",
    "INO-009": "доза снижена (печень)", "INO-013": "доза снижена",
}

# Forced irregularities, independent of the seed: (sheet, patient_id, occurrence (0-based), column, kind)
_FORCED: tuple[tuple[str, str, int, str, str], ...] = (
    ("ino_doses", "INO-003", 0, "date", "date_serial"),
    ("follow_up", "INO-012", 0, "last_contact_date", "date_serial"),
    ("assessments", "INO-009", 1, "date", "date_trailing_space"),
    ("assessments", "INO-006", 0, "patient_id", "id_trailing_space"),
    ("adverse_events", "INO-011", 0, "patient_id", "id_nbsp"),
    ("transplants", "INO-001", 0, "date", "date_slash"),
    ("patients", "INO-005", 0, "cd22_pct", "number_percent_text"),
    ("patients", "INO-010", 0, "marrow_blasts_pct", "number_percent_text"),
    ("ino_doses", "INO-001", 0, "dose_mg_m2", "number_decimal_comma_text"),
    ("assessments", "INO-001", 0, "marrow_blasts_pct", "number_decimal_comma_text"),
    ("patients", "INO-001", 0, "sex", "sex_latin"),
    ("patients", "INO-002", 0, "sex", "sex_latin"),
    ("patients", "INO-003", 0, "sex", "sex_word"),
    ("patients", "INO-002", 0, "prior_hsct", "yes_no_01"),
    ("patients", "INO-001", 0, "prior_hsct", "yes_no_english"),
    ("follow_up", "INO-001", 0, "vital_status", "vital_english"),
    ("follow_up", "INO-003", 0, "vital_status", "vital_english"),
)


class _Renderer:
    """Turns clean values into messy cells, recording every deliberate irregularity."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.log: list[Messiness] = []

    def note(self, sheet: str, cell: str, category: str, detail: str) -> None:
        self.log.append(Messiness(sheet, cell, category, detail))

    def render(self, kind: str, column: str, value: Any, forced: str | None) -> tuple[Any, str | None]:
        """Return ``(cell value, messiness category or None if written the usual way)``."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None, None
        u = float(self.rng.random())
        if kind == "date":
            d: dt.date = value
            mode = forced or ("date_excel_cell" if u < 0.15 else "date_slash" if u < 0.2 else "text")
            if mode == "date_excel_cell":
                return dt.datetime(d.year, d.month, d.day), mode
            if mode == "date_slash":
                return d.strftime("%d/%m/%Y"), mode
            if mode == "date_serial":
                return (d - EXCEL_EPOCH).days, mode
            if mode == "date_trailing_space":
                return d.strftime("%d.%m.%Y") + " ", mode
            return d.strftime("%d.%m.%Y"), None
        if kind == "number":
            v = float(value)
            pct = column.endswith("_pct") and u > 0.85
            mode = forced or ("number_numeric_cell" if u < 0.3 else "number_percent_text" if pct
                              else "number_decimal_comma_text")
            if mode == "number_numeric_cell":
                return v, mode
            if mode == "number_percent_text":
                return _fmt_dec(v) + "%", mode
            s = _fmt_dec(v)
            return s, ("number_decimal_comma_text" if "," in s else None)
        if kind == "integer":
            if forced == "integer_text" or u < 0.15:
                return str(int(value)), "integer_text"
            return int(value), None
        if kind == "sex":
            mode = forced or ("sex_latin" if u < 0.15 else "sex_word" if u < 0.25 else "cyrillic")
            if mode == "sex_latin":
                return value, mode
            if mode == "sex_word":
                return {"M": "муж", "F": "жен"}[value], mode
            return {"M": "М", "F": "Ж"}[value], None
        if kind == "yes_no":
            mode = forced or ("yes_no_english" if u < 0.15 else "yes_no_01" if u < 0.3 else "russian")
            if mode == "yes_no_english":
                return ("yes" if value else "no"), mode
            if mode == "yes_no_01":
                return (1 if value else 0), mode
            return ("да" if value else "нет"), None
        if kind == "vital_status":
            mode = forced or ("vital_english" if u < 0.25 else "russian")
            if mode == "vital_english":
                return value, mode
            return {"alive": "жив", "dead": "умер"}[value], None
        if kind == "id":
            if forced == "id_trailing_space":
                return value + " ", forced
            if forced == "id_nbsp":
                return value + "\u00a0", forced
            return value, None
        if kind == "mrd":
            return value, "mrd_free_text"
        return value, None


def _save_deterministic(wb: Any, path: Path, when: dt.datetime = FIXED_TIMESTAMP) -> None:
    """Save an openpyxl workbook with fixed document properties and fixed zip-entry timestamps."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # (openpyxl's save_workbook would stamp 'modified' with now())
    write_zip_fixed_times(buf, path, when)


README_LINES_EN = (
    "SYNTHETIC DATA - NOT REAL PATIENTS.",
    "This workbook is a synthetic registry export generated by workflow/scripts/make_reference_cohort.py "
    "(ino_study.synthetic) with seed {seed}.",
    "All names, dates and clinical facts are invented. The cohort is built so that the default analysis "
    "reproduces the published summary numbers of Evstratov et al. (2023); it carries no information about "
    "any real person.",
    "Sheets: patients, ino_doses, assessments, transplants, adverse_events, follow_up. Irregular formatting "
    "(dates, decimal commas, codes, blank rows) is deliberate; see data/synthetic/README.md.",
)
README_LINES_RU = (
    "СИНТЕТИЧЕСКИЕ ДАННЫЕ - НЕ РЕАЛЬНЫЕ ПАЦИЕНТЫ.",
    "Файл создан программой workflow/scripts/make_reference_cohort.py (ino_study.synthetic), seed {seed}.",
    "Все имена, даты и клинические данные вымышлены и не относятся ни к одному реальному человеку.",
    "Неоднородное форматирование (даты, десятичные запятые, коды, пустые строки) внесено намеренно.",
)


def write_registry_workbook(tables: dict[str, pd.DataFrame], path: str | Path, seed: int = 20230201,
                            headers: dict[str, dict[str, str]] | None = None,
                            sheet_titles: dict[str, str] | None = None,
                            readme_lines: tuple[str, ...] = ()) -> list[Messiness]:
    """Render clean contract tables as a messy Russian-registry Excel export at ``path``.

    The first sheet is "README" (synthetic-data notice in English and Russian, with the seed), followed by
    the six contract sheets. Output is byte-identical for the same tables and seed. Returns the list of
    deliberate irregularities (cell by cell) that were written. ``headers`` (table -> column -> header),
    ``sheet_titles`` (table -> sheet name) and ``readme_lines`` (appended to the README sheet) replace
    the contract's headers and sheet names, as a centre's own export would write them; the cells are the
    same as without them.
    """
    from openpyxl import Workbook

    headers_given = headers
    r = _Renderer(seed)
    later = _Renderer(seed + 1)  # the cells of LATER_COLUMNS (see there)
    later.log = r.log
    wb = Workbook()
    ws = wb.active
    ws.title = "README"
    for line in README_LINES_EN + ("",) + README_LINES_RU + ((("",) + readme_lines) if readme_lines else ()):
        ws.append([line.format(seed=seed)])
    ws.column_dimensions["A"].width = 120

    forced: dict[tuple[str, str, int, str], str] = {(s, p, o, c): k for s, p, o, c, k in _FORCED}
    for table in TABLES:
        df = tables[table.name]
        ws = wb.create_sheet((sheet_titles or {}).get(table.name, table.name))
        cols = [c.name for c in table.columns]
        headers = [((headers_given or HEADER_VARIANTS)[table.name])[c] for c in cols]
        extra = EXTRA_COLUMN[1] if EXTRA_COLUMN[0] == table.name else None
        if extra:
            headers.append(extra)
        ws.append(headers)
        for col, h in zip(cols, headers):
            if h != col:
                r.note(table.name, f"{_col_letter(cols.index(col))}1", "header_case_whitespace", repr(h))
        if extra:
            r.note(table.name, f"{_col_letter(len(cols))}1", "extra_column", f"extra column {extra!r} (ignored)")
        blank_after = len(df) // 2 if table.name == "ino_doses" else None
        seen: dict[str, int] = {}
        excel_row = 1
        for i, rec in enumerate(df.to_dict("records")):
            if blank_after is not None and i == blank_after:
                ws.append([None] * len(headers))
                excel_row += 1
                r.note(table.name, f"{excel_row}:{excel_row}", "blank_row", "fully blank row in the middle")
            pid = rec["patient_id"]
            occ = seen.get(pid, 0)
            seen[pid] = occ + 1
            excel_row += 1
            cells = []
            for j, col in enumerate(cols):
                kind = table.column(col).kind
                f = forced.get((table.name, pid, occ, col))
                value, cat = (later if col in LATER_COLUMNS else r).render(kind, col, rec[col], f)
                cells.append(value)
                if cat is not None:
                    r.note(table.name, f"{_col_letter(j)}{excel_row}", cat, f"{pid} {col}: {value!r}")
            if extra:
                cells.append(EXTRA_COLUMN_NOTES.get(pid) if occ == 0 else None)
            ws.append(cells)
        if table.name == "patients":
            ws.cell(row=excel_row + 2, column=1, value=SYNTHETIC_NOTE)
            r.note(table.name, f"A{excel_row + 2}", "note_row", f"note two rows below the last row: {SYNTHETIC_NOTE!r}")
        for j in range(len(headers)):
            ws.column_dimensions[_col_letter(j)].width = 18
    wb.properties.creator = "ino_study.synthetic (SYNTHETIC DATA)"
    wb.properties.title = "SYNTHETIC InO registry export"
    _save_deterministic(wb, Path(path))
    return r.log


#: The reference cohort's headers as a Russian registry writes them (some with stray case and spaces,
#: as typed), for the Russian-header example export (`write_russian_header_workbook`).
RUSSIAN_HEADERS: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": "ИД пациента", "full_name": "ФИО", "sex": "Пол ", "birth_date": "Дата рождения",
        "diagnosis_date": "Дата диагноза", "relapse_number": "Число рецидивов", "prior_hsct": "ТГСК до инотузумаба",
        "prior_blinatumomab": "Блинатумомаб до инотузумаба", "prior_car_t": "CAR-T до инотузумаба",
        "cytogenetics": "Цитогенетика", "cd22_pct": "CD22, %", "marrow_blasts_pct": "Бласты в КМ, %",
        "cns_status": "Статус ЦНС", "extramedullary_disease": "Экстрамедуллярное поражение",
        "cr1_date": "Дата первой ремиссии", "first_relapse_date": "Дата первого рецидива",
        "prior_lines": "Линий терапии до инотузумаба",
    },
    "ino_doses": {"patient_id": "ид пациента", "date": "Дата введения", "cycle": "Курс", "dose_mg_m2": "Доза, мг/м2"},
    "assessments": {
        "patient_id": "ИД пациента", "date": "Дата пункции", "marrow_blasts_pct": "Бласты в КМ, %", "mrd": "МОБ",
        "anc_10e9_l": "АЧН, 10^9/л", "platelets_10e9_l": "Тромбоциты,  10^9/л",
        "mrd_method": "Метод МОБ", "mrd_detection_limit_pct": "Чувствительность МОБ, %",
    },
    "transplants": {"patient_id": "ИД пациента", "date": "Дата ТГСК", "donor_type": "Тип донора",
                    "conditioning": "Кондиционирование"},
    "adverse_events": {"patient_id": "ИД пациента", "term": "Нежелательное явление", "grade": "Степень",
                       "onset_date": "Дата начала", "sos_severity": "Тяжесть ВОБ/СОС (EBMT)",
                       "sos_treatment": "Лечение ВОБ/СОС", "sos_outcome": "Исход ВОБ/СОС"},
    "follow_up": {
        "patient_id": " ИД пациента", "last_contact_date": "Дата последнего контакта", "vital_status": "Статус",
        "death_date": "Дата смерти", "death_cause": "Причина смерти", "relapse_date": "Дата рецидива",
    },
}

RUSSIAN_HEADERS["transplants"].update({"agvhd_grade": "оРТПХ, макс. степень", "agvhd_date": "Дата оРТПХ",
                                        "cgvhd": "хРТПХ", "cgvhd_date": "Дата хРТПХ"})

#: Sheet names of the Russian-header example (each an accepted alias of its table).
RUSSIAN_SHEETS: dict[str, str] = {
    "patients": "Пациенты", "ino_doses": "Введения", "assessments": "Костный мозг", "transplants": "ТГСК",
    "adverse_events": "Нежелательные явления", "follow_up": "Наблюдение",
}

RUSSIAN_HEADERS_README = (
    "RUSSIAN-HEADER VARIANT (SYNTHETIC): the same cells with Russian sheet names and column headers; "
    "read it with config/examples/russian_headers.yaml (config key column_map).",
    "Вариант с русскими заголовками (СИНТЕТИЧЕСКИЕ ДАННЫЕ): те же ячейки; "
    "читать с config/examples/russian_headers.yaml.",
)


def russian_column_map() -> dict[str, dict[str, str]]:
    """The `column_map` that reads the Russian-header export: table -> {header: contract column}."""
    return {table: {header.strip(): column for column, header in headers.items()}
            for table, headers in RUSSIAN_HEADERS.items()}


def write_russian_header_workbook(path: str | Path, seed: int = 20230201) -> list[Messiness]:
    """The reference cohort's SYNTHETIC export with Russian sheet names and headers (the cells are those of
    the default workbook for the same seed): data/examples/ru_headers_SYNTHETIC.xlsx."""
    return write_registry_workbook(build_reference_cohort(), path, seed=seed, headers=RUSSIAN_HEADERS,
                                   sheet_titles=RUSSIAN_SHEETS, readme_lines=RUSSIAN_HEADERS_README)


#: The REDCap project of the study: per contract table, field -> (field type, choices, text validation,
#: identifier), named by the REDCap convention (`ino_study.records.redcap`: a column name in several
#: tables is `<table>_<column>`). Choices' labels are spellings the contract accepts.
REDCAP_FIELD_TYPES: dict[str, tuple[str, str, str, bool]] = {
    "patient_id": ("text", "", "", False),
    "full_name": ("text", "", "", True),
    "sex": ("radio", "1, Male | 2, Female", "", False),
    "birth_date": ("text", "", "date_ymd", True),
    "diagnosis_date": ("text", "", "date_ymd", False),
    "relapse_number": ("text", "", "integer", False),
    "prior_hsct": ("yesno", "", "", False),
    "prior_blinatumomab": ("yesno", "", "", False),
    "prior_car_t": ("yesno", "", "", False),
    "cytogenetics": ("checkbox", "1, normal | 2, ETV6-RUNX1 | 3, BCR-ABL1 | 4, KMT2A-r | 5, hypodiploid | 6, other",
                     "", False),
    "cd22_pct": ("text", "", "number", False),
    "marrow_blasts_pct": ("text", "", "number", False),
    "date": ("text", "", "date_ymd", False),
    "cycle": ("text", "", "integer", False),
    "dose_mg_m2": ("text", "", "number", False),
    "mrd": ("text", "", "", False),
    "anc_10e9_l": ("text", "", "number", False),
    "platelets_10e9_l": ("text", "", "number", False),
    "donor_type": ("dropdown", "1, matched related | 2, matched unrelated | 3, haploidentical | 4, cord blood", "",
                   False),
    "conditioning": ("notes", "", "", False),
    "term": ("text", "", "", False),
    "grade": ("radio", "1, 1 | 2, 2 | 3, 3 | 4, 4 | 5, 5", "", False),
    "onset_date": ("text", "", "date_ymd", False),
    "last_contact_date": ("text", "", "date_ymd", False),
    "vital_status": ("radio", "0, alive | 1, dead", "", False),
    "death_date": ("text", "", "date_ymd", False),
    "death_cause": ("notes", "", "", False),
    "relapse_date": ("text", "", "date_ymd", False),
    "cns_status": ("radio", "1, CNS1 | 2, CNS2 | 3, CNS3", "", False),
    "extramedullary_disease": ("yesno", "", "", False),
    "cr1_date": ("text", "", "date_ymd", False),
    "first_relapse_date": ("text", "", "date_ymd", False),
    "prior_lines": ("text", "", "integer", False),
    "mrd_method": ("dropdown", "1, flow | 2, PCR | 3, NGS", "", False),
    "mrd_detection_limit_pct": ("text", "", "number", False),
    "sos_severity": ("dropdown", "1, mild | 2, moderate | 3, severe | 4, very severe", "", False),
    "sos_treatment": ("text", "", "", False),
    "sos_outcome": ("radio", "1, resolved | 2, fatal | 3, ongoing", "", False),
}

REDCAP_FIELD_TYPES.update({
    "agvhd_grade": ("dropdown", "0, 0 | 1, I | 2, II | 3, III | 4, IV", "", False),
    "agvhd_date": ("text", "", "date_ymd", False),
    "cgvhd": ("dropdown", "0, none | 1, mild | 2, moderate | 3, severe", "", False),
    "cgvhd_date": ("text", "", "date_ymd", False),
})

#: The header of a data dictionary as REDCap downloads it.
REDCAP_DICTIONARY_HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)


def redcap_data_dictionary_rows() -> list[tuple[str, ...]]:
    """The study's REDCap data dictionary (header first): one instrument per contract table."""
    from ino_study.records.redcap import field_names

    names = field_names()
    rows: list[tuple[str, ...]] = [REDCAP_DICTIONARY_HEADER]
    for table in TABLES:
        for column in table.columns:
            if column.name == "patient_id" and table.name != "patients":
                continue  # the record ID, once, first field of the first instrument
            kind, choices, validation, identifier = REDCAP_FIELD_TYPES[column.name]
            rows.append((names[table.name][column.name], table.name, "", kind, column.meaning, choices, "",
                         validation, "", "", "y" if identifier else "", "", "y" if column.required else "",
                         "", "", "", "", ""))
    return rows


def _redcap_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def redcap_export_columns() -> tuple[list[str], list[tuple[str, str, str, str | None]]]:
    """The header of the study's REDCap export, and its data columns as (export column, instrument,
    contract column, checkbox code): each instrument's fields in dictionary order, a checkbox field
    as one column per choice, then `<instrument>_complete` (contract column "")."""
    from ino_study.records.redcap import FIELD_COLUMNS, parse_choices

    dictionary = redcap_data_dictionary_rows()[1:]
    header = ["patient_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    columns: list[tuple[str, str, str, str | None]] = []  # (export column, table, contract column, checkbox code)
    for table in TABLES:
        for name, form, _, kind, *_rest in dictionary:
            if form != table.name or name == "patient_id":
                continue
            column = FIELD_COLUMNS[name][1]
            if kind == "checkbox":
                for code in parse_choices(REDCAP_FIELD_TYPES[column][1]):
                    columns.append((f"{name}___{code}", form, column, code))
            else:
                columns.append((name, form, column, None))
        columns.append((f"{table.name}_complete", table.name, "", None))
    return header + [c[0] for c in columns], columns


def redcap_export_rows(tables: dict[str, pd.DataFrame]) -> list[list[str]]:
    """`tables` as REDCap's "Export Records" writes them (raw coded values, header first): per record the
    non-repeating row (patients, follow_up), then one row per instance of each repeating instrument."""
    from ino_study.records.redcap import NON_REPEATING, parse_choices

    header, columns = redcap_export_columns()

    def coded(table: str, column: str, value: Any, code: str | None) -> str:
        kind, choices, _, _ = REDCAP_FIELD_TYPES[column]
        text = _redcap_value(value)
        if kind == "checkbox":
            return "1" if parse_choices(choices)[code] == text else "0"
        if kind in ("radio", "dropdown") and text:
            return {label: c for c, label in parse_choices(choices).items()}[
                {"M": "Male", "F": "Female"}.get(text, text)]
        return text

    out = [header]
    ids = list(tables["patients"]["patient_id"])
    for record in ids:
        row = {"patient_id": record}
        for table in NON_REPEATING:
            frame = tables[table]
            found = frame[frame["patient_id"] == record]
            if len(found):
                for name, form, column, code in columns:
                    if form == table:
                        row[name] = "2" if not column else coded(form, column, found.iloc[0][column], code)
        out.append([row.get(h, "") for h in header])
        for table in TABLES:
            if table.name in NON_REPEATING:
                continue
            frame = tables[table.name]
            for instance, (_, found) in enumerate(frame[frame["patient_id"] == record].iterrows(), start=1):
                row = {"patient_id": record, "redcap_repeat_instrument": table.name,
                       "redcap_repeat_instance": str(instance)}
                for name, form, column, code in columns:
                    if form == table.name:
                        row[name] = "2" if not column else coded(form, column, found[column], code)
                out.append([row.get(h, "") for h in header])
    return out


def write_redcap_example(export_path: str | Path, dictionary_path: str | Path) -> None:
    """The reference cohort as a SYNTHETIC REDCap project: data/examples/redcap_SYNTHETIC.csv (Export
    Records, raw) and data/examples/redcap_data_dictionary_SYNTHETIC.csv (its data dictionary)."""
    import csv

    for path, rows in ((dictionary_path, redcap_data_dictionary_rows()),
                       (export_path, redcap_export_rows(build_reference_cohort()))):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        Path(path).write_text(buffer.getvalue(), encoding="utf-8")


def messiness_markdown(log: Iterable[Messiness]) -> str:
    """A markdown list of the irregularities, grouped by category (for data/synthetic/README.md)."""
    groups: dict[str, list[Messiness]] = {}
    for m in log:
        groups.setdefault(m.category, []).append(m)
    lines = []
    for cat in sorted(groups):
        items = groups[cat]
        lines.append(f"- **{cat}** ({len(items)}): " + ", ".join(f"`{m.sheet}!{m.cell}`" for m in items))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# 3. The simulator (vectorised)
# ---------------------------------------------------------------------------------------------

_EPOCH = np.datetime64("1970-01-01", "D")


def _day(d: dt.date) -> int:
    return int((np.datetime64(d, "D") - _EPOCH).astype(np.int64))


_DD = np.array([f"{i:02d}" for i in range(32)], dtype=object)
_YYYY = np.array([str(1900 + i) for i in range(300)], dtype=object)


def _format_dates(days: np.ndarray, rng: np.random.Generator, p_slash: float = 0.07, p_iso: float = 0.04,
                  p_serial: float = 0.01) -> np.ndarray:
    """Days since 1970-01-01 (int, -10**9 = missing) -> object array of date text in mixed formats."""
    days = np.asarray(days, dtype=np.int64)
    missing = days <= -10**8
    d64 = np.where(missing, 0, days).astype("datetime64[D]")
    y = d64.astype("datetime64[Y]")
    m = d64.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d64 - m.astype("datetime64[D]")).astype(np.int64) + 1
    dd, mm, yyyy = _DD[day], _DD[month], _YYYY[year - 1900]
    u = rng.random(len(days))
    out = dd + "." + mm + "." + yyyy
    slash = u < p_slash
    out[slash] = dd[slash] + "/" + mm[slash] + "/" + yyyy[slash]
    iso = (u >= p_slash) & (u < p_slash + p_iso)
    out[iso] = yyyy[iso] + "-" + mm[iso] + "-" + dd[iso]
    serial = (u >= p_slash + p_iso) & (u < p_slash + p_iso + p_serial)
    out[serial] = (days[serial] + 25569).astype(str).astype(object)  # Excel serial: 1970-01-01 = 25569
    out[missing] = ""
    return out


def _format_numbers(values: np.ndarray, decimals: int, rng: np.random.Generator, p_pct: float = 0.0,
                    missing: np.ndarray | None = None) -> np.ndarray:
    """Floats -> object array of Russian-locale text (decimal comma), some with a '%' sign."""
    values = np.round(np.asarray(values, dtype=float), decimals)
    s = pd.Series(values).map(("{:." + str(decimals) + "f}").format).str.replace(".", ",", regex=False)
    if decimals:
        s = s.str.rstrip("0").str.rstrip(",")
    out = s.to_numpy(dtype=object)
    if p_pct:
        pct = rng.random(len(out)) < p_pct
        out[pct] = out[pct] + "%"
    if missing is not None:
        out[missing] = ""
    return out


def _pick(options: tuple[str, ...], probs: tuple[float, ...], size: int, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=np.asarray(probs) / sum(probs))]


def _yes_no(flags: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    yes = _pick(("да", "yes", "1", "Да"), (0.75, 0.1, 0.1, 0.05), len(flags), rng)
    no = _pick(("нет", "no", "0", "Нет"), (0.75, 0.1, 0.1, 0.05), len(flags), rng)
    return np.where(flags, yes, no)


_SURNAMES_M = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
               "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов")
_FIRST_M = ("Иван", "Артём", "Максим", "Даниил", "Кирилл", "Егор", "Тимофей", "Матвей", "Лев", "Никита", "Глеб")
_FIRST_F = ("Анна", "Мария", "Екатерина", "Полина", "Виктория", "Софья", "Алиса", "Дарья", "Ксения", "Ева")
_PATRON = ("Сергеев", "Дмитриев", "Алексеев", "Игорев", "Андреев", "Павлов", "Олегов", "Викторов", "Николаев")

_AE_TERMS = ("Febrile neutropenia", "Platelet count decreased", "Neutrophil count decreased",
             "Alanine aminotransferase increased", "Aspartate aminotransferase increased",
             "Blood bilirubin increased", "Infusion related reaction", "Nausea", "Fever", "Sepsis",
             "Фебрильная нейтропения")
_AE_PROBS = (0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.06, 0.09, 0.09, 0.03, 0.02)
_AE_MAX_GRADE = {"Infusion related reaction": 3, "Nausea": 3, "Fever": 3}


def simulate_cohort(n_patients: int, seed: int, centres: int = 1) -> dict[str, pd.DataFrame]:
    """A random, clinically plausible SYNTHETIC cohort as raw-looking string tables in the contract.

    Every cell is a string ("" when missing), written the way a Russian registry export looks: dates in
    mixed formats (mostly dd.mm.yyyy), decimal commas, some '%' signs, М/Ж and да/нет codes, MRD as free
    text. Deterministic for ``(n_patients, seed, centres)``. With ``centres > 1`` the patients table gets a
    ``centre`` column. Targets: ~5% excluded by eligibility (age >= 18 or first dose outside the study
    window), ~70% response among evaluable patients, MRD-negative ~45% of responders, median OS ~10 months,
    HSCT in ~40% of responders, VOD/SOS in ~15-30% after HSCT, follow-up to the 2023-01-31 cut-off (a few
    records up to two weeks after it).
    """
    if n_patients < 1:
        raise ValueError("n_patients must be >= 1")
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    ws, we, cut = _day(STUDY_START), _day(STUDY_END), _day(CUTOFF)
    export = cut + 14  # registry extract date: a few records after the cut-off

    centre = rng.integers(1, centres + 1, n) if centres > 1 else np.ones(n, dtype=np.int64)
    pid = pd.Series(np.arange(1, n + 1)).map("SIM-{:06d}".format).to_numpy(dtype=object)

    # -- eligibility-relevant facts -------------------------------------------------------------------
    first = rng.integers(ws, we + 1, n)
    outside = rng.random(n) < 0.025
    before = rng.random(n) < 0.5
    first = np.where(outside & before, ws - rng.integers(1, 150, n), first)
    first = np.where(outside & ~before, we + rng.integers(1, 100, n), first)
    age = 1.0 + 16.99 * rng.beta(1.2, 1.4, n)
    over = rng.random(n) < 0.025
    age = np.where(over, rng.uniform(18.0, 19.5, n), age)
    birth = first - np.round(age * 365.25).astype(np.int64)
    diagnosis = np.maximum(first - np.round(rng.uniform(0.2, 6.0, n) * 365.25).astype(np.int64), birth + 30)

    sex_m = rng.random(n) < 0.55
    relapse_n = rng.choice(4, size=n, p=[0.15, 0.45, 0.3, 0.1])
    prior_hsct = (relapse_n > 0) & (rng.random(n) < 0.4)
    prior_blina = rng.random(n) < 0.35
    prior_cart = rng.random(n) < 0.1
    cyto = _pick(("KMT2A-r", "BCR-ABL1", "ETV6-RUNX1", "hypodiploid", "normal", "other"),
                 (0.1, 0.1, 0.2, 0.05, 0.35, 0.2), n, rng)
    cd22 = rng.uniform(60, 99.5, n)
    blasts0 = rng.uniform(5, 95, n)

    # -- treatment and response ------------------------------------------------------------------------
    reduced = rng.random(n) < 0.2
    early_death = rng.random(n) < 0.04
    evaluable = ~early_death
    responder = evaluable & (rng.random(n) < np.where(relapse_n == 0, 0.6, 0.72))
    cr = responder & (rng.random(n) < 0.55)
    mrd_neg = responder & (rng.random(n) < 0.45)
    n_cycles = rng.choice([1, 2, 3], size=n, p=[0.35, 0.45, 0.2])
    a1 = rng.integers(21, 29, n)  # first marrow assessment, day 21-28

    # -- survival (true death day, from first dose) -------------------------------------------------------
    median = np.where(~responder, 110.0, np.where(mrd_neg, 720.0, 400.0))
    death_day = np.where(
        early_death, rng.integers(3, 21, n), a1 + 1 + np.ceil(rng.exponential(median / np.log(2)))
    ).astype(np.int64)
    loss_day = np.ceil(rng.exponential(3000.0, n)).astype(np.int64) + 1  # loss to follow-up
    horizon = np.maximum(export - rng.integers(0, 75, n), first) - first  # alive: last seen near the export
    obs_end = np.minimum.reduce([death_day, loss_day, horizon])
    dead = (death_day <= loss_day) & (death_day <= horizon)

    # -- cycles: start days; doses on days 0, 7, 14 of each cycle, only while alive --------------------------
    c2 = a1 + rng.integers(3, 11, n)
    c3 = c2 + rng.integers(28, 36, n)
    starts = np.stack([np.zeros(n, dtype=np.int64), c2, c3], axis=1)
    single = rng.random(n) < 0.5  # reduced dose: a single 0.8 mg/m2 per cycle, or 0.5 + 0.5 mg/m2
    dose_rows = []
    for c in range(3):
        for k in range(3):
            day = starts[:, c] + 7 * k
            if k == 0:
                val = np.where(reduced & ~single, 0.5, np.where(~reduced & (c > 0) & cr, 0.5, 0.8))
            else:
                val = np.full(n, 0.5)
            given = (n_cycles > c) & (day < obs_end)
            if k == 1:
                given &= ~(reduced & single)
            elif k == 2:
                given &= ~reduced
            idx = np.nonzero(given)[0]
            dose_rows.append((idx, first[idx] + day[idx], np.full(len(idx), c + 1), val[idx]))
    d_idx = np.concatenate([r[0] for r in dose_rows])
    d_date = np.concatenate([r[1] for r in dose_rows])
    d_cyc = np.concatenate([r[2] for r in dose_rows])
    d_val = np.concatenate([r[3] for r in dose_rows])
    order = np.lexsort((d_date, d_idx))
    d_idx, d_date, d_cyc, d_val = d_idx[order], d_date[order], d_cyc[order], d_val[order]
    last_dose = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_dose, d_idx, d_date - first[d_idx])

    # -- marrow assessments ---------------------------------------------------------------------------
    has_a1 = evaluable & (a1 < obs_end)
    a2 = c2 + rng.integers(21, 29, n)
    has_a2 = has_a1 & (n_cycles >= 2) & (a2 < obs_end)

    def _assess(mask: np.ndarray, day: np.ndarray, second: bool) -> dict[str, np.ndarray]:
        idx = np.nonzero(mask)[0]
        m = len(idx)
        resp = responder[idx]
        # responders: blasts < 5 at the first assessment (and stay < 5); non-responders: >= 5
        blasts = np.where(resp, rng.uniform(0.0, 4.9, m), rng.uniform(5.0, 95.0, m))
        is_cr = cr[idx]
        anc = np.where(is_cr, rng.uniform(1.0, 4.0, m), rng.uniform(0.1, 0.99, m))
        plt = np.where(is_cr, rng.uniform(100, 300, m), rng.uniform(5, 99, m))
        anc = np.where(resp, anc, rng.uniform(0.1, 3.0, m))
        plt = np.where(resp, plt, rng.uniform(5, 200, m))
        neg = mrd_neg[idx] & (second | (rng.random(m) < 0.6) | (n_cycles[idx] == 1))
        u = rng.random(m)
        neg_val = _format_numbers(rng.uniform(0.001, 0.009, m), 3, rng)
        neg_txt = np.where(u < 0.2, "<0,01%", np.where(u < 0.3, "не выявлено", np.where(u < 0.35, "neg", neg_val + "%")))
        pos_val = np.where(resp, np.exp(rng.uniform(np.log(0.01), np.log(5.0), m)), rng.uniform(5, 90, m))
        pos_txt = _format_numbers(np.maximum(pos_val, 0.01), 2, rng) + "%"
        mrd = np.where(neg, neg_txt, pos_txt).astype(object)
        mrd[rng.random(m) < 0.03] = "н/д"
        return dict(i=idx, date=first[idx] + day[idx], blasts=blasts, mrd=mrd, anc=anc, plt=plt)

    A1, A2 = _assess(has_a1, a1, False), _assess(has_a2, a2, True)
    last_assess = np.where(has_a2, a2, np.where(has_a1, a1, -1))

    # -- HSCT and VOD/SOS -------------------------------------------------------------------------------
    hsct_day = np.maximum(last_dose + rng.integers(14, 61, n), last_assess + 3)
    hsct = responder & (rng.random(n) < 0.42) & (hsct_day < obs_end) & (first + hsct_day <= cut)
    vod_day = hsct_day + rng.integers(10, 26, n)
    vod = hsct & (rng.random(n) < np.where(reduced, 0.12, 0.25)) & (vod_day <= obs_end)

    # -- relapse among responders --------------------------------------------------------------------------
    rel_frac = rng.uniform(0.3, 0.85, n)
    relapse_day = (last_assess + 20 + (obs_end - last_assess - 20) * rel_frac).astype(np.int64)
    relapse = responder & (obs_end - last_assess > 60) & (rng.random(n) < np.where(dead, 0.7, 0.15))

    # -- adverse events --------------------------------------------------------------------------------
    k = rng.poisson(2.5, n)
    ae_i = np.repeat(np.arange(n), k)
    m = len(ae_i)
    ae_term = _pick(_AE_TERMS, _AE_PROBS, m, rng)
    ae_grade = rng.choice([1, 2, 3, 4], size=m, p=[0.3, 0.35, 0.25, 0.1])
    capped = np.isin(ae_term, list(_AE_MAX_GRADE))
    ae_grade = np.where(capped, np.minimum(ae_grade, 3), ae_grade)
    ae_day = np.floor(rng.random(m) * np.minimum(obs_end[ae_i], 120)).astype(np.int64)
    # grade 5 only for deaths: early deaths (sepsis) and ~25% of deaths after HSCT
    g5 = (early_death & dead) | (hsct & dead & (rng.random(n) < 0.25))
    g5_i = np.nonzero(g5)[0]
    vod_i = np.nonzero(vod)[0]
    ae_i = np.concatenate([ae_i, g5_i, vod_i])
    ae_term = np.concatenate([ae_term, np.full(len(g5_i), "Sepsis", dtype=object),
                              _pick(VOD_TERMS, (0.6, 0.25, 0.15), len(vod_i), rng)])
    ae_grade = np.concatenate([ae_grade, np.full(len(g5_i), 5), rng.choice([2, 3, 4], size=len(vod_i), p=[0.3, 0.45, 0.25])])
    ae_day = np.concatenate([ae_day, np.maximum(death_day[g5_i] - rng.integers(0, 3, len(g5_i)), 0), vod_day[vod_i]])
    order = np.lexsort((ae_day, ae_i))
    ae_i, ae_term, ae_grade, ae_day = ae_i[order], ae_term[order], ae_grade[order], ae_day[order]

    # -- render as raw strings ------------------------------------------------------------------------
    missing = np.int64(-10**9)
    sex = np.where(sex_m, _pick(("М", "M", "муж"), (0.8, 0.12, 0.08), n, rng), _pick(("Ж", "F", "жен"), (0.8, 0.12, 0.08), n, rng))
    surname = _pick(_SURNAMES_M, (1.0,) * len(_SURNAMES_M), n, rng)
    surname = np.where(sex_m, surname, pd.Series(surname).str.replace("ёв$|ов$|ев$|ин$", lambda mm: mm.group(0) + "а", regex=True).to_numpy(dtype=object))
    firstname = np.where(sex_m, _pick(_FIRST_M, (1.0,) * len(_FIRST_M), n, rng), _pick(_FIRST_F, (1.0,) * len(_FIRST_F), n, rng))
    patron = _pick(_PATRON, (1.0,) * len(_PATRON), n, rng) + np.where(sex_m, "ич", "на")
    patients = {
        "patient_id": pid,
        "full_name": surname + " " + firstname + " " + patron,
        "sex": sex,
        "birth_date": _format_dates(birth, rng),
        "diagnosis_date": _format_dates(diagnosis, rng),
        "relapse_number": relapse_n.astype(str).astype(object),
        "prior_hsct": _yes_no(prior_hsct, rng),
        "prior_blinatumomab": _yes_no(prior_blina, rng),
        "prior_car_t": _yes_no(prior_cart, rng),
        "cytogenetics": cyto,
        "cd22_pct": _format_numbers(cd22, 0, rng, p_pct=0.2),
        "marrow_blasts_pct": _format_numbers(blasts0, 1, rng, p_pct=0.2),
    }
    if centres > 1:
        patients["centre"] = pd.Series(centre).map("C{:02d}".format).to_numpy(dtype=object)

    ino_doses = {
        "patient_id": pid[d_idx],
        "date": _format_dates(d_date, rng),
        "cycle": d_cyc.astype(str).astype(object),
        "dose_mg_m2": _format_numbers(d_val, 1, rng),
    }
    a_i = np.concatenate([A1["i"], A2["i"]])
    a_order = np.lexsort((np.concatenate([A1["date"], A2["date"]]), a_i))

    def _cat(key: str) -> np.ndarray:
        return np.concatenate([A1[key], A2[key]])[a_order]

    assessments = {
        "patient_id": pid[a_i[a_order]],
        "date": _format_dates(_cat("date"), rng),
        "marrow_blasts_pct": _format_numbers(_cat("blasts"), 1, rng, p_pct=0.1),
        "mrd": _cat("mrd"),
        "anc_10e9_l": _format_numbers(_cat("anc"), 2, rng),
        "platelets_10e9_l": _format_numbers(_cat("plt"), 0, rng),
    }
    h_i = np.nonzero(hsct)[0]
    transplants = {
        "patient_id": pid[h_i],
        "date": _format_dates(first[h_i] + hsct_day[h_i], rng),
        "donor_type": _pick(("matched unrelated", "haploidentical", "matched related", "неродственный", "гаплоидентичный"),
                            (0.35, 0.3, 0.2, 0.1, 0.05), len(h_i), rng),
        "conditioning": _pick(("TBI 12 Gy + etoposide", "treosulfan + fludarabine + thiotepa",
                               "busulfan + fludarabine + thiotepa", "ТОТ 12 Гр + этопозид"), (0.4, 0.3, 0.2, 0.1), len(h_i), rng),
        **_simulated_gvhd(first[h_i] + hsct_day[h_i], first[h_i] + obs_end[h_i], seed),
    }
    adverse_events = {
        "patient_id": pid[ae_i],
        "term": ae_term,
        "grade": ae_grade.astype(str).astype(object),
        "onset_date": _format_dates(first[ae_i] + ae_day, rng),
    }
    cause = np.where(early_death, "сепсис",
                     np.where(g5, "инфекция (transplant-related)",
                              _pick(("прогрессия заболевания", "рецидив", "disease progression"), (0.6, 0.3, 0.1), n, rng)))
    vital = np.where(dead, _pick(("умер", "dead", "1"), (0.8, 0.15, 0.05), n, rng),
                     _pick(("жив", "alive", "0"), (0.8, 0.15, 0.05), n, rng))
    follow_up = {
        "patient_id": pid,
        "last_contact_date": _format_dates(first + obs_end, rng),
        "vital_status": vital,
        "death_date": _format_dates(np.where(dead, first + death_day, missing), rng),
        "death_cause": np.where(dead, cause, "").astype(object),
        "relapse_date": _format_dates(np.where(relapse, first + relapse_day, missing), rng),
    }
    # -- the optional columns of issue 21, from a stream of their own (the other cells stay as they were) ----
    extra = np.random.default_rng([seed, 21])
    cns = _pick(("CNS1", "CNS2", "CNS3", "ЦНС1", ""), (0.75, 0.1, 0.07, 0.03, 0.05), n, extra)
    relapsed = relapse_n > 0
    cr1 = diagnosis + extra.integers(25, 61, n)
    room = np.maximum(first - cr1 - 14, 2)
    first_relapse = cr1 + 1 + np.floor(extra.uniform(0.2, 0.95, n) * room).astype(np.int64)
    first_relapse = np.minimum(first_relapse, first - 1)
    dated = relapsed & (first_relapse > cr1) & (extra.random(n) < 0.9)  # ~10% not recorded
    patients["cns_status"] = cns
    patients["extramedullary_disease"] = _yes_no(extra.random(n) < 0.1, extra)
    patients["cr1_date"] = _format_dates(np.where(dated, cr1, missing), extra)
    patients["first_relapse_date"] = _format_dates(np.where(dated, first_relapse, missing), extra)
    patients["prior_lines"] = (1 + relapse_n + prior_cart).astype(str).astype(object)
    if centres > 1:  # the centre column stays last
        patients["centre"] = patients.pop("centre")
    n_a = len(assessments["patient_id"])
    method = _pick(("flow", "PCR", "NGS", "проточная цитометрия", "ПЦР"), (0.75, 0.08, 0.05, 0.07, 0.05), n_a, extra)
    limit = np.select([np.isin(method, ["PCR", "ПЦР"]), method == "NGS"], ["0,001", "0,0001"], "0,01").astype(object)
    not_done = assessments["mrd"] == "н/д"
    assessments["mrd_method"] = np.where(not_done, "", method).astype(object)
    assessments["mrd_detection_limit_pct"] = np.where(not_done, "", limit).astype(object)
    is_vod = np.isin(adverse_events["term"], VOD_TERMS)
    n_ae = len(is_vod)
    severity = _pick(("mild", "moderate", "severe", "very severe", "тяжёлая"), (0.2, 0.35, 0.25, 0.1, 0.1), n_ae, extra)
    treatment = _pick(("defibrotide", "дефибротид", "none"), (0.6, 0.25, 0.15), n_ae, extra)
    fatal = dead[ae_i] & (extra.random(n_ae) < 0.3)
    outcome = np.where(fatal, "fatal", _pick(("resolved", "ongoing", "разрешилась"), (0.7, 0.1, 0.2), n_ae, extra))
    adverse_events["sos_severity"] = np.where(is_vod, severity, "").astype(object)
    adverse_events["sos_treatment"] = np.where(is_vod, treatment, "").astype(object)
    adverse_events["sos_outcome"] = np.where(is_vod, outcome, "").astype(object)

    out = {
        "patients": pd.DataFrame(patients),
        "ino_doses": pd.DataFrame(ino_doses),
        "assessments": pd.DataFrame(assessments),
        "transplants": pd.DataFrame(transplants),
        "adverse_events": pd.DataFrame(adverse_events),
        "follow_up": pd.DataFrame(follow_up),
    }
    # a few patient ids with stray whitespace outside the patients table (as in real exports)
    for name, p in (("assessments", 0.002), ("adverse_events", 0.002)):
        ids = out[name]["patient_id"].to_numpy(dtype=object).copy()
        stray = rng.random(len(ids)) < p
        ids[stray] = ids[stray] + np.where(rng.random(int(stray.sum())) < 0.5, " ", "\u00a0")
        out[name]["patient_id"] = ids
    return out


def write_raw(tables: dict[str, pd.DataFrame], out_dir: str | Path, fmt: Literal["csv", "xlsx"] = "csv",
              encoding: str = "utf-8-sig") -> list[Path]:
    """Write string tables as a raw export: one ``<table>.csv`` per table or one ``registry_export.xlsx``.

    CSV follows Russian-locale Excel: ``;`` delimiter, values as already formatted (decimal comma), UTF-8
    with BOM by default (``encoding="cp1251"`` for the legacy code page). Xlsx uses openpyxl write-only mode
    and a fixed timestamp (deterministic). Returns the written paths.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if fmt == "csv":
        for name, df in tables.items():
            path = out / f"{name}.csv"
            df.to_csv(path, sep=";", index=False, encoding=encoding, lineterminator="\r\n")
            written.append(path)
        return written
    if fmt != "xlsx":
        raise ValueError(f"unknown format {fmt!r}")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    readme = wb.create_sheet("README")
    readme.append(["SYNTHETIC DATA - NOT REAL PATIENTS. Generated by workflow/scripts/simulate_cohort.py."])
    readme.append(["СИНТЕТИЧЕСКИЕ ДАННЫЕ - НЕ РЕАЛЬНЫЕ ПАЦИЕНТЫ."])
    for name, df in tables.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False, name=None):
            ws.append([v if v != "" else None for v in row])
    path = out / "registry_export_SYNTHETIC.xlsx"
    _save_deterministic(wb, path)
    written.append(path)
    return written


__all__ = [
    "REFERENCE_PATIENTS", "RefPatient", "Messiness", "build_reference_cohort", "reference_patient_summary",
    "write_registry_workbook", "messiness_markdown", "simulate_cohort", "write_raw",
]
