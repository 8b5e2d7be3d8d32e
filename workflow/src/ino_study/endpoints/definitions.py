"""Endpoint definitions: every analysis decision as a named, typed value taken from the config."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

DAYS_PER_MONTH = 30.4375  # 365.25 / 12: months = days / 30.4375


@dataclass(frozen=True)
class ResponseCriteria:
    """Marrow response of one assessment (defaults: the usual paediatric ALL criteria)."""

    max_blasts_pct: float = 5.0  # M1 marrow: blasts strictly below
    cr_min_anc_10e9_l: float = 1.0
    cr_min_platelets_10e9_l: float = 100.0
    window_ends_at_hsct: bool = True
    window_days: int = 180
    course1_days: int = 42  # response after course 1: for a patient given no cycle 2, an assessment by this day


@dataclass(frozen=True)
class EndpointRules:
    """All definitions the endpoint derivations need."""

    cutoff_date: dt.date
    mrd_threshold_percent: float = 0.01
    response: ResponseCriteria = ResponseCriteria()
    standard_min_cycle1_mg_m2: float = 1.8
    no_response_is_event_at_day0: bool = True
    teae_window_days: int = 30  # treatment-emergent AEs: up to the last dose + this (and before HSCT)
    dor_censor_at_hsct: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "EndpointRules":
        response = config.get("response", {})
        return cls(
            cutoff_date=dt.date.fromisoformat(str(config["cutoff_date"])),
            mrd_threshold_percent=float(config.get("mrd_threshold_percent", 0.01)),
            response=ResponseCriteria(
                **{k: response[k] for k in ResponseCriteria.__dataclass_fields__ if k in response}
            ),
            standard_min_cycle1_mg_m2=float(config.get("dose_groups", {}).get("standard_min_cycle1_mg_m2", 1.8)),
            no_response_is_event_at_day0=bool(config.get("efs", {}).get("no_response_is_event_at_day0", True)),
            teae_window_days=int(config.get("teae_window_days", 30)),
            dor_censor_at_hsct=bool(config.get("dor_censor_at_hsct", False)),
        )


def months(days: float) -> float:
    """Months as the study counts them: days / 30.4375."""
    return days / DAYS_PER_MONTH
