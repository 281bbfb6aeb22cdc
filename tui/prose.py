"""Chinese prose that wraps like Chinese: between any two characters, not only at spaces.

Rich and Textual wrap at whitespace. A Chinese sentence has none except around the Latin words in
it ("擦除会清除磁带 TAF003L9 上的全部数据……"), so the whole run after the last space moves to the
next line and leaves half a line empty. `Prose` breaks between Chinese characters, keeps a Latin
word (a barcode, a path, a size) whole unless it is wider than the line, and keeps Chinese
punctuation off the start of a line (、，。 …) and opening brackets off its end (（ “ …), the
common rule of Chinese typesetting. `Para` is a `Static` that shows its words so.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

NOT_AT_START = frozenset("、，。：；！？）】》」』”’…—·")
NOT_AT_END = frozenset("（【《「『“‘")


def _narrow(char: str) -> bool:
    """A character of a Latin word: not a space, not two cells wide, not Chinese punctuation."""
    return (not char.isspace() and unicodedata.east_asian_width(char) not in ("W", "F")
            and char not in NOT_AT_START and char not in NOT_AT_END)


def _units(line: str) -> list[str]:
    """The pieces a line may be broken between, each with the spaces after it: a Chinese character
    (with the punctuation that must follow it, or after the opening bracket that must precede it),
    or a Latin word."""
    units: list[str] = []
    start = 0
    while start < len(line):
        end = start + 1
        if _narrow(line[start]):
            while end < len(line) and _narrow(line[end]):
                end += 1
        while end < len(line) and line[end].isspace():
            end += 1
        piece = line[start:end]
        if units and (piece[0] in NOT_AT_START or units[-1].rstrip()[-1:] in NOT_AT_END):
            units[-1] += piece
        else:
            units.append(piece)
        start = end
    return units


def break_offsets(line: str, width: int) -> list[int]:
    """Where to break `line` (one paragraph, no newline) so no piece is wider than `width` cells."""
    offsets: list[int] = []
    used = position = 0
    for unit in _units(line):
        if used and used + cell_len(unit.rstrip()) > width:
            offsets.append(position)
            used = 0
        while cell_len(unit.rstrip()) > width:  # wider than a line on its own: cut it at the edge
            cut = cells = 0
            while cells + cell_len(unit[cut]) <= width:
                cells += cell_len(unit[cut])
                cut += 1
            cut = max(cut, 1)
            position += cut
            offsets.append(position)
            unit = unit[cut:]
        used += cell_len(unit)
        position += len(unit)
    return offsets


class Prose:
    """A Rich renderable: `text` (a str or a styled Text) wrapped the Chinese way at the width given."""

    def __init__(self, text: str | Text) -> None:
        self.text = Text(text) if isinstance(text, str) else text

    def lines(self, width: int) -> list[Text]:
        lines: list[Text] = []
        for paragraph in self.text.split("\n", allow_blank=True):
            for piece in paragraph.divide(break_offsets(paragraph.plain, max(2, width))):
                piece.rstrip()
                piece.end = "\n"
                lines.append(piece)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((cell_len(line) for line in self.text.plain.split("\n")), default=0)
        return Measurement(min(longest, 2), min(longest, options.max_width))

    def __str__(self) -> str:
        return self.text.plain


def prose(content: VisualType) -> VisualType:
    """Words (a str or a Text) as `Prose`; anything else (a table, a group) as it is."""
    return Prose(content) if isinstance(content, str | Text) else content


class Para(Static):
    """A `Static` whose words wrap the Chinese way."""

    def __init__(self, content: VisualType = "", **options: Any) -> None:
        super().__init__(prose(content), **options)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(prose(content), layout=layout)
