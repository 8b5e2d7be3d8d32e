"""Analysis times in months derived from raw dates, checked against hand arithmetic.

Every expected value below is written out by hand: the days between two calendar dates (counted
month by month in the comments) and the months as days / 30.4375 (= 365.25 / 12), as literal
numbers. The times go through the package's own derivation: clean tables -> the records stage's
cut-off (``apply_cutoff``) -> ``derive_analysis_datasets(tables, EndpointRules.from_config(config))``,
and for the swimmer plot through ``swimmer_data``.

Why literal numbers: a divisor of 365 / 12 = 30.41667 instead of 30.4375 moves every AVAL by
0.07 % (366 days: 12.0329 instead of 12.0246 months), which nothing else in the fast tests
noticed (issue 25). The tolerance here (1e-12 relative) is far below that.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from conftest import load_config
from ino_study.endpoints.definitions import EndpointRules
from ino_study.endpoints.derive import derive_analysis_datasets
from ino_study.records.clean import apply_cutoff

CUTOFF = "2021-12-31"
CR = (1.0, 2.0, 150.0)  # marrow blasts 1 %, ANC 2.0, platelets 150: complete remission
#: A responder transplanted after InO, with VOD/SOS and a relapse, alive at the last contact.
RESP = {"id": "RESP", "first_dose": "2021-01-15", "cr": "2021-02-12", "hsct": "2021-03-01",
        "vod": "2021-03-20", "relapse": "2021-09-01", "last": "2021-10-15"}


def ts(iso: str | None) -> pd.Timestamp:
    return pd.Timestamp(iso) if iso else pd.NaT


def clean_tables(patients: list[dict]) -> dict[str, pd.DataFrame]:
    """The clean tables (as the records stage leaves them) from per-patient dates.

    Each spec: id, first_dose (ISO date; doses on days 0, 7 and 14 of cycle 1, 1.8 mg/m2 in all),
    cr (date of an assessment in complete remission) or None, hsct, vod (onset of a grade 3
    VOD/SOS), relapse, death, last (last contact; the death date when omitted).
    """
    rows = {name: [] for name in ("patients", "ino_doses", "assessments", "transplants", "adverse_events",
                                  "follow_up")}
    for row_number, p in enumerate(patients, start=2):
        pid, first = p["id"], ts(p["first_dose"])
        rows["patients"].append({
            "patient_id": pid, "sex": "F", "diagnosis_date": first - pd.Timedelta(days=400),
            "relapse_number": 1, "prior_hsct": False, "prior_blinatumomab": False, "prior_car_t": False,
            "cytogenetics": "other", "cd22_pct": 90.0, "marrow_blasts_pct": 60.0, "source_row": row_number,
            "first_dose_date": first, "age_at_first_dose_years": 10.0, "exclusion_reason": None, "included": True,
        })
        rows["ino_doses"] += [{"patient_id": pid, "date": first + pd.Timedelta(days=day), "cycle": 1,
                               "dose_mg_m2": mg, "source_row": row_number}
                              for day, mg in ((0, 0.8), (7, 0.5), (14, 0.5))]
        if p.get("cr"):
            rows["assessments"].append({
                "patient_id": pid, "date": ts(p["cr"]), "marrow_blasts_pct": CR[0], "anc_10e9_l": CR[1],
                "platelets_10e9_l": CR[2], "mrd_percent": 0.5, "mrd_qualifier": "=", "mrd_status": "measured",
                "source_row": row_number})
        if p.get("hsct"):
            rows["transplants"].append({"patient_id": pid, "date": ts(p["hsct"]), "donor_type": "MUD",
                                        "conditioning": "TBI", "source_row": row_number})
        if p.get("vod"):
            rows["adverse_events"].append({"patient_id": pid, "term": "VOD", "grade": 3,
                                           "onset_date": ts(p["vod"]), "source_row": row_number})
        death = p.get("death")
        rows["follow_up"].append({
            "patient_id": pid, "last_contact_date": ts(p.get("last", death)),
            "vital_status": "dead" if death else "alive", "death_date": ts(death), "death_cause": None,
            "relapse_date": ts(p.get("relapse")), "source_row": row_number,
        })
    frames = {name: pd.DataFrame(r) for name, r in rows.items()}
    columns = {
        "transplants": ["patient_id", "date", "donor_type", "conditioning", "source_row"],
        "adverse_events": ["patient_id", "term", "grade", "onset_date", "source_row"],
        "assessments": ["patient_id", "date", "marrow_blasts_pct", "anc_10e9_l", "platelets_10e9_l",
                        "mrd_percent", "mrd_qualifier", "mrd_status", "source_row"],
    }
    for name, names in columns.items():
        frames[name] = frames[name].reindex(columns=names)
    for name, column in (("transplants", "date"), ("adverse_events", "onset_date"), ("assessments", "date")):
        frames[name][column] = pd.to_datetime(frames[name][column])
    return frames


Tables = dict[str, pd.DataFrame]


def derive(patients: list[dict], cutoff: str = CUTOFF) -> tuple[Tables, Tables]:
    """(clean tables after the cut-off step, analysis datasets) with the validated config's rules."""
    tables = clean_tables(patients)
    renamed = {name: frame.rename(columns={"source_row": "_row"}) for name, frame in tables.items()}
    kept, _ = apply_cutoff(renamed, {name: name for name in tables}, dt.date.fromisoformat(cutoff))
    tables = {name: frame.rename(columns={"_row": "source_row"}) for name, frame in kept.items()}
    rules = EndpointRules.from_config(load_config(cutoff_date=cutoff))
    return tables, derive_analysis_datasets(tables, rules)


