"""Tests of the SYNTHETIC data generators (ino_study.synthetic).

The reference cohort's truth is checked here with plain arithmetic on the clean truth tables, independently
of the pipeline's own code: 17 eligible of 20, 12/16 responders, 7/17 MRD-negative, KM 12-month OS 0.4026
(plain Greenwood CI 0.148-0.657), VOD/SOS in 2/6 standard-dose HSCT patients.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from conftest import days_after
from ino_study.records.contract import TABLES, TABLES_BY_NAME
from ino_study.synthetic import (
    REFERENCE_PATIENTS,
    SYNTHETIC_NOTE,
    VOD_TERMS,
    build_reference_cohort,
    reference_patient_summary,
    simulate_cohort,
    write_raw,
    write_registry_workbook,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_XLSX = ROOT / "data" / "synthetic" / "ino_registry_export_SYNTHETIC.xlsx"
CUTOFF = dt.date(2023, 1, 31)
WINDOW = (dt.date(2016, 10, 1), dt.date(2022, 9, 1))


# ------------------------------------------------------------------------------------------------
# helpers: the smallest possible independent derivations
# ------------------------------------------------------------------------------------------------


def mrd_negative(text: str | None) -> bool:
    """MRD text -> strictly below 0.01%?"""
    if text is None:
        return False
    t = text.strip().lower()
    if t in {"neg", "не выявлено"} or t.startswith("<"):
        return True
    if t in {"н/д", ""}:
        return False
    return float(t.rstrip("%").replace(",", ".")) < 0.01


@pytest.fixture(scope="module")
def truth() -> dict[str, pd.DataFrame]:
    return build_reference_cohort()


@pytest.fixture(scope="module")
def derived(truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per patient: eligibility, first dose, OS time/event, response, MRD, dose group, HSCT, VOD."""
    pts = truth["patients"].set_index("patient_id")
    doses = truth["ino_doses"]
    first = doses.groupby("patient_id")["date"].min()
    c1 = doses[doses["cycle"] == 1].groupby("patient_id")["dose_mg_m2"].sum()
    fu = truth["follow_up"].set_index("patient_id")
    ass = truth["assessments"]
    hsct = truth["transplants"].groupby("patient_id")["date"].min()
    ae = truth["adverse_events"]
    vod_ids = set(ae.loc[ae["term"].isin(VOD_TERMS), "patient_id"])
    rows = []
    for pid in pts.index:
        fd = first.get(pid)
        age = (fd - pts.at[pid, "birth_date"]).days / 365.25 if fd is not None else None
        eligible = fd is not None and age < 18 and WINDOW[0] <= fd <= WINDOW[1]
        a = ass[ass["patient_id"] == pid]
        dead = fu.at[pid, "vital_status"] == "dead" and fu.at[pid, "death_date"] <= CUTOFF
        end = fu.at[pid, "death_date"] if dead else min(fu.at[pid, "last_contact_date"], CUTOFF)
        rows.append(
            dict(
                patient_id=pid, eligible=eligible, first_dose=fd, age=age,
                os_days=(end - fd).days if fd is not None else None, event=int(dead),
                evaluable=len(a) > 0, responder=bool((a["marrow_blasts_pct"] < 5).any()),
                mrd_negative=bool(a["mrd"].map(mrd_negative).any()),
                standard=bool(c1.get(pid, 0) >= 1.8 - 1e-9), hsct=pid in hsct.index, vod=pid in vod_ids,
            )
        )
    return pd.DataFrame(rows).set_index("patient_id")


# ------------------------------------------------------------------------------------------------
# 1. reference cohort truth
# ------------------------------------------------------------------------------------------------


def test_tables_follow_the_contract(truth):
    assert set(truth) == {t.name for t in TABLES}
    for t in TABLES:
        assert list(truth[t.name].columns) == [c.name for c in t.columns]
        for col in t.required_columns:
            assert truth[t.name][col].notna().all(), (t.name, col)
    assert truth["patients"]["patient_id"].is_unique and truth["follow_up"]["patient_id"].is_unique
    ids = set(truth["patients"]["patient_id"])
    for t in TABLES:
        assert set(truth[t.name]["patient_id"]) <= ids


