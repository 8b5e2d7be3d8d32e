"""The words and numbers a figure shows, in the reader's language (config `language`, issue #26).

Every figure module writes its texts in English with named placeholders and passes them through one
`Words` object, `settings.words` (`FigureSettings.language`):

    say = settings.words
    say("{name} by {group}", name=say("Overall survival"), group=...)
    say.percent(0.403)  # '40.3%' / '40,3%'

`say(text, **values)` looks the English text up in the reviewed catalogue
(outputs/translations/<language>.csv; English is returned as it is) and fills in the values, which
are already written in the language (numbers through ino_study.outputs.formats, labels through
`say.labels`). A text with no catalogue entry raises UntranslatedText naming the row to add, so no
English string reaches a Russian figure unnoticed. English output is exactly the text the code
wrote before translation existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ino_study.endpoints.labels import Labels
from ino_study.outputs.formats import (
    DEFAULT_PERCENT_DECIMALS, format_ci, format_count, format_count_percent, format_level, format_p_label,
    format_percent, join_range, localise_number,
)
from ino_study.outputs.language import catalogue, labels_in, localise_text, translate


@dataclass(frozen=True)
class Words:
    """Texts and numbers in `language` ("en" or "ru")."""

    language: str = "en"

    def __call__(self, text: str, /, **values: Any) -> str:
        """`text` (English, with {named} placeholders) in the language, filled with `values`."""
        translated = translate(text, self.language)
        return translated.format(**values) if values else translated

    def lines(self, text: str) -> str:
        """A text of several lines (a bar's label) translated line by line; its line breaks kept."""
        return "\n".join(self(line) for line in text.split("\n"))

    def note(self, text: str) -> str:
        """A note written by code outside the figures (a sampling statement) with its numbers in it:
        its catalogue pattern with the numbers as the language writes them (localise_text)."""
        return localise_text(text, self.language)

    def data(self, text: str) -> str:
        """A text from a data file a centre may edit (a published cohort's short name): its catalogue
        entry where it has one, else as the file writes it (like a centre's own labels)."""
        return catalogue(self.language).get(text, text)

    def labels(self, labels: Labels | None = None) -> Labels:
        """The variable and level labels in the language (a centre's own labels kept as written)."""
        return labels_in(self.language, labels)

    def count(self, n: Any) -> str:
        return format_count(n, language=self.language)

    def percent(self, value: Any, decimals: int = DEFAULT_PERCENT_DECIMALS, *, scale: float = 100.0,
                symbol: bool = True) -> str:
        return format_percent(value, decimals, scale=scale, symbol=symbol, language=self.language)

    def ci(self, lower: Any, upper: Any, decimals: int = DEFAULT_PERCENT_DECIMALS, *, scale: float = 100.0) -> str:
        return format_ci(lower, upper, decimals, scale=scale, language=self.language)

    def count_percent(self, count: Any, denominator: Any, decimals: int = 0) -> str:
        return format_count_percent(count, denominator, decimals, language=self.language)

    def level(self, level: float) -> str:
        """A confidence level: '95%'."""
        return format_level(level, language=self.language)

    def p_label(self, p: Any, name: str = "p") -> str:
        """'p = 0.047' ('Log-rank p = 0.60'); `name` is translated unless it is the bare 'p'."""
        return format_p_label(p, name if name == "p" else self(name), language=self.language)

    def number(self, value: float, spec: str = "g") -> str:
        """A plain number formatted by `spec` (format-spec mini-language), with the language's decimal mark."""
        return localise_number(format(value, spec), self.language)

    def range(self, lower: str, upper: str) -> str:
        """Two limits already written ('14.8%', '65.7%') joined as the language joins an interval."""
        return join_range(lower, upper, self.language)
