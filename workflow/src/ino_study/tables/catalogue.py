"""The publication tables the tables step writes (light: the workflow reads it at every start)."""

TABLES = ("table1", "response", "response_by_subgroup", "adverse_events", "survival_summary")
