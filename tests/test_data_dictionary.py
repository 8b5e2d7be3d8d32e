"""docs/data_dictionary.md is generated from the contract and the parsers, and is kept up to date."""

from __future__ import annotations

from pathlib import Path

from ino_study.records import contract, parse
from ino_study.records.dictionary import data_dictionary_markdown, main, parser_sections

DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def test_committed_dictionary_is_up_to_date():
    expected = data_dictionary_markdown()
    assert DICTIONARY.read_text(encoding="utf-8") == expected, (
        "docs/data_dictionary.md is stale: run "
        "PYTHONPATH=workflow/src python -m ino_study.records.dictionary docs/data_dictionary.md"
    )


def test_every_table_and_column_is_documented():
    text = data_dictionary_markdown()
    for table in contract.TABLES:
        assert f"### `{table.name}`" in text
        section = text.split(f"### `{table.name}`", 1)[1].split("\n### ", 1)[0]
        for column in table.columns:
            assert f"| `{column.name}` |" in section, (table.name, column.name)


def test_every_kind_has_its_parser_rules_and_spellings():
    _, kinds = parser_sections()
    assert set(kinds) >= {c.kind for t in contract.TABLES for c in t.columns}
    text = data_dictionary_markdown()
    for spelling in (*parse.YES_SPELLINGS, *parse.DEAD_SPELLINGS, *parse.MRD_NEGATIVE_SPELLINGS):
        assert f"`{spelling}`" in text


def test_rules_of_reading_and_cleaning_are_documented():
    text = data_dictionary_markdown()
    for phrase in ("formula without a cached value", "percent", "patient_id is not in the patients table",
                   "a CTCAE grade is 1 to 5", "no InO dose recorded on or before the cut-off", "INO_PSEUDONYM_KEY"):
        assert phrase in text, phrase


def test_generator_writes_the_file(tmp_path):
    target = tmp_path / "dictionary.md"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == data_dictionary_markdown()