def test_eligibility_20_raw_17_analysed(derived):
    assert len(derived) == 20
    assert derived["eligible"].sum() == 17
    excluded = derived[~derived["eligible"]]
    assert sorted(excluded.index) == ["INO-018", "INO-019", "INO-020"]
    assert 18 <= derived.at["INO-018", "age"] < 18.5
    assert derived.at["INO-019", "first_dose"] == dt.date(2022, 11, 15)
    assert derived.at["INO-020", "first_dose"] is None
    e = derived[derived["eligible"]]
    assert (e["age"] >= 1).all() and (e["age"] < 18).all()


def test_response_12_of_16_evaluable(derived, truth):
    e = derived[derived["eligible"]]
    assert e["evaluable"].sum() == 16
    assert e["responder"].sum() == 12
    assert e.loc[e["responder"], "evaluable"].all()
    # the only non-evaluable patient is the day-12 early death
    ne = e[~e["evaluable"]]
    assert list(ne.index) == ["INO-007"] and ne["os_days"].iloc[0] == 12 and ne["event"].iloc[0] == 1
    # non-responders have blasts >= 5% at every assessment and all die early
    nr = e[e["evaluable"] & ~e["responder"]]
    assert len(nr) == 4 and (nr["event"] == 1).all() and (nr["os_days"] < 365).all()
    # both CR and CRi occur among responders
    a = truth["assessments"]
    resp = a[(a["marrow_blasts_pct"] < 5) & a["patient_id"].isin(e.index)]
    cr = (resp["anc_10e9_l"] >= 1.0) & (resp["platelets_10e9_l"] >= 100)
    assert cr.any() and (~cr).any()


def test_mrd_7_of_17_and_edge_cases(derived, truth):
    e = derived[derived["eligible"]]
    assert e["mrd_negative"].sum() == 7
    assert e.loc[e["mrd_negative"], "responder"].all()
    texts = set(truth["assessments"]["mrd"].dropna())
    assert {"<0,01%", "не выявлено", "neg", "0,01%", "н/д"} <= texts
    # "0,01%" (exactly the threshold) belongs to an MRD-positive responder
    at_thr = truth["assessments"].loc[truth["assessments"]["mrd"] == "0,01%", "patient_id"].unique()
    assert len(at_thr) == 1 and e.at[at_thr[0], "responder"] and not e.at[at_thr[0], "mrd_negative"]
    assert abs(7 / 17 - 0.412) < 0.001


def test_overall_survival_km_12_months(derived):
    e = derived[derived["eligible"]].sort_values("os_days")
    assert e["os_days"].is_unique  # no ties
    assert e.at["INO-017", "os_days"] == 270 and e.at["INO-017", "event"] == 0  # censored at the cut-off
    s, var_sum, n = 1.0, 0.0, len(e)
    risk_sets = []
    for t, d in zip(e["os_days"], e["event"]):
        if t > 365.25:
            break
        if d:
            risk_sets.append(n)
            s *= (n - 1) / n
            var_sum += 1 / (n * (n - 1))
        n -= 1
    assert risk_sets == [17, 15, 14, 13, 12, 10, 9, 8, 6]
    assert n == 5  # at risk at 12 months
    assert round(s, 4) == 0.4026
    se = s * math.sqrt(var_sum)
    lo, hi = s - 1.959964 * se, s + 1.959964 * se
    assert round(lo, 3) == 0.148 and round(hi, 3) == 0.657
    censored_first_year = e[(e["event"] == 0) & (e["os_days"] <= 365.25)]
    assert list(censored_first_year["os_days"]) == [40, 150, 270]


