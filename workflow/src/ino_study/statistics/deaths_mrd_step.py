"""The step of rule deaths_and_mrd_landmark: the deaths table and OS by MRD status at a landmark.

Kept apart from ``ino_study.steps`` so that the rule's code input is these modules (see
``ino_study.statistics.deaths`` and ``ino_study.statistics.mrd_landmark``).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from ino_study.outputs.io import read_parquet, write_csv

LOGGER = logging.getLogger("ino_study")


def deaths_and_mrd_landmark(adam: Any, config: Mapping[str, Any], output: Any) -> None:
    """``deaths.csv`` (causes by period, early mortality) and ``mrd_landmark.csv`` (landmark at the end
    of the response window, ``response.window_days``)."""
    from ino_study.statistics.deaths import deaths_table
    from ino_study.statistics.mrd_landmark import mrd_landmark_table

    level, conf_type = float(config["confidence_level"]), str(config["km_ci"])
    timepoints = [float(t) for t in config["survival_timepoints_months"]]
    window = int(config["response"]["window_days"])
    adsl, adtte = read_parquet(adam.adsl), read_parquet(adam.adtte)
    deaths = deaths_table(adtte, adsl, level)
    write_csv(deaths, output.deaths)
    write_csv(mrd_landmark_table(adtte, adsl, window, timepoints, level, conf_type), output.mrd_landmark)
    total = deaths[(deaths["period"] == "all periods") & (deaths["cause"] == "all causes")].iloc[0]
    LOGGER.info("deaths: %d of %d analysed; MRD landmark at day %d", int(total["deaths"]),
                int(total["denominator"]), window)
