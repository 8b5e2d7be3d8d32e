"""The proportional-hazards test against R's own output (ino_study.statistics.proportional_hazards).

Reference: R 4.2.2, survival 3.5.3, `cox.zph(fit, transform = tr)$table`, printed to 10 significant
digits, for three data sets shipped with lifelines and read by R from lifelines' own CSV files (so
both sides see the same rows):
  rossi  coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio)   (Rossi et al.
         1980, the example of Fox & Weisberg's appendix on Cox regression in R; no ties to speak of)
  lung   coxph(Surv(time, status) ~ age + sex)     (NCCTG lung cancer, the cox.zph help page's data;
         tied times)
  larynx coxph(Surv(time, death) ~ age + stage)    (Klein & Moeschberger, stage a 4-level factor
         rebuilt from lifelines' dummies: a 3-df term; tied times)
The R script is in the docstring of `R_SCRIPT` below, to regenerate the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ino_study.statistics.comparisons import cox_estimates
from ino_study.statistics.proportional_hazards import cox_zph, time_transform

R_SCRIPT = """
library(survival)
r <- read.csv("rossi.csv"); l <- read.csv("lung.csv"); y <- read.csv("larynx.csv")   # lifelines' files
y$stage <- factor(1 + y$Stage_II + 2*y$Stage_III + 3*y$Stage_IV)
fits <- list(rossi = coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data=r),
             lung = coxph(Surv(time, status) ~ age + sex, data=l),
             larynx = coxph(Surv(time, death) ~ age + stage, data=y))
for (nm in names(fits)) for (tr in c("km", "rank", "identity", "log"))
  print(signif(cox.zph(fits[[nm]], transform=tr)$table, 10))
for (nm in names(fits)) cat(nm, sprintf("%.17g", coef(fits[[nm]])), "\n")
"""

#: R's fitted coefficients (the last line of the script): cox.zph tests the model at these.
R_COEF = {
    "rossi": [-0.37942216648588667, -0.0574377426840623, 0.31389978784249856, -0.14979569766653705,
              -0.43370387793730858, -0.084871082500394657, 0.091497080985295964],
    "lung": [0.017045331845411297, -0.5132185171083844],
    "larynx": [0.01903110188025137, 0.14004015376032933, 0.64238172747883793, 1.7059796099130877],
}

#: chisq per term, then GLOBAL, from the script above.
R_CHISQ = {
    ("rossi", "km"): [0.06242975136, 5.973981653, 2.068265387, 4.224595633, 1.011021564, 0.01838329917,
                      0.5205842503, 17.69441525],
    ("rossi", "rank"): [1.383808451, 0.8964214616, 2.259978151, 4.159683753, 0.08959214185, 0.02185165569,
                        1.640803452, 11.02518341],
    ("rossi", "identity"): [0.008950558751, 6.615943789, 2.144426257, 3.876755125, 1.031348319, 0.02817659872,
                            0.4247983963, 18.18268704],
    ("rossi", "log"): [0.1375994333, 8.231498342, 1.617084939, 2.085854841, 1.125973315, 0.2192028103,
                       0.0134790732, 17.66157057],
    ("lung", "km"): [0.2092028264, 2.607671704, 2.770785376],
    ("lung", "rank"): [0.1370161954, 2.378125718, 2.475291839],
    ("lung", "identity"): [0.1417475613, 2.718401088, 2.833391383],
    ("lung", "log"): [3.437400044, 2.326905353, 5.425184577],
    ("larynx", "km"): [1.132908033, 3.718855304, 5.13928653],
    ("larynx", "rank"): [1.717570668, 3.344855313, 5.492966588],
    ("larynx", "identity"): [1.531399805, 3.262499374, 5.237657897],
    ("larynx", "log"): [0.1374210389, 3.492251626, 3.63305519],
}
#: p values of two tables, to check the chi-square tail and the degrees of freedom as well.
R_P = {
    ("rossi", "km"): [0.8026960327, 0.01451846277, 0.1503924881, 0.03984211171, 0.3146582281, 0.892149344,
                      0.4705925638, 0.01342750679],
    ("larynx", "km"): [0.2871558992, 0.2934667496, 0.2733020733],
}


def model(name: str) -> tuple[pd.Series, pd.Series, pd.DataFrame, dict[str, list[str]] | None]:
    from lifelines import datasets

    if name == "rossi":
        data = datasets.load_rossi()
        columns = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
        return data["week"], data["arrest"], data[columns].astype(float), None
    if name == "lung":
        data = datasets.load_lung()
        return data["time"], data["status"], data[["age", "sex"]].astype(float), None
    data = datasets.load_larynx()
    stage = ["Stage_II", "Stage_III", "Stage_IV"]
    return data["time"], data["death"], data[["age", *stage]].astype(float), {"age": ["age"], "stage": stage}


def fitted(time: pd.Series, event: pd.Series, x: pd.DataFrame) -> np.ndarray:
    frame = pd.concat([pd.DataFrame({"_time": time.astype(float), "_event": event.astype(int)}), x], axis=1)
    return cox_estimates(frame).loc[list(x.columns), "coef"].to_numpy(float)


@pytest.mark.parametrize("name, transform", sorted(R_CHISQ))
def test_cox_zph_matches_r_survival(name, transform):
    """At R's coefficients, R's table to its 10 printed digits."""
    time, event, x, terms = model(name)
    table = cox_zph(time, event, x, R_COEF[name], terms, transform)
    assert table["term"].iloc[-1] == "GLOBAL"
    assert table["chisq"].to_numpy() == pytest.approx(R_CHISQ[name, transform], rel=1e-9)
    if (name, transform) in R_P:
        assert table["p_value"].to_numpy() == pytest.approx(R_P[name, transform], rel=1e-9)


@pytest.mark.parametrize("name", sorted(R_COEF))
def test_cox_zph_at_our_own_fit_matches_r_survival(name):
    """What the pipeline does: the test at the coefficients of our own Cox fit, which stops its Newton
    steps a little earlier than R's (lung's sex coefficient: -0.5132169 against R's -0.5132185); the
    statistics then agree with R's to 1e-5."""
    time, event, x, terms = model(name)
    table = cox_zph(time, event, x, fitted(time, event, x), terms, "km")
    assert table["chisq"].to_numpy() == pytest.approx(R_CHISQ[name, "km"], rel=1e-5)


