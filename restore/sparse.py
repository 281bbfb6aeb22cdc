"""A package's payload as py7zr sees it, when only some of its bytes were read from tape.

`SparsePayload` is a read-only, seekable file of the payload's full size that serves the ranges
it was given — the 7z start header and end header (from the ledger or the tape), the packed bytes
of the solid blocks read from tape (kept in a staging file, not in memory) — and raises
`NotRead` for any other byte. py7zr decompresses each folder from its own packed bytes, so a
correct layout never touches a byte that was not read; a wrong one fails loudly here instead of
decompressing zeros.
"""

from __future__ import annotations

import bisect
import io
import os
from dataclasses import dataclass
from typing import BinaryIO, cast

from kernel.errors import TafError


class NotRead(TafError):
    """py7zr asked for payload bytes that were not read from tape (the layout does not fit); the
    restore then reads the whole package, so a person sees this only as a note."""

    default_message = "数据包中要用的字节没有从磁带读出"

    def __init__(self, offset: int) -> None:
        super().__init__(detail=f"偏移 {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Piece:
    """Payload bytes [start, start + length) held in `data`, or in `backing` at `backing_offset`."""

    start: int
    length: int
    data: bytes | None = None
    backing_offset: int = 0

    @property
    def end(self) -> int:
        return self.start + self.length


class SparsePayload(io.RawIOBase):
    """The payload of `size` bytes, of which only `pieces` are known (see module doc)."""

    def __init__(self, size: int, pieces: list[Piece], backing: BinaryIO | None = None) -> None:
        super().__init__()
        self._size = size
        self._pieces = sorted((p for p in pieces if p.length > 0), key=lambda p: p.start)
        self._starts = [piece.start for piece in self._pieces]
        self._backing = backing
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._position = base + offset
        return self._position

    def _piece_at(self, offset: int) -> Piece | None:
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0 and offset < self._pieces[index].end:
            return self._pieces[index]
        return None

    def read(self, size: int | None = -1) -> bytes:
        """Bytes from the current position, stopping at the end of the piece that holds it."""
        if self._position >= self._size or size == 0:
            return b""
        piece = self._piece_at(self._position)
        if piece is None:
            raise NotRead(self._position)
        available = min(piece.end, self._size) - self._position
        count = available if size is None or size < 0 else min(size, available)
        skip = self._position - piece.start
        if piece.data is not None:
            chunk = piece.data[skip:skip + count]
        else:
            assert self._backing is not None
            self._backing.seek(piece.backing_offset + skip)
            chunk = self._backing.read(count)
            if len(chunk) != count:
                raise NotRead(self._position + len(chunk))
        self._position += len(chunk)
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        memoryview(buffer)[:len(chunk)] = chunk
        return len(chunk)

    @property
    def as_binary(self) -> BinaryIO:
        """This object where py7zr's types want a binary file (it reads it as one)."""
        return cast(BinaryIO, self)

    def close(self) -> None:
        self._backing = None  # the staging file belongs to the caller
        super().close()
