"""Where result files are staged before being renamed into place (kept light: the Snakefile sets it).

None: next to the target. The Snakefile sets `.snakemake/partial`, so that a killed run never leaves a
partial file under results/ (same file system as results/, so the rename stays atomic).
"""

from __future__ import annotations

from pathlib import Path

PARTIAL_DIR: Path | None = None
