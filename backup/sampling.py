"""Decide which files are not worth compressing, so they go into COPY packages.

LZMA2 runs at a few MiB/s per core while COPY runs at hundreds, and already-compressed data
gains nothing from LZMA2 — so recognising it sets the backup window. The rule is in two steps:
the file-name suffix proposes, a quick sample confirms. The sample is the first 64 KiB
compressed with zlib level 1 (about 1 ms); if it saves less than 10 %, the file is stored.

- Files below `SAMPLE_MIN_BYTES` are judged by suffix alone: reading them costs more than
  packing them wrongly.
- Files with a known suffix and at least that size are sampled, because suffixes lie: a PDF is
  often mostly uncompressed text and fonts, a .zip may have been written with "store".
- Files with any other suffix are sampled only from `DETECT_MIN_BYTES` on, where a wrongly
  compressed file (a VM image of encrypted data, a .bak of a compressed dump) really costs time.

`is_incompressible` (one entry, as a job's scan meets it) and `classify_incompressible` (a set of
entry keys) are the impure part: they read files; their answer is what the pure planner takes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from backup.entry import EntryKind, FileEntry
from backup.names import native_path
from backup.reader import Opener, open_source

SAMPLE_BYTES = 64 * 1024
SAMPLE_MIN_BYTES = 64 * 1024
DETECT_MIN_BYTES = 4 * 1024 * 1024
# zlib-1 output / input at or above this: LZMA2 would save too little to be worth its time.
INCOMPRESSIBLE_RATIO = 0.90

_SUFFIX_GROUPS = {
    "archives and compressed streams": ".7z .zip .gz .tgz .bz2 .tbz2 .xz .txz .zst .tzst .lz .lz4 .lzma .rar"
    " .cab .arj .z .br .zpaq .sqsh .squashfs .dmg .jar .war .ear .apk .aab .ipa .whl .nupkg .deb .rpm .msi",
    "images": ".jpg .jpeg .jpe .jfif .png .gif .webp .heic .heif .avif .jxl .jp2",
    "audio and video": ".mp3 .aac .m4a .ogg .oga .opus .wma .flac .ape .mp4 .m4v .mkv .mov .avi .wmv .webm"
    " .flv .mpg .mpeg .ts .m2ts .3gp .rmvb",
    # PDFs are often mostly uncompressed text and fonts; the sample decides for the large ones.
    "office and e-book containers (zip inside)": ".docx .xlsx .pptx .docm .xlsm .pptm .odt .ods .odp .epub"
    " .pdf .vsdx .ofd",
    "encrypted": ".gpg .pgp .aes .kdbx",
}
INCOMPRESSIBLE_SUFFIXES = frozenset(suffix for group in _SUFFIX_GROUPS.values() for suffix in group.split())


def suffix_of(rel_path: str) -> str:
    """The lower-case suffix of the last path component, including the dot ('' if none)."""
    name = rel_path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def has_incompressible_suffix(rel_path: str) -> bool:
    return suffix_of(rel_path) in INCOMPRESSIBLE_SUFFIXES


def needs_sample(entry: FileEntry) -> bool:
    """Whether the rule wants a sample read for this entry."""
    if entry.kind is not EntryKind.FILE or entry.size < SAMPLE_MIN_BYTES:
        return False
    return has_incompressible_suffix(entry.rel_path) or entry.size >= DETECT_MIN_BYTES


def judge(entry: FileEntry, sample_ratio: float | None) -> bool:
    """True when the entry should be stored with COPY; `sample_ratio` is None when not sampled or unreadable."""
    if entry.kind is not EntryKind.FILE:
        return False
    if sample_ratio is None:
        return has_incompressible_suffix(entry.rel_path)
    return sample_ratio >= INCOMPRESSIBLE_RATIO


def sample_ratio(data: bytes) -> float:
    """Compressed size / size of a sample at zlib level 1 (1.0 or a little more for random data)."""
    if not data:
        return 0.0
    return len(zlib.compress(data, 1)) / len(data)


def read_sample(path: str, opener: Opener = open_source) -> bytes | None:
    """The first SAMPLE_BYTES of a file, or None if it cannot be read now (the packer will report it)."""
    try:
        with opener(path) as f:
            return f.read(SAMPLE_BYTES)
    except OSError:
        return None


def is_incompressible(entry: FileEntry, opener: Opener = open_source) -> bool:
    """Whether this entry belongs in a COPY package (reads its sample when the rule wants one)."""
    ratio = None
    if needs_sample(entry):
        data = read_sample(native_path(entry.source_root, entry.rel_path), opener)
        ratio = None if data is None else sample_ratio(data)
    return judge(entry, ratio)


def classify_incompressible(
    entries: Iterable[FileEntry], *, opener: Opener = open_source
) -> frozenset[tuple[str, str]]:
    """Keys of the entries that belong in COPY packages."""
    return frozenset(entry.key for entry in entries if is_incompressible(entry, opener))
