"""summary.json: the study's headline numbers, each with its numerator, denominator and interval."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ino_study.outputs.formats import format_ci, format_count, format_level, format_percent
from ino_study.statistics.kaplan_meier import km_at, km_fit
from ino_study.statistics.proportions import clopper_pearson


#: What `build_summary` reads of the analysis datasets: adsl's columns, adtte's columns and endpoints.
ADSL_COLUMNS = ("included", "evaluable", "responder", "mrd_negative", "dose_group", "hsct_after_ino", "vod_after_hsct",
                "vod_during_ino")
ADTTE_COLUMNS = ("PARAMCD", "AVAL", "CNSR")
ADTTE_ENDPOINTS = ("OS", "EFS")


def proportion(count: int, denominator: int, conf_level: float) -> dict[str, Any]:
    """A rate with its exact (Clopper-Pearson) interval; rate is a fraction, None when n = 0."""
    rate, lower, upper = clopper_pearson(count, denominator, conf_level)
    return {"count": int(count), "denominator": int(denominator), "rate": rate,
            "ci_lower": lower, "ci_upper": upper, "ci_method": "Clopper-Pearson exact"}


def headline_rates(adsl: pd.DataFrame, conf_level: float) -> dict[str, dict[str, Any]]:
    """Response among evaluable patients (and among all treated), MRD negativity among all analysed, VOD/SOS
    after the HSCT that followed standard-dose InO; VOD/SOS during InO (treatment-emergent, over all
    analysed) and after HSCT (over the patients transplanted after InO)."""
    analysed = adsl[adsl["included"]]
    evaluable = analysed[analysed["evaluable"]]
    responders = int(evaluable["responder"].sum())
    response = proportion(responders, len(evaluable), conf_level)
    response = {"responders": response.pop("count"), "evaluable": response.pop("denominator"), **response}
    all_treated = proportion(responders, len(analysed), conf_level)
    all_treated = {"responders": all_treated.pop("count"), "denominator": all_treated.pop("denominator"),
                   **all_treated}
    group = analysed[(analysed["dose_group"] == "standard") & analysed["hsct_after_ino"]]
    return {
        "response": response,
        "response_all_treated": all_treated,
        "mrd_negative": proportion(int(analysed["mrd_negative"].sum()), len(analysed), conf_level),
        # VOD/SOS after the HSCT that followed standard-dose InO (adae after_hsct), the abstract's 33%
        "vod_standard_dose_hsct": proportion(int(group["vod_after_hsct"].sum()), len(group), conf_level),
        "vod_during_ino": proportion(int(analysed["vod_during_ino"].sum()), len(analysed), conf_level),
        "vod_after_hsct": proportion(int(analysed.loc[analysed["hsct_after_ino"], "vod_after_hsct"].sum()),
                                     int(analysed["hsct_after_ino"].sum()), conf_level),
    }


def survival_at(adtte: pd.DataFrame, endpoint: str, months: float, conf_level: float, conf_type: str) -> dict:
    """Kaplan-Meier estimate of an endpoint at a time, with its interval and number at risk."""
    rows = adtte[adtte["PARAMCD"] == endpoint]
    if rows.empty:
        return {"estimate": None, "ci_lower": None, "ci_upper": None, "n_risk": 0, "conf_type": conf_type}
    at = km_at(km_fit(rows["AVAL"], 1 - rows["CNSR"], conf_level, conf_type), [months]).iloc[0]
    return {"estimate": at["survival"], "ci_lower": at["ci_lower"], "ci_upper": at["ci_upper"],
            "std_err": at["std_err"], "n_risk": int(at["n_risk"]), "conf_type": conf_type,
            "conf_level": conf_level}


def build_summary(adsl: pd.DataFrame, adtte: pd.DataFrame, medians: pd.DataFrame, follow_up: pd.DataFrame,
                  config: dict[str, Any]) -> dict[str, Any]:
    """Everything other tools and CI read from results/summary.json."""
    conf_level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    analysed = adsl[adsl["included"]]
    os_median = medians[(medians["endpoint"] == "OS") & (medians["group_by"] == "all")]
    median_row = os_median.iloc[0] if len(os_median) else None
    return {
        "n_patients": len(analysed),
        "n_patients_raw": len(adsl),
        "n_excluded": int((~adsl["included"]).sum()),
        **headline_rates(adsl, conf_level),
        "os_at_12_months": survival_at(adtte, "OS", 12.0, conf_level, conf_type),
        "efs_at_12_months": survival_at(adtte, "EFS", 12.0, conf_level, conf_type),
        "median_os_months": None if median_row is None else {
            "estimate": median_row["median_months"], "ci_lower": median_row["ci_lower"],
            "ci_upper": median_row["ci_upper"]},
        "median_follow_up_months": follow_up.iloc[0]["estimate"] if len(follow_up) else None,
        "deaths": int((1 - adtte.loc[adtte["PARAMCD"] == "OS", "CNSR"]).sum()),
        "hsct_after_ino": int(analysed["hsct_after_ino"].sum()),
        "settings": {
            "cutoff_date": str(config["cutoff_date"]),
            "mrd_threshold_percent": config["mrd_threshold_percent"],
            "km_ci": conf_type,
            "confidence_level": conf_level,
        },
    }


def _pct(value: float | None, digits: int = 1) -> str:
    return format_percent(value, digits, missing="not estimable")


def _interval(lower: float | None, upper: float | None, level: float) -> str:
    if lower is None or upper is None:
        return ""
    return f"{format_level(level)} CI {format_ci(lower, upper)}"


def _all_treated(rate: dict[str, Any] | None, level: float) -> str:
    """The response over all treated patients, as a clause of the response sentence ('' when absent)."""
    if not rate or not rate.get("denominator"):
        return ""
    return (f"; {_pct(rate['rate'])} of all treated patients, {format_count(rate['responders'])} of "
            f"{format_count(rate['denominator'])}, "
            f"{_interval(rate['ci_lower'], rate['ci_upper'], level)}")


def results_paragraph(summary: dict[str, Any], language: str = "en") -> str:
    """The Results paragraph of the abstract, rewritten from summary.json (so a config change rewrites it).
    English is written here; other languages from the templates in outputs/translations/summary.<language>.yaml."""
    if language != "en":
        return translated_results_paragraph(summary, language)
    level = summary["settings"]["confidence_level"]
    response, mrd, vod = summary["response"], summary["mrd_negative"], summary["vod_standard_dose_hsct"]
    os12 = summary["os_at_12_months"]
    median = summary.get("median_os_months") or {}
    median_text = (
        f"median overall survival was {median['estimate']:.1f} months"
        if median.get("estimate") is not None else "median overall survival was not reached"
    )
    follow = summary.get("median_follow_up_months")
    follow_text = f" at a median follow-up of {follow:.1f} months" if follow is not None else ""
    sentences = [
        f"We included {format_count(summary['n_patients'])} patients "
        f"({format_count(summary['n_excluded'])} further patients in the registry export did not meet the eligibility criteria).",
        f"{_pct(response['rate'], 0)} of evaluable patients responded to the therapy (CR or CRi: "
        f"{format_count(response['responders'])} of {format_count(response['evaluable'])}; "
        f"{_interval(response['ci_lower'], response['ci_upper'], level)}"
        f"{_all_treated(summary.get('response_all_treated'), level)}).",
        f"MRD negativity (< {summary['settings']['mrd_threshold_percent']:g}% by flow cytometry) was achieved in "
        f"{_pct(mrd['rate'])} of the study patients ({format_count(mrd['count'])} of {format_count(mrd['denominator'])}; "
        f"{_interval(mrd['ci_lower'], mrd['ci_upper'], level)}).",
        f"The one-year overall survival rate was {_pct(os12['estimate'])} "
        f"({_interval(os12['ci_lower'], os12['ci_upper'], level)}, {os12['conf_type']} Greenwood interval; "
        f"{format_count(os12['n_risk'])} patients at risk at 12 months); {median_text}{follow_text}.",
        f"{_pct(vod['rate'], 0)} of the patients treated with standard-dose InO and subsequent HSCT developed "
        f"veno-occlusive disease/sinusoidal obstruction syndrome ({format_count(vod['count'])} of {format_count(vod['denominator'])}; "
        f"{_interval(vod['ci_lower'], vod['ci_upper'], level)}).",
    ]
    notes = (
        f"Data cut-off {summary['settings']['cutoff_date']}. Proportions are given with exact "
        "(Clopper-Pearson) intervals. Generated from results/summary.json by the pipeline; do not edit by hand."
    )
    return "# Results\n\n" + " ".join(sentences) + "\n\n" + notes + "\n"


def translated_results_paragraph(summary: dict[str, Any], language: str) -> str:
    """The Results paragraph in `language`: the sentence templates of translations/summary.<language>.yaml
    filled in with the numbers of summary.json, written as the language writes them."""
    from ino_study.outputs.formats import format_date, localise_number
    from ino_study.outputs.language import fill, templates

    def text(key: str, **values: Any) -> str:
        return fill("summary", key, language, **values)

    level = summary["settings"]["confidence_level"]
    not_estimable = text("not_estimable")

    def pct(value: float | None, digits: int = 1) -> str:
        return format_percent(value, digits, missing=not_estimable, language=language)

    def interval(rate: dict[str, Any]) -> str:
        if rate.get("ci_lower") is None or rate.get("ci_upper") is None:
            return ""
        return text("interval", level=format_level(level, language),
                    limits=format_ci(rate["ci_lower"], rate["ci_upper"], language=language))

    def months(value: float) -> str:
        return localise_number(f"{value:.1f}", language)

    response, mrd, vod = summary["response"], summary["mrd_negative"], summary["vod_standard_dose_hsct"]
    os12 = summary["os_at_12_months"]
    treated = summary.get("response_all_treated")
    all_treated = "" if not treated or not treated.get("denominator") else text(
        "all_treated", rate=pct(treated["rate"]), responders=int(treated["responders"]),
        denominator=int(treated["denominator"]), interval=interval(treated))
    median = summary.get("median_os_months") or {}
    median_text = (text("median", months=months(median["estimate"])) if median.get("estimate") is not None
                   else text("median_not_reached"))
    follow = summary.get("median_follow_up_months")
    interval_types = templates("summary", language)["interval_types"]
    sentences = [
        text("included", n_patients=int(summary["n_patients"]), n_excluded=int(summary["n_excluded"])),
        text("response", rate=pct(response["rate"], 0), responders=int(response["responders"]),
             evaluable=int(response["evaluable"]), interval=interval(response), all_treated=all_treated),
        text("mrd", threshold=localise_number(f"{summary['settings']['mrd_threshold_percent']:g}", language),
             rate=pct(mrd["rate"]), count=int(mrd["count"]), denominator=int(mrd["denominator"]),
             interval=interval(mrd)),
        text("os", rate=pct(os12["estimate"]), interval=interval(os12),
             interval_type=interval_types[os12["conf_type"]], n_risk=int(os12["n_risk"]), median=median_text,
             follow_up="" if follow is None else text("follow_up", months=months(follow))),
        text("vod", rate=pct(vod["rate"], 0), count=int(vod["count"]), denominator=int(vod["denominator"]),
             interval=interval(vod)),
    ]
    notes = text("notes", cutoff=format_date(summary["settings"]["cutoff_date"], language))
    return f"# {text('title')}\n\n" + " ".join(sentences) + "\n\n" + notes + "\n"