def tte(datasets: dict[str, pd.DataFrame], pid: str, param: str) -> pd.Series:
    rows = datasets["adtte"]
    found = rows[(rows["patient_id"] == pid) & (rows["PARAMCD"] == param)]
    assert len(found) == 1, f"{pid} {param}: {len(found)} rows"
    return found.iloc[0]


def check(row: pd.Series, days: int, months: float, cnsr: int, evntcd: int) -> None:
    assert row["AVAL_DAYS"] == days
    assert row["AVAL"] == pytest.approx(months, rel=1e-12, abs=0)
    assert (row["CNSR"], row["EVNTCD"]) == (cnsr, evntcd)


def test_death_a_leap_year_later_and_on_the_day_of_the_first_dose():
    """LEAP: first dose 2020-02-01, death 2021-02-01. The year includes 29 February 2020:
    2020-02-01 -> 2021-02-01 is 366 days, 366 / 30.4375 = 12.02464065708419 months (not 12).
    SAME: first dose and death on 2020-03-10: 0 days, AVAL 0, an event (CNSR 0).
    Neither has a response assessment (not evaluable), so EFS is the death too."""
    _, data = derive([
        {"id": "LEAP", "first_dose": "2020-02-01", "death": "2021-02-01"},
        {"id": "SAME", "first_dose": "2020-03-10", "death": "2020-03-10"},
    ])
    for param in ("OS", "EFS"):
        check(tte(data, "LEAP", param), 366, 12.02464065708419, 0, 1)
        check(tte(data, "SAME", param), 0, 0.0, 0, 1)
    assert tte(data, "LEAP", "OS")["STARTDT"] == pd.Timestamp("2020-02-01")
    assert tte(data, "LEAP", "OS")["ADT"] == pd.Timestamp("2021-02-01")


def test_responder_with_transplant_vod_and_relapse_and_a_death_in_remission():
    """RESP: first dose 2021-01-15, complete remission 2021-02-12, HSCT 2021-03-01, VOD/SOS
    2021-03-20, relapse 2021-09-01, alive at the last contact 2021-10-15 (2021 is not a leap year).
    - relapse: 2021-01-15 -> 2021-09-01 = 31 (Jan 15 -> Feb 15) + 28 (-> Mar 15) + 31 + 30 + 31 + 30
      + 31 (-> Aug 15) + 17 (-> Sep 1) = 229 days = 229 / 30.4375 = 7.523613963039014 months
      (EFS and REL: event, EVNTCD 1);
    - OS: censored at the last contact, 2021-01-15 -> 2021-10-15 = 31 + 28 + 31 + 30 + 31 + 30 + 31
      + 31 + 30 = 273 days = 8.969199178644764 months;
    - VOD (time zero: the HSCT): 2021-03-01 -> 2021-03-20 = 19 days = 0.6242299794661191 months.
    NRM: first dose 2020-02-28, remission 2020-03-27, death without relapse 2020-03-31:
    2020-02-28 -> 2020-03-31 = 1 (-> Feb 29, a leap day) + 1 (-> Mar 1) + 30 = 32 days
    = 1.051334702258727 months; OS and EFS events, REL the competing event (EVNTCD 2, CNSR 1)."""
    _, data = derive([
        RESP,
        {"id": "NRM", "first_dose": "2020-02-28", "cr": "2020-03-27", "death": "2020-03-31"},
    ])
    assert data["adsl"].set_index("patient_id")["responder"].to_dict() == {"NRM": True, "RESP": True}
    check(tte(data, "RESP", "EFS"), 229, 7.523613963039014, 0, 1)
    check(tte(data, "RESP", "REL"), 229, 7.523613963039014, 0, 1)
    check(tte(data, "RESP", "OS"), 273, 8.969199178644764, 1, 0)
    vod = tte(data, "RESP", "VOD")
    check(vod, 19, 0.6242299794661191, 0, 1)
    assert vod["STARTDT"] == pd.Timestamp("2021-03-01")
    check(tte(data, "NRM", "OS"), 32, 1.051334702258727, 0, 1)
    check(tte(data, "NRM", "EFS"), 32, 1.051334702258727, 0, 1)
    check(tte(data, "NRM", "REL"), 32, 1.051334702258727, 1, 2)


