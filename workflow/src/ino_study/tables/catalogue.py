"""The publication tables the tables step writes (light: the workflow reads it at every start)."""

TABLES = ("table1", "response", "adverse_events", "adverse_events_after_hsct", "sos_vod", "survival_summary")
