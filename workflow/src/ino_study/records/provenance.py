"""Provenance of a run: results/provenance.json (rule `provenance`).

What went in, so that a result can be traced to its inputs and software: the SHA-256 and size of
every raw input file (the workbook, or each file of a CSV directory), the resolved configuration
(config.yaml, command-line overrides and schema defaults), the Python version, the versions of the
packages the analysis uses (importlib.metadata) and the git commit of the code ("unknown" outside
a git checkout). There is deliberately no timestamp, host or user name: the same inputs and code
give a byte-identical file. The key of `pseudonymise` is never recorded (only whether it is on).

Raw files are only ever opened for reading, in binary mode.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping


#: Distributions whose versions are recorded (the pinned runtime requirements).
PACKAGES: tuple[str, ...] = (
    "snakemake", "pandas", "numpy", "scipy", "lifelines", "matplotlib", "seaborn", "pyyaml", "pandera",
    "openpyxl", "python-docx", "pyarrow",
)

_BLOCK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks (read-only, binary)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def raw_input_files(raw_data: str | Path) -> list[Path]:
    """The files a raw export consists of: the workbook, or every file in the CSV directory (sorted)."""
    path = Path(raw_data)
    if path.is_dir():
        return sorted((p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")),
                      key=lambda p: p.name)
    return [path]


def raw_input_hashes(raw_data: str | Path) -> list[dict[str, Any]]:
    """Path (as configured), size and SHA-256 of each raw input file."""
    base = Path(raw_data)
    files = []
    for file in raw_input_files(base):
        shown = (base / file.name) if base.is_dir() else base
        files.append({"path": shown.as_posix(), "bytes": file.stat().st_size, "sha256": sha256_file(file)})
    return files


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution ("not installed" when absent)."""
    versions = {}
    for name in sorted(set(names), key=str.lower):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(directory: str | Path = ".") -> str:
    """The commit checked out in `directory`, or "unknown" (not a git checkout, or no git)."""
    try:
        result = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=directory, capture_output=True,
                                text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and len(commit) == 40 else "unknown"


def provenance_record(raw_data: str | Path, config: Mapping[str, Any], directory: str | Path = ".") -> dict[str, Any]:
    """The provenance document (no timestamps: same inputs and code, same document).

    A REDCap export (config `raw_format: redcap`) adds its data dictionary, hashed like the export.
    Several centres (`raw_data` a list): `raw_data.centres` lists each centre's export and, for a
    REDCap centre, its data dictionary, every file with its size and SHA-256.
    """
    if isinstance(raw_data, list):
        from ino_study.records.centres import centres

        listed = []
        for centre in centres({**config, "raw_data": raw_data}):
            entry: dict[str, Any] = {"centre": centre.name, "configured": centre.path,
                                     "files": raw_input_hashes(centre.path)}
            if centre.raw_format == "redcap" and centre.redcap_data_dictionary:
                entry["redcap_data_dictionary"] = {"configured": centre.redcap_data_dictionary,
                                                   "files": raw_input_hashes(centre.redcap_data_dictionary)}
            listed.append(entry)
        raw: dict[str, Any] = {"centres": listed}
    else:
        raw = {"configured": str(raw_data), "files": raw_input_hashes(raw_data)}
    record: dict[str, Any] = {
        "raw_data": raw,
        "config": dict(config),
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation()},
        "packages": package_versions(),
        "code": {"git_commit": git_commit(directory)},
    }
    if isinstance(raw_data, list):
        return record
    dictionary = config.get("redcap_data_dictionary")
    if config.get("raw_format") == "redcap" and dictionary:
        record["redcap_data_dictionary"] = {"configured": str(dictionary), "files": raw_input_hashes(dictionary)}
    return record


def write_provenance(raw_data: str | Path, config: Mapping[str, Any], output: str | Path) -> None:
    """Write results/provenance.json (the rule's single call)."""
    import logging

    from ino_study.outputs.io import write_json

    record = provenance_record(raw_data, config)
    write_json(record, output)
    hashed = record["raw_data"].get("centres", [record["raw_data"]])
    logging.getLogger("ino_study").info("provenance: %d raw file(s) hashed, commit %s",
                                        sum(len(part["files"]) for part in hashed), record["code"]["git_commit"])