def test_censoring_at_the_cutoff_and_at_a_last_contact_before_it():
    """Cut-off 2021-12-31.
    CUT: first dose 2021-06-01, last contact 2022-05-01 (after the cut-off: the records stage
    censors it at 2021-12-31): 2021-06-01 -> 2021-12-31 = 29 (-> Jun 30) + 31 + 31 + 30 + 31 + 30
    + 31 = 213 days = 213 / 30.4375 = 6.997946611909651 months, CNSR 1.
    LAST: first dose 2020-12-20, alive at the last contact 2021-08-15, before the cut-off:
    11 (-> Dec 31) + 31 + 28 + 31 + 30 + 31 + 30 + 31 (-> Jul 31) + 15 = 238 days
    = 7.819301848049282 months, CNSR 1."""
    tables, data = derive([
        {"id": "CUT", "first_dose": "2021-06-01", "last": "2022-05-01"},
        {"id": "LAST", "first_dose": "2020-12-20", "last": "2021-08-15"},
    ])
    assert tables["follow_up"].set_index("patient_id").loc["CUT", "last_contact_date"] == pd.Timestamp(CUTOFF)
    for param in ("OS", "EFS"):
        check(tte(data, "CUT", param), 213, 6.997946611909651, 1, 0)
        check(tte(data, "LAST", param), 238, 7.819301848049282, 1, 0)
    assert tte(data, "CUT", "OS")["ADT"] == pd.Timestamp(CUTOFF)


def test_death_after_the_cutoff_is_censored_at_the_cutoff():
    """LATE: first dose 2021-10-01, death 2022-01-10 (after the cut-off 2021-12-31): alive at the
    cut-off, censored there: 30 (-> Oct 31) + 30 + 31 = 91 days = 91 / 30.4375 = 2.9897330595482545
    months, CNSR 1."""
    _, data = derive([{"id": "LATE", "first_dose": "2021-10-01", "death": "2022-01-10"}])
    check(tte(data, "LATE", "OS"), 91, 2.9897330595482545, 1, 0)


def test_swimmer_plot_months_from_the_dates():
    """The swimmer plot's own months (figures/swimmer.py) for RESP of the test above: doses on days
    0, 7, 14 (0, 0.2299794661190965, 0.459958932238193 months), remission on day 28 (2021-02-12:
    0.919917864476386), HSCT on day 45 (31 + 14: 1.4784394250513346), VOD/SOS on day 64
    (31 + 28 + 5: 2.102669404517454), relapse (REL AVAL, day 229: 7.523613963039014) and the
    censored OS end (day 273: 8.969199178644764)."""
    from ino_study.figures.swimmer import swimmer_data

    tables, data = derive([
        RESP,
    ])
    lanes, _ = swimmer_data(data["adsl"], data["adtte"], tables["ino_doses"])
    months = lanes.groupby("event")["time_months"].apply(list).to_dict()
    expected = {"ino_dose": [0.0, 0.2299794661190965, 0.459958932238193], "response": [0.919917864476386],
                "hsct": [1.4784394250513346], "vod": [2.102669404517454], "relapse": [7.523613963039014],
                "censored": [8.969199178644764]}
    assert set(months) >= set(expected)
    for event, values in expected.items():
        assert months[event] == pytest.approx(values, rel=1e-12, abs=0), event


def test_reference_cohort_diagnosis_date_is_months_times_30_4375_days_before():
    """The synthetic reference cohort dates the diagnosis `diagnosis_months_before` months before
    the first dose, months of 30.4375 days: INO-003, first dose 2017-06-20, 6 months before:
    6 x 30.4375 = 182.625 -> 183 days -> 2016-12-19 (2016-12-19 -> 2017-06-20 = 12 + 31 + 28 + 31
    + 30 + 31 + 20 = 183 days). With 365 / 12 it would be 182.5 -> 182 days (2016-12-20)."""
    from ino_study.synthetic import build_reference_cohort

    patients = build_reference_cohort()["patients"].set_index("patient_id")
    assert pd.Timestamp(patients.loc["INO-003", "diagnosis_date"]) == pd.Timestamp("2016-12-19")


def test_the_documented_divisor_is_the_one_used():
    """30.4375 = 365.25 / 12 wherever the package states or uses the months divisor."""
    from ino_study.endpoints import adtte, definitions
    from ino_study.endpoints.dictionary import DATASETS
    from ino_study.figures import swimmer
    from ino_study.statistics import transplant_analyses

    assert definitions.DAYS_PER_MONTH == 30.4375 == 365.25 / 12
    assert swimmer.DAYS_PER_MONTH == 30.4375
    assert definitions.months(366) == 12.02464065708419
    assert "days / 30.4375" in adtte.__doc__
    assert "AVAL * 30.4375" in transplant_analyses.__doc__
    assert "days / 30.4375" in definitions.months.__doc__
    assert DATASETS["adtte"][1]["AVAL"] == "Months from STARTDT to ADT (days / 30.4375)."
