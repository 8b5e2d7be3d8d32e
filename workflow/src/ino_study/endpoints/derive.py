"""All analysis datasets from the clean tables, in dependency order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ino_study.endpoints.adae import derive_adae
from ino_study.endpoints.adrs import best_response, derive_adrs, mrd_methods
from ino_study.endpoints.adsl import ADSL_COLUMNS, add_outcome_flags, derive_adsl_base
from ino_study.endpoints.adtte import derive_adtte
from ino_study.endpoints.course1 import course1_responses
from ino_study.endpoints.definitions import EndpointRules
from ino_study.endpoints.sorting import left_join, sort_codes, taken_frame


def derive_analysis_datasets(tables: dict[str, pd.DataFrame], rules: EndpointRules) -> dict[str, pd.DataFrame]:
    """adsl, adrs, adtte and adae from the clean tables (records -> endpoints)."""
    base = derive_adsl_base(tables["patients"], tables["ino_doses"], tables["transplants"], rules)
    included = base[base["included"]]
    adrs = derive_adrs(tables["assessments"], included, rules)
    responses = left_join(best_response(adrs, included["patient_id"]), mrd_methods(adrs, included["patient_id"]))
    adae = derive_adae(tables["adverse_events"], included, rules.teae_window_days)
    adsl = add_outcome_flags(base, responses, adae)
    adsl = left_join(adsl, course1_responses(adrs, tables["ino_doses"], adsl["patient_id"],
                                             rules.response.course1_days))
    # `centre` (several centres pooled, ino_study.records.centres) follows patient_id; absent otherwise
    columns = ADSL_COLUMNS[:1] + (["centre"] if "centre" in base else []) + ADSL_COLUMNS[1:]
    # the recorded cause of death (blank for a patient alive at the cut-off), for the deaths table
    adsl = left_join(adsl, tables["follow_up"][["patient_id", "death_cause"]])
    adsl = taken_frame(adsl, {c: c for c in columns}, np.argsort(sort_codes(adsl["patient_id"]), kind="stable"))
    window = adrs[adrs["in_response_window"]]
    last_assessment = window.groupby("patient_id")["ADT"].max()
    adtte = derive_adtte(adsl, tables["follow_up"], last_assessment, rules.no_response_is_event_at_day0,
                         rules.dor_censor_at_hsct)
    return {"adsl": adsl, "adrs": adrs, "adtte": adtte, "adae": adae}