def test_factor_dummies_are_tested_together_with_their_degrees_of_freedom():
    time, event, x, terms = model("larynx")
    table = cox_zph(time, event, x, fitted(time, event, x), terms, "km")
    assert table["term"].tolist() == ["age", "stage", "GLOBAL"]
    assert table["df"].tolist() == [1, 3, 4]


def test_km_transform_is_one_minus_the_left_continuous_kaplan_meier():
    # times 1, 2, 2, 3(censored), 4: S = 4/5 after 1, 4/5 * 2/4 = 0.4 after 2, 0.4 * 0/1 = 0 after 4
    g = time_transform(np.array([1.0, 2, 2, 3, 4]), np.array([1, 1, 1, 0, 1]), "km")
    assert g == pytest.approx([0.0, 0.2, 0.2, 0.6, 0.6])


def test_rank_transform_ranks_all_times_with_mean_ranks_for_ties():
    g = time_transform(np.array([5.0, 1, 3, 3]), np.array([1, 0, 1, 1]), "rank")
    assert g == pytest.approx([4.0, 1.0, 2.5, 2.5])


def test_unknown_transform_is_refused():
    with pytest.raises(ValueError, match="unknown time transform 'square'"):
        time_transform(np.array([1.0]), np.array([1]), "square")


def test_a_model_without_events_is_refused():
    x = pd.DataFrame({"arm": [0.0, 1.0, 0.0, 1.0]})
    with pytest.raises(ValueError, match="no events"):
        cox_zph([1, 2, 3, 4], [0, 0, 0, 0], x, [0.0])


def test_the_default_transform_is_km_as_in_r():
    """R's cox.zph(fit) without `transform` uses "km": R's km table."""
    time, event, x, terms = model("lung")
    table = cox_zph(time, event, x, R_COEF["lung"])
    assert table["chisq"].to_numpy() == pytest.approx(R_CHISQ["lung", "km"], rel=1e-9)


@pytest.mark.parametrize("shift", [30000.0, -30000.0])
def test_a_covariate_far_from_zero_gives_r_table_of_the_unshifted_one(shift):
    """Adding a constant to a covariate (an age in days since an epoch, say) leaves every risk-set ratio
    exp((x_i - x_j) beta), hence the Cox model and cox.zph, unchanged: R's lung table still holds.
    Unshifted weights exp(x beta) would overflow here (age + 30000 times 0.017 > 500 per row).
    rel=1e-6: E[x^2] - E[x]^2 at |x| ~ 3e4 loses about 8 of the 16 digits."""
    time, event, x, terms = model("lung")
    table = cox_zph(time, event, x.assign(age=x["age"] + shift), R_COEF["lung"], terms, "km")
    assert table["chisq"].to_numpy() == pytest.approx(R_CHISQ["lung", "km"], rel=1e-6)


def test_refusals_name_the_problem():
    with pytest.raises(ValueError,
                       match=r"^unknown time transform 'square'; cox\.zph's are km, rank, identity, log$"):
        time_transform(np.array([1.0]), np.array([1]), "square")
    x = pd.DataFrame({"arm": [0.0, 1.0, 0.0, 1.0]})
    with pytest.raises(ValueError,
                       match=r"^cox_zph: no events, so no proportional-hazards test \(R: a null model\)$"):
        cox_zph([1, 2, 3, 4], [0, 0, 0, 0], x, [0.0])


def test_ph_test_is_cox_zph_with_rank_time_by_default_whatever_the_rows_index():
    """comparisons.ph_test (what the Cox table's ph_p_value is) on lung at R's coefficients: R's rank table
    per covariate, the transform not given (rank is ph_test's documented default), the covariates in a
    frame indexed from 1000 (a filtered cohort) while time and event are plain arrays."""
    from ino_study.statistics.comparisons import ph_test

    time, event, x, _ = model("lung")
    frame = x.set_axis(range(1000, 1000 + len(x)))
    out = ph_test(time.to_numpy(), event.to_numpy(), frame, coefficients=dict(zip(x.columns, R_COEF["lung"])))
    assert out["covariate"].tolist() == ["age", "sex"]
    assert out["statistic"].to_numpy() == pytest.approx(R_CHISQ["lung", "rank"][:2], rel=1e-9)
