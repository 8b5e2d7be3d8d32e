"""results/provenance.json: what went into a run; and proof that raw inputs are only ever read."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from bad_inputs.corpus import DEFAULT_WORKBOOK, default_sheets, run, write_csv_dir
from conftest import load_config
from ino_study.records.provenance import git_commit, package_versions, provenance_record, write_provenance


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_record_of_the_default_workbook(tmp_path):
    config = load_config()
    record = provenance_record(DEFAULT_WORKBOOK, config)
    (entry,) = record["raw_data"]["files"]
    assert entry["sha256"] == sha(DEFAULT_WORKBOOK)
    assert entry["bytes"] == DEFAULT_WORKBOOK.stat().st_size
    assert record["config"] == config and record["config"]["pseudonymise"] is False
    assert record["python"]["version"] == ".".join(str(v) for v in sys.version_info[:3])
    assert record["packages"]["pandas"] == __import__("pandas").__version__
    assert record["packages"]["openpyxl"] == __import__("openpyxl").__version__
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", record["code"]["git_commit"])


def test_each_csv_file_is_hashed(tmp_path):
    directory = write_csv_dir(default_sheets(), tmp_path / "csv")
    files = provenance_record(directory, {})["raw_data"]["files"]
    assert [Path(f["path"]).name for f in files] == sorted(p.name for p in directory.iterdir())
    for entry in files:
        assert entry["sha256"] == sha(directory / Path(entry["path"]).name)


def test_git_commit_unknown_outside_git(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def test_missing_package_is_reported_not_raised():
    assert package_versions(["surely-not-installed-package-xyz"]) == {"surely-not-installed-package-xyz": "not installed"}


def test_file_is_deterministic_and_has_no_timestamps(tmp_path):
    config = load_config()
    write_provenance(DEFAULT_WORKBOOK, config, tmp_path / "a.json")
    write_provenance(DEFAULT_WORKBOOK, config, tmp_path / "b.json")
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert text == (tmp_path / "b.json").read_text(encoding="utf-8")
    assert not re.search(r"\d{2}:\d{2}:\d{2}|T\d{2}:\d{2}", text)
    assert json.loads(text)["raw_data"]["files"][0]["sha256"] == sha(DEFAULT_WORKBOOK)


# ------------------------------------------------------------------------------ read-only raw files

_OPENS: list[tuple[str, object, object]] = []
_WATCH: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _WATCH and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if any(path.startswith(root) for root in _WATCH):
            _OPENS.append((path, args[1], args[2]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it only records while _WATCH is set

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _read_only(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return False
    return not (isinstance(flags, int) and flags & _WRITE_FLAGS)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_raw_files_are_opened_read_only_and_left_byte_identical(tmp_path, kind):
    if kind == "xlsx":
        raw = tmp_path / "raw" / DEFAULT_WORKBOOK.name
        raw.parent.mkdir()
        shutil.copy2(DEFAULT_WORKBOOK, raw)
        files = [raw]
    else:
        raw = write_csv_dir(default_sheets(), tmp_path / "raw" / "csv", delimiter=";", encoding="utf-8-sig")
        files = sorted(raw.iterdir())
    before = {p: (sha(p), p.stat().st_mtime_ns) for p in files}
    for path in files:
        path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a write attempt would fail loudly
    _OPENS.clear()
    _WATCH.append(str(tmp_path / "raw"))
    try:
        outcome = run(raw)
        write_provenance(raw, {}, tmp_path / "provenance.json")
    finally:
        _WATCH.clear()
    assert outcome.error is None, outcome.message
    assert _OPENS, "the audit hook saw no open of the raw files"
    assert all(_read_only(mode, flags) for _, mode, flags in _OPENS), _OPENS
    assert {p: (sha(p), p.stat().st_mtime_ns) for p in files} == before
