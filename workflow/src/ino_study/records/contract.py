"""The raw-record contract: which tables a registry export must hold and what each column means.

This module is the single source of truth for table and column names. The data dictionary in
`docs/data_dictionary.md` is generated from it (`ino_study.records.dictionary`;
`tests/test_data_dictionary.py` fails when the committed file is stale).

Column kinds (how a raw cell is normalised, see `ino_study.records.parse`):

- ``id``: patient identifier, kept as text, stripped of whitespace.
- ``text``: free text, whitespace-normalised.
- ``date``: day-first dates (dd.mm.yyyy, dd/mm/yyyy, yyyy-mm-dd, Excel serial numbers).
- ``number``: decimal comma or point, spaces and ``%`` signs allowed.
- ``integer``: a number that must be whole.
- ``yes_no``: да/нет, yes/no, y/n, 1/0, true/false, +/-.
- ``sex``: М/Ж, муж/жен, male/female, m/f.
- ``vital_status``: жив/умер, alive/dead, 0/1.
- ``mrd``: flow-cytometry MRD as written ("0,005%", "<0.01%", "1e-4", "neg", "не выявлено", "not done").
- ``cns_status``: CNS1, CNS2 or CNS3 (also "1"-"3", "ЦНС1"-"ЦНС3").
- ``mrd_method``: flow, PCR or NGS (also "flow cytometry", "проточная цитометрия", "ПЦР").
- ``sos_severity``: EBMT paediatric SOS/VOD severity: mild, moderate, severe or very severe (Russian accepted).
- ``sos_outcome``: resolved, fatal or ongoing (Russian accepted).

Columns marked ``strict`` are optional (an absent column is "not recorded") but a value that cannot be
read stops the run: a category or count cannot be guessed, and setting it missing would change the counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal[
    "id", "text", "date", "number", "integer", "yes_no", "sex", "vital_status", "mrd", "cns_status", "mrd_method",
    "sos_severity", "sos_outcome",
]


@dataclass(frozen=True)
class Column:
    """One column of a raw table."""

    name: str
    kind: ColumnKind
    required: bool
    meaning: str
    identifier: bool = False  # a direct identifier: dropped at the first step, never written out
    strict: bool = False  # optional, but an unreadable value is an error (not a warning set to missing)


@dataclass(frozen=True)
class Table:
    """One raw table (an Excel sheet or a ``<name>.csv`` file)."""

    name: str
    meaning: str
    columns: tuple[Column, ...]
    one_row_per_patient: bool = False
    aliases: tuple[str, ...] = field(default=())  # other accepted sheet / file names

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


PATIENTS = Table(
    name="patients",
    meaning="One row per patient: demographics and disease status at the start of InO.",
    one_row_per_patient=True,
    aliases=("пациенты",),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("full_name", "text", False, "Patient's name. Direct identifier: dropped on reading.", identifier=True),
        Column("sex", "sex", True, "Sex: M or F."),
        Column("birth_date", "date", True, "Date of birth. Direct identifier: used only to compute age, then dropped.", identifier=True),
        Column("diagnosis_date", "date", False, "Date of the initial ALL diagnosis."),
        Column("relapse_number", "integer", True, "Number of relapses before InO; 0 = primary refractory disease."),
        Column("prior_hsct", "yes_no", True, "Haematopoietic stem-cell transplant before InO."),
        Column("prior_blinatumomab", "yes_no", False, "Blinatumomab before InO."),
        Column("prior_car_t", "yes_no", False, "CAR-T cell therapy before InO."),
        Column("cytogenetics", "text", False, "Cytogenetic / molecular group (e.g. KMT2A-r, BCR-ABL1, hypodiploid, other)."),
        Column("cd22_pct", "number", False, "CD22-positive blasts, % (flow cytometry) before InO."),
        Column("marrow_blasts_pct", "number", False, "Bone-marrow blasts, % at the start of InO."),
        Column("cns_status", "cns_status", False, "CNS status at the start of InO: CNS1, CNS2 or CNS3.", strict=True),
        Column("extramedullary_disease", "yes_no", False,
               "Extramedullary disease other than the CNS (e.g. testis, skin) at the start of InO.", strict=True),
        Column("cr1_date", "date", False, "Date of the first complete remission (CR1) after the initial diagnosis; "
               "with first_relapse_date it gives the duration of CR1.", strict=True),
        Column("first_relapse_date", "date", False, "Date of the first relapse (the end of CR1).", strict=True),
        Column("prior_lines", "integer", False, "Number of lines of therapy before InO (front-line therapy counts "
               "as one).", strict=True),
    ),
)

INO_DOSES = Table(
    name="ino_doses",
    meaning="One row per inotuzumab ozogamicin administration.",
    aliases=("ino", "doses", "введения"),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("date", "date", True, "Date of the administration."),
        Column("cycle", "integer", True, "Cycle (course) number, starting at 1."),
        Column("dose_mg_m2", "number", True, "Dose given, mg/m2."),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    meaning="One row per bone-marrow assessment after the start of InO.",
    aliases=("marrow", "костный мозг"),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("date", "date", True, "Date of the bone-marrow aspirate."),
        Column("marrow_blasts_pct", "number", True, "Bone-marrow blasts by morphology, %."),
        Column("mrd", "mrd", False, "MRD by flow cytometry, as written in the registry."),
        Column("anc_10e9_l", "number", False, "Absolute neutrophil count, x10^9/L, on the day of the assessment."),
        Column("platelets_10e9_l", "number", False, "Platelets, x10^9/L, on the day of the assessment."),
        Column("mrd_method", "mrd_method", False, "Method of the MRD measurement: flow, PCR or NGS.", strict=True),
        Column("mrd_detection_limit_pct", "number", False,
               "Detection limit (sensitivity) of the MRD measurement, % (e.g. 0.01 for 10^-4).", strict=True),
    ),
)

TRANSPLANTS = Table(
    name="transplants",
    meaning="Haematopoietic stem-cell transplants given after the start of InO.",
    aliases=("hsct", "тгск"),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("date", "date", True, "Date of the transplant (day 0)."),
        Column("donor_type", "text", False, "Donor: matched related, matched unrelated, haploidentical, ..."),
        Column("conditioning", "text", False, "Conditioning regimen (free text)."),
        Column("agvhd_grade", "text", False, "Maximum acute GVHD grade (MAGIC/Glucksberg): 0, I, II, III or IV "
               "(0-4 accepted); empty = not recorded."),
        Column("agvhd_date", "date", False, "Onset of acute GVHD at its maximum grade; required for grade I-IV."),
        Column("cgvhd", "text", False, "Chronic GVHD, NIH global severity: none, mild, moderate or severe; "
               "empty = not recorded."),
        Column("cgvhd_date", "date", False, "Onset of chronic GVHD; required unless cgvhd is none."),
    ),
)

ADVERSE_EVENTS = Table(
    name="adverse_events",
    meaning="Adverse events graded by CTCAE v5.0.",
    aliases=("ae", "toxicity", "нежелательные явления"),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("term", "text", True, "CTCAE v5.0 term (English or Russian spellings of common terms accepted)."),
        Column("grade", "integer", True, "CTCAE grade, 1-5."),
        Column("onset_date", "date", True, "Date of onset."),
        Column("sos_severity", "sos_severity", False, "SOS/VOD rows only: severity by the EBMT paediatric criteria "
               "(Corbacioglu 2018): mild, moderate, severe or very severe.", strict=True),
        Column("sos_treatment", "text", False, "SOS/VOD rows only: treatment (e.g. defibrotide; none).", strict=True),
        Column("sos_outcome", "sos_outcome", False, "SOS/VOD rows only: outcome: resolved, fatal or ongoing.",
               strict=True),
    ),
)

FOLLOW_UP = Table(
    name="follow_up",
    meaning="One row per patient: vital status and disease status at last contact.",
    one_row_per_patient=True,
    aliases=("followup", "наблюдение"),
    columns=(
        Column("patient_id", "id", True, "Registry identifier of the patient."),
        Column("last_contact_date", "date", True, "Date the patient was last known alive (or date of death)."),
        Column("vital_status", "vital_status", True, "alive or dead at last contact."),
        Column("death_date", "date", False, "Date of death; empty for a patient alive."),
        Column("death_cause", "text", False, "Cause of death (free text)."),
        Column("relapse_date", "date", False, "Date of relapse (or progression) after a response to InO; empty if none."),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, INO_DOSES, ASSESSMENTS, TRANSPLANTS, ADVERSE_EVENTS, FOLLOW_UP)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: Columns that identify a patient directly; never written under results/ or to a log.
IDENTIFIER_COLUMNS: tuple[str, ...] = tuple(
    c.name for t in TABLES for c in t.columns if c.identifier
)


def normalise_name(name: object) -> str:
    """Canonical form of a sheet, file or column name: case-folded, whitespace runs as '_'."""
    text = "" if name is None else str(name)
    text = text.replace("\xa0", " ").replace("\u202f", " ").strip().casefold()
    return re.sub(r"[\s_]+", "_", text)
