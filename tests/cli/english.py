"""Finds English an operator would read in a command's output (MISSION R1: every word is Chinese).

Identifiers stay as they are: paths, barcodes, device names, event types (`Cartridge.Labelled`),
setting keys (`scheduler_enabled`), hashes, numbers with their units, the command words an operator
types (`python main.py audit verify`, `--force`) and the names of products and standards. Anything
else made of Latin letters — "manual", "False", "Permission denied", "Error" — is reported.
"""

from __future__ import annotations

import re

from cli.app import build_parser

# Names of things and standards, and the units of sizes and speeds.
NAMES = frozenset({
    "TAF", "API", "JSON", "SQLite", "openGauss", "PostgreSQL", "Redis", "Huey", "LTO", "SCSI", "SHA", "UTC",
    "LZMA", "IBM", "TapeAlert", "CDB", "JWT", "Bearer", "Authorization", "cron", "Windows", "Linux", "SPTI",
    "B", "KiB", "MiB", "GiB", "TiB", "s", "ISO", "GOOD", "CHECK", "CONDITION", "EOD", "EOM", "py7zr",
    "emulated",  # the emulator's device name (its drives are emulated:0, emulated:1 …)
})
# A chunk of printable ASCII holding one of these, or a digit, is an identifier: a path, a barcode, a
# device (emulated:0), an event type, a setting key, a number, an option, a user (cli:root).
_IDENTIFIER = re.compile(r"[/\\:_.@=#*0-9<>{}\[\]|+-]")
_CHUNK = re.compile(r"[\x21-\x7e]+")
_WORD = re.compile(r"[A-Za-z]+")


def _command_words() -> frozenset[str]:
    """Every command, subcommand and choice word of `python main.py` (identifiers one types)."""
    words: set[str] = {"python", "main"}
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        for action in parser._actions:  # argparse keeps its subparsers here
            for choice in getattr(action, "choices", None) or ():
                if isinstance(choice, str):
                    words.add(choice)
            if hasattr(action, "_name_parser_map"):
                pending.extend(action._name_parser_map.values())
    return frozenset(words)


ALLOWED = NAMES | _command_words()


def english_words(line: str) -> list[str]:
    """The words in `line` that are English prose rather than identifiers."""
    found = []
    for chunk in _CHUNK.findall(line):
        bare = chunk.strip("()[]{},;:\"'`!?")
        if not bare or _IDENTIFIER.search(bare):
            continue
        found += [word for word in _WORD.findall(bare) if word not in ALLOWED]
    return found


def english_lines(text: str) -> list[str]:
    """The lines of `text` with English in them, each followed by the words found."""
    return [f"{line}  ←  {' '.join(words)}" for line in text.splitlines() if (words := english_words(line))]