def test_vod_2_of_6_standard_dose_hsct(derived, truth):
    e = derived[derived["eligible"]]
    assert e["hsct"].sum() == 8
    std_hsct = e[e["standard"] & e["hsct"]]
    red_hsct = e[~e["standard"] & e["hsct"]]
    assert len(std_hsct) == 6 and std_hsct["vod"].sum() == 2
    assert len(red_hsct) == 2 and red_hsct["vod"].sum() == 0
    assert e.loc[e["vod"], "hsct"].all()
    assert 4 <= (~e["standard"]).sum() <= 5
    # VOD onset 10-25 days after HSCT, grades 3 and 4
    ae, tx = truth["adverse_events"], truth["transplants"].set_index("patient_id")
    vod = ae[ae["term"].isin(VOD_TERMS)]
    assert sorted(vod["grade"]) == [3, 4]
    for _, r in vod.iterrows():
        assert 10 <= (r["onset_date"] - tx.at[r["patient_id"], "date"]).days <= 25


def test_clinical_timeline_invariants(truth, derived):
    doses, ass, tx = truth["ino_doses"], truth["assessments"], truth["transplants"]
    fu, ae = truth["follow_up"].set_index("patient_id"), truth["adverse_events"]
    last_dose = doses.groupby("patient_id")["date"].max()
    first = doses.groupby("patient_id")["date"].min()
    for _, r in tx.iterrows():
        gap = (r["date"] - last_dose[r["patient_id"]]).days
        assert 14 <= gap <= 60, r["patient_id"]
        assert (ass.loc[ass["patient_id"] == r["patient_id"], "date"] < r["date"]).all()
        assert derived.at[r["patient_id"], "responder"]
    for _, r in ass.iterrows():
        assert 20 <= (r["date"] - first[r["patient_id"]]).days <= 70
    # doses: standard cycle 1 = 0.8/0.5/0.5 on days 1/8/15
    for pid, g in doses[doses["cycle"] == 1].groupby("patient_id"):
        if derived.at[pid, "standard"]:
            assert list(g["dose_mg_m2"]) == [0.8, 0.5, 0.5]
            assert [(d - g["date"].iloc[0]).days for d in g["date"]] == [0, 7, 14]
    assert doses.groupby("patient_id")["cycle"].max().between(1, 3).all()
    # follow-up
    for pid, r in fu.iterrows():
        if r["vital_status"] == "dead":
            assert r["death_date"] == r["last_contact_date"]
        else:
            assert r["death_date"] is None
        if r["relapse_date"] is not None:
            assert derived.at[pid, "responder"]
            assert r["relapse_date"] < (r["death_date"] or r["last_contact_date"])
    assert fu["relapse_date"].notna().sum() == 4
    late = fu[(fu["vital_status"] == "alive")]
    assert (late.drop(index="INO-017")["last_contact_date"] <= CUTOFF).all()
    assert fu.at["INO-017", "last_contact_date"] > CUTOFF
    # adverse events: grade 5 only for deaths, on or before death; one AE after the cut-off; one patient without AEs
    for _, r in ae.iterrows():
        if r["grade"] == 5:
            assert fu.at[r["patient_id"], "vital_status"] == "dead"
            assert r["onset_date"] <= fu.at[r["patient_id"], "death_date"]
        assert 1 <= r["grade"] <= 5
    assert (ae["onset_date"] > CUTOFF).sum() == 1
    eligible_ids = derived.index[derived["eligible"]]
    assert len(set(eligible_ids) - set(ae["patient_id"])) == 1


