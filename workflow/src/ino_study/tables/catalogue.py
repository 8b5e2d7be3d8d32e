"""The publication tables the tables step writes (light: the workflow reads it at every start)."""

TABLES = ("table1", "response", "response_by_subgroup", "adverse_events", "adverse_events_after_hsct", "sos_vod",
          "survival_summary")
