# Paths shared by the rules. Outputs live under results/, logs under logs/.

RESULTS = "results"
CLEAN_TABLES = steps.CLEAN_TABLES
ANALYSIS_DATASETS = steps.ANALYSIS_DATASETS


def config_subset(*keys):
    """Only the config keys a rule uses, so that changing another key does not rerun it."""
    return {key: config[key] for key in keys}
