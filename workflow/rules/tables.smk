# Publication tables: Table 1, response/MRD, adverse events (treatment-emergent and after HSCT),
# SOS/VOD events and survival, each as CSV and Markdown,
# and all of them in results/tables/tables.xlsx (one sheet each) and tables.docx.
from ino_study.figures.catalogue import report_caption, report_text
from ino_study.tables.catalogue import TABLES

TABLE_CATEGORIES = {
    "table1": "Baseline characteristics",
    "response": "Response",
    "response_by_subgroup": "Response",
    "adverse_events": "Safety",
    "adverse_events_after_hsct": "Safety",
    "sos_vod": "Safety",
    "survival_summary": "Survival",
}


rule tables:
    input:
        adsl=rules.derive_endpoints.output.adsl_parquet,
        adae=rules.derive_endpoints.output.adae_parquet,
        estimates=rules.survival_statistics.output.estimates,
        medians=rules.survival_statistics.output.medians,
        follow_up=rules.survival_statistics.output.follow_up,
        code=package_code(
            "tables",
            "statistics",
            "endpoints/labels.py",
            "endpoints/adae.py",
            "endpoints/sorting.py",
            "outputs/io.py",
            *LANGUAGE_CODE,
            "job.py",
        ),
    output:
        **{
            f"{name}_csv": report(
                f"{RESULTS}/tables/{name}.csv",
                caption=report_caption(f"table_{name}", config["language"]),
                category=report_text("Tables", config["language"]),
                subcategory=report_text(TABLE_CATEGORIES[name], config["language"]),
            )
            for name in TABLES
        },
        **{f"{name}_md": f"{RESULTS}/tables/{name}.md" for name in TABLES},
        xlsx=report(
            f"{RESULTS}/tables/tables.xlsx",
            caption=report_caption("tables_xlsx", config["language"]),
            category=report_text("Tables", config["language"]),
            subcategory=report_text("Workbook", config["language"]),
        ),
        docx=f"{RESULTS}/tables/tables.docx",
    log:
        "logs/tables.log",
    conda:
        ENV
    resources:
        mem_mb=memory("tables"),
    params:
        settings=step_params("tables"),
    script:
        "../scripts/tables.py"
