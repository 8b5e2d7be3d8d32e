"""The reader's language (config `language: en | ru`, issue #26): the translation catalogue and the
labels in each language. The catalogue is a plain CSV per language (outputs/translations/<lang>.csv,
columns en, ru, note) that a clinician can correct without reading code; numbers are written per
language by ino_study.outputs.formats."""

from __future__ import annotations

import csv
import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

from ino_study.endpoints.labels import Labels
from ino_study.outputs.formats import LANGUAGES, format_count, format_date, localise_number

CATALOGUE_DIR = Path(__file__).with_name("translations")
#: A named placeholder of a catalogue text: '{value}', '{date}' (not '{1}', a number's place).
_NAMED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UntranslatedText(KeyError):
    """A text shown to a reader has no entry in the language's catalogue."""

    def __str__(self) -> str:
        text, language, path = self.args
        return f"no {language} translation of {text!r}: add a row for it to {path}"


def catalogue_path(language: str) -> Path:
    return CATALOGUE_DIR / f"{language}.csv"


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """English text -> its translation, read from the language's CSV (empty for English). Fails on
    an unknown language, a duplicated English text or an empty translation, naming the row."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    if language == "en":
        return {}
    path = catalogue_path(language)
    entries: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            if None in row:  # more fields than columns: a comma in a text that is not quoted
                raise ValueError(f"{path}, row {row_number}: more than 3 fields; quote a text that has a comma")
            english, translated = (row.get("en") or "").strip(), (row.get(language) or "").strip()
            if not english or not translated:
                raise ValueError(f"{path}, row {row_number}: both 'en' and '{language}' must be filled in")
            if english in entries:
                raise ValueError(f"{path}, row {row_number}: {english!r} is listed twice")
            entries[english] = translated
    return entries


def translate(text: str, language: str) -> str:
    """`text` in `language` (English text is returned as it is); raises UntranslatedText if missing."""
    entries = catalogue(language)
    if language == "en":
        return text
    try:
        return entries[text]
    except KeyError:
        raise UntranslatedText(text, language, catalogue_path(language)) from None


def translate_template(template: str, language: str, **values: Any) -> str:
    """A catalogue text with named placeholders ('... records): {outcomes}.') in `language`, filled in
    with `values` (already in that language); English fills in the template itself."""
    text = translate(template, language)
    return _NAMED.sub(lambda m: str(values[m.group(1)]), text)


def labels_in(language: str, labels: Labels | None = None) -> Labels:
    """The variable and level labels in `language`: the dictionary's (or config-overridden) English
    labels translated through the catalogue. A centre's own label with no catalogue entry is kept as
    the centre wrote it (it is their text, already in their language)."""
    labels = labels or Labels()
    if language == "en":
        return labels
    entries = catalogue(language)
    return Labels(
        {name: entries.get(text, text) for name, text in labels.variables.items()},
        {variable: {key: entries.get(text, text) for key, text in levels.items()}
         for variable, levels in labels.levels.items()},
        {key: entries.get(text, text) for key, text in labels.generic.items()},
    )


def templates_path(name: str, language: str) -> Path:
    return CATALOGUE_DIR / f"{name}.{language}.yaml"


@lru_cache(maxsize=None)
def templates(name: str, language: str) -> dict:
    """The sentence templates of one text (e.g. 'summary': the Results paragraph) in `language`, read
    from translations/<name>.<language>.yaml, which a clinician can correct without reading code."""
    import yaml

    if language not in LANGUAGES or language == "en":
        raise ValueError(f"no {name} templates for language {language!r}: English is written by the code")
    with templates_path(name, language).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def plural(count: int, forms: str, language: str) -> str:
    """The noun after a count: `forms` is 'one|few|many' (Russian: 'пациент|пациента|пациентов' for 1,
    2 and 5 patients); English 'one|many'."""
    parts = forms.split("|")
    n = abs(int(count))
    if language == "ru":
        if len(parts) != 3:
            raise ValueError(f"Russian plural forms need three words (1|2|5), got {forms!r}")
        if n % 10 == 1 and n % 100 != 11:
            return parts[0]
        return parts[1] if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else parts[2]
    return parts[0] if n == 1 else parts[-1]


class _TemplateFormatter(string.Formatter):
    """str.format for templates: integers as counts in the language; '{n:пациент|пациента|пациентов}'
    writes the count and the noun in its form."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            text = format_count(value, language=self.language)
            return f"{text} {plural(value, format_spec, self.language)}" if format_spec else text
        return format(value, format_spec)


def fill(name: str, key: str, language: str, **values: Any) -> str:
    """One template of `name` in `language`, filled in; a missing template or placeholder names the file."""
    path = templates_path(name, language)
    text = templates(name, language).get(key)
    if not isinstance(text, str):
        raise UntranslatedText(f"{name} template {key!r}", language, path)
    try:
        return _TemplateFormatter(language).format(text, **values)
    except (KeyError, IndexError) as error:
        raise ValueError(f"{path}, template {key!r}: unknown placeholder {error}; "
                         f"available: {', '.join(sorted(values))}") from None


# ----------------------------------------------------------------------------- texts with numbers
#: A number as the English texts write it ('17', '1,000', '40.3'), not part of a word or code ('CD22', 'INO-006').
_NUMBER = re.compile(r"(?<![A-Za-z0-9.,])(?<![A-Za-z]-)(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![A-Za-z0-9])")
_PLACEHOLDER = re.compile(r"\{(\d+)\}")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-/.][A-Za-z0-9]+)*")


