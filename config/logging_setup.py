"""Rotating file log plus console, from LOG_FILE and LOG_LEVEL."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_taf_handler"


def tape_log_file(log_file: Path) -> Path:
    """The tape command log: its own rolling file beside LOG_FILE."""
    return log_file.with_name("tape.log")


def setup_logging(log_file: Path, level: str = "INFO", *, console: bool = True) -> None:
    """Attach TAF's handlers once; calling again only changes the level and the file."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=10 * 1024 * 1024, backupCount=10, encoding="utf-8")
    handlers: list[logging.Handler] = [file_handler]
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    # The tape command log goes to its own rolling file beside the main log, for the web and TUI views.
    tape_logger = logging.getLogger("taf.tape")
    for handler in [h for h in tape_logger.handlers if getattr(h, _MARK, False)]:
        tape_logger.removeHandler(handler)
        handler.close()
    tape_handler = logging.handlers.RotatingFileHandler(
        tape_log_file(log_file), maxBytes=10 * 1024 * 1024, backupCount=10, encoding="utf-8")
    tape_handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(tape_handler, _MARK, True)
    tape_logger.addHandler(tape_handler)
