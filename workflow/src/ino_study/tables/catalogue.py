"""The publication tables the tables step writes (light: the workflow reads it at every start)."""

TABLES = ("table1", "response", "adverse_events", "survival_summary")
