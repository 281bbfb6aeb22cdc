"""Blocks in and out for the volume format: writing with block-size fallback, reading frames.

`BlockWriter` writes data as blocks of the session's block size. If the host adapter refuses a
transfer that large (`TransferTooLarge`, nothing was sent), it halves the size — or jumps to the
adapter's limit when known — and carries on with smaller blocks (tape-scsi.md §1.3). A reader
does not care: it reads with SILI and a buffer at least as large as the largest block, and
frames and payloads are the concatenation of their blocks whatever their sizes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tape.drive import Drive
from tape.drive_messages import text
from tape.drive_types import ReadKind, ReadResult
from tape.transport import TransferTooLarge
from tape.transports.limits import MIN_BLOCK_SIZE, next_smaller_block_size
from tape.volume import FormatError, frame_length

log = logging.getLogger("taf.tape")
FallbackHook = Callable[[int, int], None]
LABEL_READ_LENGTH = 1 << 20  # a first block read of 1 MiB tells blank, TAF and foreign apart


class BlockWriter:
    """Writes a stream of records as tape blocks and remembers what happened on the way."""

    def __init__(self, drive: Drive, block_size: int, *, on_fallback: FallbackHook | None = None) -> None:
        self.drive = drive
        self.block_size = block_size
        self.on_fallback = on_fallback
        self.blocks = 0
        self.early_warning = False

    def write(self, data: bytes) -> int:
        """Write `data` as one block, or as several if it exceeds the (current) block size."""
        written = 0
        offset = 0
        total = len(data)
        while offset < total:
            size = self.block_size
            piece = data if offset == 0 and total <= size else data[offset : offset + size]
            try:
                result = self.drive.write_block(piece)
            except TransferTooLarge as refusal:
                smaller = next_smaller_block_size(size, refusal.limit, MIN_BLOCK_SIZE)
                if smaller is None:
                    raise
                self._fallback(size, smaller)
                continue
            self.early_warning = self.early_warning or result.early_warning
            self.blocks += 1
            written += 1
            offset += len(piece)
        return written

    def filemark(self) -> None:
        result = self.drive.write_filemarks(1)
        self.early_warning = self.early_warning or result.early_warning

    def _fallback(self, old: int, new: int) -> None:
        log.warning(text("transfer_fallback", old=old, new=new).message)
        self.block_size = new
        if self.on_fallback is not None:
            self.on_fallback(old, new)


class BlockReader:
    """Reads blocks with a buffer that shrinks if the adapter refuses the transfer."""

    def __init__(self, drive: Drive, length: int) -> None:
        self.drive = drive
        self.length = length
        self.last_kind: ReadKind | None = None  # what the last read met (a filemark moves past it)

    def read(self) -> ReadResult:
        while True:
            try:
                result = self.drive.read_block(self.length)
                self.last_kind = result.kind
                return result
            except TransferTooLarge as refusal:
                smaller = next_smaller_block_size(self.length, refusal.limit, MIN_BLOCK_SIZE)
                if smaller is None:
                    raise
                self.length = smaller

    def read_frame(self, first: bytes) -> bytes:
        """The whole frame that starts with block `first`: read further blocks until it is complete."""
        needed = frame_length(first)
        parts = [first]
        have = len(first)
        while have < needed:
            result = self.read()
            if result.kind is not ReadKind.DATA:
                raise FormatError("磁带文件在记录中途结束")
            parts.append(result.data)
            have += len(result.data)
        return b"".join(parts)[:needed]
