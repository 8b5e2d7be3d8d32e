"""Column maps (config key `column_map`): a centre's own headers, in any language, read as contract columns.

Per contract table, `column_map` maps a header as the centre's export writes it to the contract column
it holds, e.g. `patients: {"ИД пациента": patient_id, "Пол": sex}`
(`config/examples/russian_headers.yaml` maps every column of the Russian-header SYNTHETIC export).

- A header in the map is matched case- and whitespace-insensitively, as contract names are
  (`"пол "` is `"Пол"`).
- The map is applied before the contract check: a mapped header counts as its contract column when the
  header row is looked for and when required columns are checked. Headers not in the map are matched to
  contract names as usual; other columns are ignored.
- The map itself is checked before any step runs: a table or a contract column that does not exist, a
  header given twice, or two headers of a table mapped to the same contract column stop the run with a
  message naming the table, the header and the column.
- A mapped header that is not in the file's header row, or a contract column given twice (by a mapped
  header and by its own name, or by a mapped header written twice) is an error naming the file and sheet.
- With a map, a required column neither in the header nor mapped is an error that also lists the
  headers the file has.
- A header mapped to an identifier column (`"ФИО": full_name`) is an identifier like any other: dropped
  on reading, its values never written out. The headers of the map are not patient data: the
  data-quality report lists the mapping applied (table, header, contract column).
"""

from __future__ import annotations

from typing import Any, Mapping

from ino_study.records.contract import TABLES, TABLES_BY_NAME, normalise_name

#: Per table: normalised header -> (header as configured, contract column).
ColumnMap = dict[str, dict[str, tuple[str, str]]]


def column_map_problems(column_map: Mapping[str, Any] | None) -> list[tuple[str | None, str]]:
    """Problems of a column map as (table or None, sentence); empty when the map can be applied."""
    problems: list[tuple[str | None, str]] = []
    for table_name, entries in (column_map or {}).items():
        table = TABLES_BY_NAME.get(str(table_name))
        if table is None:
            problems.append((None, f"'{table_name}' is not a table of the contract (tables: "
                                   + ", ".join(t.name for t in TABLES) + ")"))
            continue
        if not isinstance(entries, Mapping):
            problems.append((table.name, "must map each header to a contract column"))
            continue
        columns = [c.name for c in table.columns]
        headers: dict[str, str] = {}  # normalised header -> header as configured
        targets: dict[str, str] = {}  # contract column -> header as configured
        for header, column in entries.items():
            header = str(header)
            key = normalise_name(header)
            if not key:
                problems.append((table.name, f"a blank header (mapped to '{column}')"))
                continue
            if not isinstance(column, str) or column not in columns:
                problems.append((table.name, f"header '{header}' maps to '{column}', which is not a column of table "
                                             f"'{table.name}' (its columns: {', '.join(columns)})"))
                continue
            if key in headers:
                problems.append((table.name, f"headers '{headers[key]}' and '{header}' are the same header "
                                             "(matched case- and whitespace-insensitively)"))
                continue
            if column in targets:
                problems.append((table.name, f"headers '{targets[column]}' and '{header}' both map to contract "
                                             f"column '{column}'"))
                continue
            headers[key] = header
            targets[column] = header
    return problems


def problem_messages(column_map: Mapping[str, Any] | None) -> list[str]:
    """The problems of a column map as lines naming the config key (for the workflow's start-up check)."""
    return [f"config key column_map{'' if table is None else '.' + table}: {text}"
            for table, text in column_map_problems(column_map)]


def resolve_column_map(column_map: Mapping[str, Any] | None) -> ColumnMap | None:
    """The map per table, headers normalised; None for no map at all (reading exactly as without one).

    Assumes `column_map_problems(column_map)` is empty.
    """
    if not column_map:
        return None
    return {str(table): {normalise_name(h): (str(h), c) for h, c in entries.items()}
            for table, entries in column_map.items()}


def mapping_rows(column_map: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(table, header, contract column) of a map, tables in contract order, headers as configured."""
    rows = []
    for table in TABLES:
        for header, column in ((column_map or {}).get(table.name) or {}).items():
            rows.append((table.name, str(header), str(column)))
    return rows


def header_listing(header: tuple) -> str:
    """The non-blank cells of a header row, quoted, as a message lists them."""
    cells = [str(v).replace("\xa0", " ").strip() for v in header if v is not None]
    return ", ".join(f"'{c}'" for c in cells if c) or "no named columns"