def test_patient_characteristics(truth, derived):
    p = truth["patients"].set_index("patient_id").loc[derived.index[derived["eligible"]]]
    assert set(p["sex"]) == {"M", "F"}
    assert (p["relapse_number"] == 0).sum() in (2, 3) and p["relapse_number"].max() == 3
    assert 5 <= p["prior_hsct"].sum() <= 7 and 5 <= p["prior_blinatumomab"].sum() <= 7
    assert 1 <= p["prior_car_t"].sum() <= 3
    assert set(p["cytogenetics"]) <= {"KMT2A-r", "BCR-ABL1", "ETV6-RUNX1", "hypodiploid", "normal", "other"}
    assert p["cd22_pct"].between(60, 99).all() and p["marrow_blasts_pct"].between(5, 95).all()
    assert p["full_name"].str.contains("[А-Яа-яЁё]", regex=True).all()
    assert not p.loc[p["prior_hsct"], "relapse_number"].eq(0).any()


def test_summary_agrees_with_tables(derived):
    s = reference_patient_summary().set_index("patient_id")
    assert (s["eligible"] == derived["eligible"]).all()
    e = derived[derived["eligible"]]
    assert (s.loc[e.index, "os_days"] == e["os_days"]).all()
    assert (s.loc[e.index, "os_event"] == e["event"]).all()
    for col in ("responder", "mrd_negative", "hsct", "vod", "evaluable"):
        assert (s.loc[e.index, col] == e[col]).all(), col
    assert ((s.loc[e.index, "dose_group"] == "standard") == e["standard"]).all()
    assert len(REFERENCE_PATIENTS) == 20


# ------------------------------------------------------------------------------------------------
# 2. the messy workbook
# ------------------------------------------------------------------------------------------------


def _parse(kind: str, v):
    """Minimal independent reader of one messy cell (to check that the rendering loses nothing)."""
    if v is None:
        return None
    if kind == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, int):
            return dt.date(1899, 12, 30) + dt.timedelta(days=v)
        s = str(v).strip()
        for fmt in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(s, fmt).date()
            except ValueError:
                pass
        raise ValueError(v)
    if kind == "number":
        return float(v) if not isinstance(v, str) else float(v.strip().rstrip("%").replace(",", "."))
    if kind == "integer":
        return int(v)
    if kind == "id":
        return str(v).strip().replace("\u00a0", "")
    if kind == "sex":
        return {"м": "M", "m": "M", "муж": "M", "ж": "F", "f": "F", "жен": "F"}[str(v).strip().lower()]
    if kind == "yes_no":
        return {"да": True, "yes": True, "1": True, "нет": False, "no": False, "0": False}[str(v).strip().lower()]
    if kind == "vital_status":
        return {"жив": "alive", "alive": "alive", "умер": "dead", "dead": "dead"}[str(v).strip().lower()]
    return v


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "ino_registry_export_SYNTHETIC.xlsx"
    write_registry_workbook(build_reference_cohort(), path, seed=7)
    return path


