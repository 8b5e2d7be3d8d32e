# Paths shared by the rules. Outputs live under results/, logs under logs/.

RESULTS = "results"
CLEAN_TABLES = steps.CLEAN_TABLES
ANALYSIS_DATASETS = steps.ANALYSIS_DATASETS
PACKAGE = Path(workflow.basedir) / "workflow" / "src" / "ino_study"


def config_subset(*keys):
    """Only the config keys a rule uses, so that changing another key does not rerun it."""
    return {key: config[key] for key in keys}


def package_code(*parts):
    """The package modules a rule runs, as inputs: editing one reruns that rule and what follows.

    (Snakemake's own code trigger sees only the short run: block, not the package it calls.)
    """
    files = []
    for part in parts:
        path = PACKAGE / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [str(f.relative_to(workflow.basedir)) for f in files]
