"""The on-tape format, version 1 (docs/磁带格式.md describes it byte for byte).

Every TAF record on tape is a *frame*:

    offset  size  field
    0       8     magic: b"TAFLABEL", b"TAFPKGHD", b"TAFMANIF" or b"TAFINDEX"
    8       2     format version, big-endian (1)
    10      2     flags, big-endian (bit 0: body is zlib-compressed)
    12      8     body length in bytes, big-endian
    20      32    SHA-256 of the body as stored
    52      …     body: UTF-8 JSON with sorted keys (zlib-compressed when flag bit 0 is set)

A frame is cut into blocks of the tape's block size B (the last block may be short).

    tape file 0       label frame (one block), filemark
    tape file k ≥ 1   package: header frame (one block), manifest frame (n blocks),
                      the 7z archive cut into blocks of B, filemark
    after a session   index frame (m blocks), filemark

Concatenating a package's payload blocks gives a valid `.7z` file any 7z tool opens.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from kernel.errors import EXIT_DEVICE, TafError

FORMAT_NAME = "TAF-TAPE"
FORMAT_VERSION = 1
LABEL_MAGIC = b"TAFLABEL"
HEADER_MAGIC = b"TAFPKGHD"
MANIFEST_MAGIC = b"TAFMANIF"
INDEX_MAGIC = b"TAFINDEX"
MAGICS = (LABEL_MAGIC, HEADER_MAGIC, MANIFEST_MAGIC, INDEX_MAGIC)
FLAG_ZLIB = 0x0001
_PREFIX = struct.Struct(">8sHHQ32s")
PREFIX_SIZE = _PREFIX.size  # 52
MIN_BLOCK_SIZE = 4096


class FormatError(TafError):
    """A block that is not what TAF format v1 says it should be.

    `message` says what is wrong with the block; `text`, what a face shows, says first that the
    data on the tape is not TAF format.
    """

    exit_code = EXIT_DEVICE
    default_message = "磁带上的数据不是有效的 TAF 格式"

    def __init__(self, message: str) -> None:
        super().__init__(message)

    @property
    def text(self) -> str:
        return f"{self.default_message}：{self.message}"


def encode_frame(magic: bytes, body: dict[str, Any], *, compress: bool = False) -> bytes:
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    flags = 0
    if compress:
        raw = zlib.compress(raw, 6)
        flags |= FLAG_ZLIB
    return _PREFIX.pack(magic, FORMAT_VERSION, flags, len(raw), hashlib.sha256(raw).digest()) + raw


def frame_length(first_block: bytes) -> int:
    """Total bytes of the frame that starts in `first_block`."""
    if len(first_block) < PREFIX_SIZE:
        raise FormatError("数据块太短，不是 TAF 格式")
    magic, version, _flags, length, _digest = _PREFIX.unpack_from(first_block)
    if magic not in MAGICS:
        raise FormatError("数据块不是 TAF 格式（标识不符）")
    if version != FORMAT_VERSION:
        raise FormatError(f"不支持的磁带格式版本 {version}")
    return PREFIX_SIZE + int(length)


def decode_frame(data: bytes, expected_magic: bytes | None = None) -> tuple[bytes, dict[str, Any]]:
    """Return (magic, body) of a complete frame; the checksum must match."""
    total = frame_length(data)
    if len(data) < total:
        raise FormatError(f"记录不完整：需要 {total} 字节，只有 {len(data)} 字节")
    magic, _version, flags, length, digest = _PREFIX.unpack_from(data)
    if expected_magic is not None and magic != expected_magic:
        raise FormatError(f"期望 {expected_magic.decode()} 记录，读到的是 {magic.decode(errors='replace')}")
    raw = data[PREFIX_SIZE:PREFIX_SIZE + length]
    if hashlib.sha256(raw).digest() != digest:
        raise FormatError("记录校验和不符，数据已损坏")
    if flags & FLAG_ZLIB:
        raw = zlib.decompress(raw)
    return magic, json.loads(raw.decode("utf-8"))


def split_blocks(data: bytes, block_size: int) -> list[bytes]:
    if block_size < MIN_BLOCK_SIZE:
        raise FormatError(f"块大小 {block_size} 太小，至少 {MIN_BLOCK_SIZE} 字节")
    return [data[i:i + block_size] for i in range(0, len(data), block_size)] or [b""]


@dataclass(frozen=True)
class Label:
    volume_serial: str
    barcode: str
    pool: str
    labelled_at: str
    label_sequence: int
    block_size: int
    ledger_id: str
    program_version: str
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION

    def encode(self) -> bytes:
        return encode_frame(LABEL_MAGIC, asdict(self))

    @classmethod
    def decode(cls, block: bytes) -> Label:
        _, body = decode_frame(block, LABEL_MAGIC)
        if body.get("format") != FORMAT_NAME:
            raise FormatError("标签不是 TAF 磁带标签")
        return cls(**{k: body[k] for k in cls.__dataclass_fields__ if k in body})


def is_taf_label(block: bytes) -> bool:
    try:
        Label.decode(block)
    except (FormatError, KeyError, TypeError, ValueError, zlib.error):
        return False
    return True


@dataclass(frozen=True)
class PackageHeader:
    package_id: str
    job_id: str
    group: str
    sequence: int
    compression: str
    payload_bytes: int
    payload_sha256: str
    manifest_blocks: int
    manifest_sha256: str
    block_size: int
    created_at: str
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        return encode_frame(HEADER_MAGIC, asdict(self))

    @classmethod
    def decode(cls, block: bytes) -> PackageHeader:
        _, body = decode_frame(block, HEADER_MAGIC)
        return cls(**{k: body[k] for k in cls.__dataclass_fields__ if k in body})

    @property
    def payload_blocks(self) -> int:
        return max(1, -(-self.payload_bytes // self.block_size))


def encode_manifest(entries: list[dict[str, Any]]) -> bytes:
    return encode_frame(MANIFEST_MAGIC, {"entries": entries}, compress=True)


def decode_manifest(data: bytes) -> list[dict[str, Any]]:
    _, body = decode_frame(data, MANIFEST_MAGIC)
    return list(body["entries"])


def package_records(header_fields: dict[str, Any], manifest: list[dict[str, Any]],
                    block_size: int) -> tuple[PackageHeader, list[bytes]]:
    """The header block and the manifest blocks of a package, ready to write before its payload."""
    manifest_frame = encode_manifest(manifest)
    manifest_blocks = split_blocks(manifest_frame, block_size)
    header = PackageHeader(**header_fields, manifest_blocks=len(manifest_blocks),
                           manifest_sha256=hashlib.sha256(manifest_frame).hexdigest(), block_size=block_size)
    encoded = header.encode()
    if len(encoded) > block_size:
        raise FormatError(f"数据包头 {len(encoded)} 字节，超过块大小 {block_size}")
    return header, [encoded, *manifest_blocks]


@dataclass(frozen=True)
class IndexEntry:
    package_id: str
    tape_file: int
    header_block: int
    payload_block: int
    payload_blocks: int
    header: dict[str, Any]


@dataclass(frozen=True)
class TapeIndex:
    volume_serial: str
    label_sequence: int
    written_at: str
    chain_head: str
    packages: list[IndexEntry]

    def encode(self) -> bytes:
        body = asdict(self)
        return encode_frame(INDEX_MAGIC, body, compress=True)

    @classmethod
    def decode(cls, data: bytes) -> TapeIndex:
        _, body = decode_frame(data, INDEX_MAGIC)
        packages = [IndexEntry(**entry) for entry in body.pop("packages")]
        return cls(packages=packages, **body)


def frame_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-join blocks read from tape into frames (a frame may span several blocks)."""
    pending = b""
    needed = 0
    for block in blocks:
        if not pending:
            needed = frame_length(block)
        pending += block
        if len(pending) >= needed:
            yield pending[:needed]
            pending = b""
    if pending:
        raise FormatError("磁带文件在记录中途结束")