def test_workbook_roundtrip_and_messiness(workbook_path, truth):
    wb = openpyxl.load_workbook(workbook_path)
    assert wb.sheetnames[0] == "README"
    readme = " ".join(str(c.value) for c in wb["README"]["A"] if c.value)
    assert "SYNTHETIC" in readme and "СИНТЕТИЧЕСКИЕ" in readme and "seed 7" in readme
    assert "make_reference_cohort.py" in readme
    assert set(wb.sheetnames[1:]) == {t.name for t in TABLES}
    seen = {"blank": 0, "note": 0, "serial": 0, "slash": 0, "datecell": 0, "trailing_date": 0, "nbsp": 0,
            "id_space": 0, "comma": 0, "pct": 0, "numeric": 0, "extra": 0, "header_messy": 0}
    for t in TABLES:
        ws = wb[t.name]
        rows = list(ws.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        norm = [h.strip().lower() for h in header]
        seen["header_messy"] += sum(h != n for h, n in zip(header, norm))
        assert norm[: len(t.columns)] == [c.name for c in t.columns]
        seen["extra"] += len(norm) - len(t.columns)
        parsed = []
        for r in rows[1:]:
            if all(v is None for v in r):
                seen["blank"] += 1
                continue
            if r[0] == SYNTHETIC_NOTE:
                seen["note"] += 1
                continue
            rec = {}
            for c, v in zip(t.columns, r):
                kind = c.kind
                if kind == "date" and isinstance(v, int):
                    seen["serial"] += 1
                if kind == "date" and isinstance(v, dt.datetime):
                    seen["datecell"] += 1
                if kind == "date" and isinstance(v, str) and "/" in v:
                    seen["slash"] += 1
                if kind == "date" and isinstance(v, str) and v != v.strip():
                    seen["trailing_date"] += 1
                if kind == "id" and isinstance(v, str) and v.endswith("\u00a0"):
                    seen["nbsp"] += 1
                if kind == "id" and isinstance(v, str) and v.endswith(" "):
                    seen["id_space"] += 1
                if kind == "number" and isinstance(v, str):
                    seen["comma"] += "," in v
                    seen["pct"] += "%" in v
                if kind == "number" and isinstance(v, float):
                    seen["numeric"] += 1
                rec[c.name] = _parse(kind, v)
            parsed.append(rec)
        got = pd.DataFrame(parsed, columns=[c.name for c in t.columns])
        got = got.astype(object).where(got.notna(), None)  # a number column with blanks: NaN -> None
        exp = truth[t.name].astype(object).where(truth[t.name].notna(), None)
        assert len(got) == len(exp), t.name
        for col in got.columns:
            assert list(got[col]) == list(exp[col]), (t.name, col)
    # one blank row in the middle of ino_doses + the empty row between the last patient and the note
    assert seen["blank"] == 2 and seen["note"] == 1 and seen["serial"] == 2 and seen["trailing_date"] == 1
    assert seen["nbsp"] == 1 and seen["id_space"] == 1 and seen["extra"] == 1
    assert seen["slash"] >= 2 and seen["datecell"] >= 2 and seen["comma"] >= 5 and seen["pct"] >= 2
    assert seen["numeric"] >= 5 and seen["header_messy"] >= 10


def test_workbook_codes_are_mixed(workbook_path):
    wb = openpyxl.load_workbook(workbook_path)
    sex = {c.value for c in wb["patients"]["C"][1:] if c.value}
    assert {"М", "Ж"} <= sex and sex & {"M", "F"} and sex & {"муж", "жен"}
    yn = {c.value for col in "GHI" for c in wb["patients"][col][1:] if c.value is not None}
    assert {"да", "нет"} <= yn and yn & {"yes", "no"} and yn & {0, 1}
    vital = {c.value for c in wb["follow_up"]["C"][1:] if c.value}
    assert {"жив", "умер"} <= vital and vital & {"alive", "dead"}


def test_workbook_is_deterministic(tmp_path):
    a, b, c = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    log_a = write_registry_workbook(build_reference_cohort(), a, seed=11)
    write_registry_workbook(build_reference_cohort(), b, seed=11)
    write_registry_workbook(build_reference_cohort(), c, seed=12)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    cats = {m.category for m in log_a}
    assert {"blank_row", "note_row", "date_serial", "id_nbsp", "id_trailing_space", "date_trailing_space",
            "extra_column", "header_case_whitespace"} <= cats


def test_committed_default_file_is_current(tmp_path):
    """data/synthetic/ino_registry_export_SYNTHETIC.xlsx is exactly what the script writes by default."""
    out = tmp_path / "x.xlsx"
    subprocess.run([sys.executable, str(ROOT / "workflow/scripts/make_reference_cohort.py"), "--out", str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    assert DEFAULT_XLSX.exists()
    assert out.read_bytes() == DEFAULT_XLSX.read_bytes()


# ------------------------------------------------------------------------------------------------
# 3. the simulator
# ------------------------------------------------------------------------------------------------


def _dates(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.strip()
    out = pd.to_datetime(s, format="%d.%m.%Y", errors="coerce")
    out = out.fillna(pd.to_datetime(s, format="%d/%m/%Y", errors="coerce"))
    out = out.fillna(pd.to_datetime(s, format="%Y-%m-%d", errors="coerce"))
    serial = pd.to_numeric(s.where(s.str.fullmatch(r"\d{5}")), errors="coerce")
    return out.fillna(pd.Series(days_after(pd.Timestamp("1899-12-30"), serial), index=serial.index))


@pytest.fixture(scope="module")
def sim() -> dict[str, pd.DataFrame]:
    return simulate_cohort(3000, seed=42)


def test_simulator_contract_and_sizes(sim):
    for t in TABLES:
        assert [c.name for c in t.columns] == list(sim[t.name].columns)[: len(t.columns)]
        for col in t.required_columns:
            assert (sim[t.name][col] != "").all(), (t.name, col)
    assert len(sim["patients"]) == len(sim["follow_up"]) == 3000
    assert sim["patients"]["patient_id"].is_unique
    ids = set(sim["patients"]["patient_id"])
    for name, df in sim.items():
        assert set(df["patient_id"].str.strip()) <= ids, name
    assert 2.5 < len(sim["ino_doses"]) / 3000 < 7
    assert set(sim["ino_doses"]["dose_mg_m2"]) == {"0,8", "0,5"}


def test_simulator_invariants_and_rates(sim):
    p = sim["patients"].set_index("patient_id")
    first = sim["ino_doses"].assign(d=_dates(sim["ino_doses"]["date"])).groupby("patient_id")["d"].min()
    fu = sim["follow_up"].set_index("patient_id")
    last, death = _dates(fu["last_contact_date"]), _dates(fu["death_date"])
    dead = fu["vital_status"].isin(["умер", "dead", "1"])
    assert _dates(fu["last_contact_date"]).notna().all()
    assert (death[dead] > first.reindex(death[dead].index)).all()
    assert death[~dead].isna().all() and death[dead].notna().all()
    assert (last >= first.reindex(last.index)).all()
    tx = sim["transplants"]
    assert (_dates(tx["date"]).values > first.reindex(tx["patient_id"]).values).all()
    cutoff = pd.Timestamp("2023-01-31")
    assert (last > cutoff).mean() < 0.05
    # eligibility exclusions ~5%
    age = (first - _dates(p["birth_date"]).reindex(first.index)).dt.days / 365.25
    excl = (age >= 18) | (first < "2016-10-01") | (first > "2022-09-01")
    assert 0.02 < excl.mean() < 0.09
    # response ~70% of evaluable, MRD-negative ~45% of responders, HSCT ~40% of responders, VOD 15-30%
    a = sim["assessments"].assign(pid=sim["assessments"]["patient_id"].str.strip())
    a["blasts"] = pd.to_numeric(a["marrow_blasts_pct"].str.rstrip("%").str.replace(",", "."))
    resp = set(a.loc[a["blasts"] < 5, "pid"])
    assert 0.62 < len(resp) / a["pid"].nunique() < 0.78
    neg = a[a["pid"].isin(resp)].assign(n=lambda x: x["mrd"].map(mrd_negative)).groupby("pid")["n"].any()
    assert 0.35 < neg.mean() < 0.55
    assert 0.3 < tx["patient_id"].isin(resp).sum() / len(resp) < 0.5 and tx["patient_id"].isin(resp).all()
    ae = sim["adverse_events"].assign(pid=sim["adverse_events"]["patient_id"].str.strip())
    vod = set(ae.loc[ae["term"].isin(VOD_TERMS), "pid"])
    assert vod <= set(tx["patient_id"]) and 0.12 < len(vod) / len(tx) < 0.33
    assert dead.reindex(ae.loc[ae["grade"] == "5", "pid"]).all()
    # messiness present
    assert p["sex"].isin(["М", "Ж"]).mean() > 0.6 and p["sex"].isin(["M", "F", "муж", "жен"]).any()
    assert sim["ino_doses"]["date"].str.contains("/").any()
    assert a["mrd"].isin(["<0,01%", "не выявлено", "neg", "н/д"]).any()


def test_simulator_median_os_about_10_months(sim):
    first = sim["ino_doses"].assign(d=_dates(sim["ino_doses"]["date"])).groupby("patient_id")["d"].min()
    fu = sim["follow_up"].set_index("patient_id")
    cutoff = pd.Timestamp("2023-01-31")
    last, death = _dates(fu["last_contact_date"]), _dates(fu["death_date"])
    event = death.notna() & (death <= cutoff)
    end = death.where(event, last.clip(upper=cutoff))
    t = (end - first.reindex(end.index)).dt.days.to_numpy()
    e = event.to_numpy()
    order = np.argsort(t, kind="stable")
    s, n = 1.0, len(t)
    for i, k in enumerate(order):
        if e[k]:
            s *= 1 - 1 / (n - i)
        if s <= 0.5:
            median_months = t[k] / 30.4375
            break
    assert 7 < median_months < 14


def test_simulator_deterministic_and_centres(tmp_path):
    a = write_raw(simulate_cohort(500, seed=3), tmp_path / "a")
    b = write_raw(simulate_cohort(500, seed=3), tmp_path / "b")
    c = write_raw(simulate_cohort(500, seed=4), tmp_path / "c")
    assert [p.name for p in a] == [f"{t.name}.csv" for t in TABLES]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    assert any(x.read_bytes() != y.read_bytes() for x, y in zip(a, c))
    raw = a[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    back = pd.read_csv(a[0], sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert back.equals(simulate_cohort(500, seed=3)["patients"].astype(str))
    multi = simulate_cohort(500, seed=3, centres=4)
    assert multi["patients"]["centre"].nunique() == 4
    assert "centre" not in simulate_cohort(50, seed=3)["patients"].columns
    cp = write_raw(simulate_cohort(200, seed=3), tmp_path / "cp", encoding="cp1251")
    assert "Ж" in cp[0].read_bytes().decode("cp1251")


def test_simulator_xlsx(tmp_path):
    tables = simulate_cohort(200, seed=9)
    (path,) = write_raw(tables, tmp_path / "x", fmt="xlsx")
    (again,) = write_raw(tables, tmp_path / "y", fmt="xlsx")
    assert path.read_bytes() == again.read_bytes()
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["README"] + [t.name for t in TABLES]
    assert sum(1 for _ in wb["patients"].iter_rows()) == 201


def test_simulate_script_cli(tmp_path):
    out = tmp_path / "cli"
    r = subprocess.run([sys.executable, str(ROOT / "workflow/scripts/simulate_cohort.py"), "--patients", "100",
                        "--seed", "1", "--out", str(out), "--centres", "3"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t.name}.csv" for t in TABLES)
    head = (out / "patients.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert head[-1] == "centre" and head[0] == "patient_id"


@pytest.mark.slow
def test_simulator_100k(tmp_path):
    tables = simulate_cohort(100_000, seed=2023)
    write_raw(tables, tmp_path / "big")
    assert len(tables["patients"]) == 100_000
    assert TABLES_BY_NAME["patients"].name in tables


def test_readme_lists_the_messiness_of_the_default_file(tmp_path):
    """data/synthetic/README.md carries the cell-by-cell messiness list of the committed default file."""
    from ino_study.synthetic import messiness_markdown

    log = write_registry_workbook(build_reference_cohort(), tmp_path / "d.xlsx", seed=20230201)
    text = (ROOT / "data" / "synthetic" / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- messiness:begin -->\n", 1)[1].split("<!-- messiness:end -->", 1)[0]
    assert block == messiness_markdown(log)
    assert "SYNTHETIC" in text and "СИНТЕТИЧЕСКИЕ" in text


def test_best_responses_mix_cr_and_cri():
    s = reference_patient_summary()
    e = s[s["eligible"]]
    assert (e["best_response"] == "CR").sum() == 8 and (e["best_response"] == "CRi").sum() == 4