@lru_cache(maxsize=None)
def kept_in_latin(language: str) -> frozenset[str]:
    """Words the catalogue's own translations keep in Latin letters ('N', 'p', 'CTCAE', 'CAR-T'); a
    placeholder's name ('{value}') is not a word of the text."""
    return frozenset(word for text in catalogue(language).values()
                     for word in _LATIN_WORD.findall(_NAMED.sub("", text)))


def text_key(text: str) -> tuple[str, list[str]]:
    """`text` with its numbers replaced by {1}, {2}, ... (the catalogue's key) and the numbers, in order."""
    numbers: list[str] = []

    def number(match: re.Match) -> str:
        numbers.append(match.group(0))
        return "{" + str(len(numbers)) + "}"

    return _NUMBER.sub(number, text), numbers


def localise_text(text: str, language: str) -> str:
    """A text a reader sees, in `language`: its catalogue entry, else the entry of its pattern with the
    numbers as {1}, {2}, ... ('{1} of {2} patients' -> '{1} из {2} пациентов'; the translation may
    reorder them), the numbers written as the language writes them. A text with no English word
    ('8 (47%)', '24.7-75.3', or already translated) only has its numbers rewritten, with an en dash
    between an interval's limits. Levels joined by ' + ' are translated one by one. Raises
    UntranslatedText naming the pattern to add to the catalogue."""
    if language == "en" or not text:
        return text
    entries = catalogue(language)
    if text in entries:
        return entries[text]
    if " + " in text:  # a combination of levels ('PCR + NGS', the MRD methods of one patient)
        try:
            return " + ".join(localise_text(part, language) for part in text.split(" + "))
        except UntranslatedText:
            pass  # a sentence with a '+' in it ('last dose + 30 days'): looked up whole below
    key, numbers = text_key(text)
    local = [localise_number(n, language) for n in numbers]
    if key in entries:
        template = entries[key]
    elif all(word in kept_in_latin(language) for word in _LATIN_WORD.findall(key)):
        template = re.sub(r"(\{\d+\}%?)-(?=\{\d+\})", "\\1\u2013", key)
    else:
        raise UntranslatedText(key, language, catalogue_path(language))
    return _PLACEHOLDER.sub(lambda m: local[int(m.group(1)) - 1], template)


def localise_note(note: str, language: str) -> str:
    """A table's note in `language`, sentence by sentence (each sentence a catalogue entry, a template
    with named placeholders or a pattern: localise_message)."""
    if language == "en" or not note:
        return note
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", note.strip())
    return " ".join(localise_message(sentence, language) for sentence in sentences)


# ---------------------------------------------------------------------- messages with named placeholders
#: Placeholders whose value is itself a text of the catalogue ('{label}' in "{value} read as {label}");
#: a value with no entry is kept as written. Any other placeholder is data (a raw value, a file, a
#: column) and kept as written, except an ISO date and a number, written as the language writes them.
TRANSLATED_PLACEHOLDERS = frozenset({"label", "what", "format", "note"})
#: Placeholders whose value is a list ('a, b, c') of catalogue texts, each looked up as above.
TRANSLATED_LISTS = frozenset({"labels"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ENGLISH_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


@lru_cache(maxsize=None)
def message_patterns(language: str) -> tuple[tuple[re.Pattern, str], ...]:
    """(pattern, translation) of each catalogue text with named placeholders, the most specific (the
    longest fixed text) first: "dated after the data cut-off {date}" matches "... cut-off 2023-01-31"."""
    found = []
    for english, translated in catalogue(language).items():
        parts = _NAMED.split(english)
        if len(parts) == 1:
            continue
        names = parts[1::2]
        if len(set(names)) != len(names):
            raise ValueError(f"{catalogue_path(language)}: {english!r} names a placeholder twice")
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        found.append((len("".join(parts[0::2])), re.compile(regex, re.DOTALL), translated))
    found.sort(key=lambda item: -item[0])
    return tuple((pattern, translated) for _, pattern, translated in found)


def _placeholder_value(name: str, value: str, language: str) -> str:
    if name in TRANSLATED_LISTS:
        return ", ".join(localise_message(item, language, strict=False) for item in value.split(", "))
    if name in TRANSLATED_PLACEHOLDERS:
        return localise_message(value, language, strict=False)
    if _ISO_DATE.fullmatch(value):
        try:
            return format_date(value, language)
        except ValueError:  # '2023-02-30': not a date, a raw value
            return value
    if _ENGLISH_NUMBER.fullmatch(value):
        return localise_number(value, language)
    return value


def localise_message(text: str, language: str, strict: bool = True) -> str:
    """A message the pipeline writes (a data-quality finding's rule or action), in `language`: its
    catalogue entry; else the entry of a template with named placeholders ("dated after the data
    cut-off {date}" -> "дата позже даты среза данных {date}"), filled in as TRANSLATED_PLACEHOLDERS
    says, tried after the entry of the text with its numbers as {1}, {2}, ... (localise_text); notes
    joined by '; ' part by part first.
    Raises UntranslatedText (strict) or returns the text as it is (not strict: a file name)."""
    if language == "en" or not text:
        return text
    entries = catalogue(language)
    if text in entries:
        return entries[text]
    if "; " in text:  # notes joined by '; ' (a template's own '; ' is tried next)
        try:
            return "; ".join(localise_message(part, language) for part in text.split("; "))
        except UntranslatedText:
            pass
    try:  # a whole text with only its numbers left open is more specific than a named template
        return localise_text(text, language)
    except UntranslatedText as error:
        untranslated = error
    for pattern, translated in message_patterns(language):
        match = pattern.fullmatch(text)
        if match:
            values = {name: _placeholder_value(name, value, language) for name, value in match.groupdict().items()}
            return _NAMED.sub(lambda m: values[m.group(1)], translated)
    if strict:
        raise untranslated
    return text
