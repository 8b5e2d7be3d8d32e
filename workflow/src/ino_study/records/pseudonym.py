"""Keyed pseudonyms for patient IDs (config key `pseudonymise`).

When enabled, every `patient_id` in the clean tables (and so in every downstream output) and in the
data-quality findings is replaced by ``PT-`` + the first 16 hex digits of HMAC-SHA256(key, ID). The
key is read from the environment variable ``INO_PSEUDONYM_KEY``: it is never written to a file, a
log or Snakemake's metadata (only a fingerprint, an HMAC of a fixed text, is used to rerun the
records step when the key changes). The same key gives the same pseudonyms, so that runs can be
linked; without the key, a pseudonym cannot be turned back into an ID, nor can an ID be checked
against a pseudonym.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from typing import TYPE_CHECKING, Iterable, Mapping

from ino_study.records.quality import Finding

if TYPE_CHECKING:
    import pandas as pd

ENV_VAR = "INO_PSEUDONYM_KEY"
PREFIX = "PT-"
DIGITS = 16
MIN_KEY_LENGTH = 16


class PseudonymKeyError(RuntimeError):
    """`pseudonymise` is on but no usable key is set."""


def key_from_environment(environ: Mapping[str, str] | None = None) -> bytes:
    """The pseudonymisation key from INO_PSEUDONYM_KEY; a clear error when it is missing or short."""
    environ = os.environ if environ is None else environ
    key = environ.get(ENV_VAR, "")
    if not key.strip():
        raise PseudonymKeyError(
            f"config 'pseudonymise' is true but the environment variable {ENV_VAR} is not set: set it to a "
            f"secret of at least {MIN_KEY_LENGTH} characters (e.g. export {ENV_VAR}=$(openssl rand -hex 32)) "
            "and keep it outside the project, or set pseudonymise: false"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"the environment variable {ENV_VAR} is too short ({len(key)} characters): use a secret of at "
            f"least {MIN_KEY_LENGTH} characters"
        )
    return key.encode("utf-8")


def pseudonym(patient_id: str, key: bytes) -> str:
    """PT- + 16 hex digits of HMAC-SHA256(key, the ID as UTF-8)."""
    digest = hmac.new(key, str(patient_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]


def key_fingerprint(key: bytes) -> str:
    """A short, non-reversible tag of the key (to notice a key change without storing the key)."""
    return hmac.new(key, b"ino_study pseudonym key fingerprint", hashlib.sha256).hexdigest()[:12]


def _mapper(key: bytes):
    import pandas as pd

    cache: dict[str, str] = {}

    def convert(value: object) -> object:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return value
        text = str(value).strip()
        if text not in cache:
            cache[text] = pseudonym(text, key)
        return cache[text]

    return convert, cache


def pseudonymise_tables(tables: Mapping[str, pd.DataFrame], key: bytes) -> dict[str, pd.DataFrame]:
    """Replace patient_id in every table; raises if two IDs would share a pseudonym (never seen in practice)."""
    convert, cache = _mapper(key)
    out = {}
    for name, frame in tables.items():
        if "patient_id" in frame:
            frame = frame.copy()
            frame["patient_id"] = frame["patient_id"].map(convert).astype(object)
        out[name] = frame
    if len(set(cache.values())) != len(cache):
        raise PseudonymKeyError("two patient IDs share a pseudonym: use another key")
    return out


def pseudonymise_findings(findings: Iterable[Finding], key: bytes) -> list[Finding]:
    """Replace patient IDs in findings: the patient_id field, and the value of a patient_id cell."""
    convert, _ = _mapper(key)
    out = []
    for finding in findings:
        changes = {}
        if finding.patient_id is not None:
            changes["patient_id"] = convert(finding.patient_id)
        if finding.column == "patient_id" and finding.value is not None and not finding.value.startswith("rows "):
            changes["value"] = convert(finding.value)
        out.append(dataclasses.replace(finding, **changes) if changes else finding)
    return out
