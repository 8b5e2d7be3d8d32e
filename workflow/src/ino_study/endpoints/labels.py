"""Reader labels of the analysis-dataset variables and their levels: the one source of truth for
every variable and level shown in a figure, a Markdown/XLSX/DOCX table or the report (beside the
data dictionary in ino_study.endpoints.dictionary). Config `labels` overrides them
(`Labels.from_config`); machine-readable CSVs and summary.json keep column names and values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ino_study.statistics.survival_analysis import group_label

#: Reader labels of the variables shown in figures, tables and the report (the one source of truth;
#: config `labels: {variables: {...}}` overrides them). A variable not listed shows its column name.
VARIABLE_LABELS: dict[str, str] = {
    "all": "All patients",
    "sex": "Sex",
    "centre": "Centre",
    "age_at_first_dose_years": "Age at first InO dose, years",
    "age_group": "Age group",
    "refractory": "Disease status",
    "relapse_number": "Number of prior relapses",
    "prior_hsct": "Prior HSCT",
    "prior_blinatumomab": "Prior blinatumomab",
    "prior_car_t": "Prior CAR-T",
    "cytogenetics": "Cytogenetics",
    "cd22_pct": "CD22 expression, % of blasts",
    "baseline_blasts_pct": "Marrow blasts at start, %",
    "prior_lines": "Prior lines of therapy",
    "cr1_duration_months": "Duration of CR1, months",
    "cr1_duration_group": "Duration of CR1",
    "cns_status": "CNS status",
    "extramedullary_disease": "Extramedullary disease",
    "mrd_method": "MRD method",
    "mrd_detection_limit_pct": "MRD detection limit, %",
    "dose_group": "Dose group",
    "n_cycles": "InO cycles",
    "cumulative_dose_mg_m2": "Cumulative InO dose, mg/m2",
    "hsct_after_ino": "HSCT after InO",
    "hsct_donor_type": "Donor of the HSCT after InO",
    "vod": "VOD/SOS",
    "responder": "Responder (CR or CRi)",
    "mrd_negative": "MRD negative",
    "best_response": "Best response",
}
#: Reader labels of the levels, per variable ({variable: {machine value: label}}); booleans are the
#: machine values "yes"/"no" (as the statistics tables write them) and take GENERIC_LEVEL_LABELS
#: unless a variable lists its own. Config `labels: {levels: {...}}` overrides both.
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "sex": {"F": "Female", "M": "Male"},
    "refractory": {"primary refractory": "Primary refractory", "relapsed": "Relapsed"},
    "dose_group": {"standard": "Standard", "reduced": "Reduced"},
    "cr1_duration_group": {"primary refractory": "Primary refractory (no CR1)"},
    "mrd_method": {"no MRD result": "No MRD result"},
    "all": {"all": "All"},
}
GENERIC_LEVEL_LABELS: dict[str, str] = {"yes": "Yes", "no": "No", "missing": "Unknown", "Unknown": "Unknown"}


def level_key(value: object) -> str:
    """The machine value of a level as text: the statistics tables' group label (booleans yes/no,
    missing 'missing'), with a whole float such as 1.0 as '1'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return group_label(value)


@dataclass(frozen=True)
class Labels:
    """Variable and level labels: the dictionary's, overridden by config `labels`."""

    variables: Mapping[str, str] = field(default_factory=lambda: dict(VARIABLE_LABELS))
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {k: dict(v) for k, v in LEVEL_LABELS.items()})
    #: Labels of the levels any variable may take (yes/no/missing), unless the variable lists its own.
    generic: Mapping[str, str] = field(default_factory=lambda: dict(GENERIC_LEVEL_LABELS))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "Labels":
        """From the whole config (its `labels` key) or from the `labels` mapping itself."""
        overrides = dict((config or {}).get("labels", config or {}) or {})
        variables = {**VARIABLE_LABELS, **{str(k): str(v) for k, v in (overrides.get("variables") or {}).items()}}
        levels = {k: dict(v) for k, v in LEVEL_LABELS.items()}
        for variable, mapping in (overrides.get("levels") or {}).items():
            levels.setdefault(str(variable), {}).update({level_key(k): str(v) for k, v in (mapping or {}).items()})
        return cls(variables, levels)

    def variable(self, name: str) -> str:
        """'Prior HSCT' for prior_hsct; the column name if the dictionary has no label."""
        return self.variables.get(name, name)

    def variable_in_text(self, name: str) -> str:
        """The label inside a sentence ('Overall survival by prior HSCT'): a leading capital is lowered
        unless the first word is an acronym or mixed case (HSCT, InO, CD22)."""
        label = self.variable(name)
        first = (label.split(maxsplit=1) or [""])[0]  # any white space, a no-break space too; "" for a blank label
        return label[:1].lower() + label[1:] if first[1:] == first[1:].lower() and first[:1].isalpha() else label

    def level(self, variable: str, value: object) -> str:
        """'Yes' for prior_hsct True or 'yes'; the value itself if neither the variable nor the
        generic labels know it."""
        key = level_key(value)
        own = self.levels.get(variable, {})
        for candidate in (key, key.lower()):  # Table 1 prints booleans as Yes/No
            if candidate in own:
                return own[candidate]
        return self.generic.get(key, self.generic.get(key.lower(), key))
