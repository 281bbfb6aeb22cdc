"""Which files go to COPY packages: suffix proposes, a sample confirms."""

from __future__ import annotations

import pytest

from backup import sampling
from backup.entry import EntryKind
from backup.sampling import (
    classify_incompressible,
    has_incompressible_suffix,
    judge,
    needs_sample,
    sample_ratio,
    suffix_of,
)
from tests.backup.conftest import file_entry, random_bytes, text_bytes, write_file


@pytest.mark.parametrize(
    ("rel", "suffix"),
    [
        ("a/b/photo.JPG", ".jpg"),
        ("archive.tar.gz", ".gz"),
        ("noext", ""),
        (".bashrc", ""),
        ("dir.d/file", ""),
    ],
)
def test_suffix_of(rel, suffix):
    assert suffix_of(rel) == suffix


@pytest.mark.parametrize(
    "rel",
    [
        "x.7z",
        "x.zip",
        "y.gz",
        "a.bz2",
        "a.xz",
        "a.zst",
        "p.jpg",
        "p.jpeg",
        "p.png",
        "v.mp4",
        "v.mkv",
        "v.mov",
        "s.mp3",
        "s.aac",
        "d.docx",
        "d.xlsx",
        "d.pptx",
        "d.pdf",
    ],
)
def test_known_compressed_suffixes(rel):
    assert has_incompressible_suffix(rel)


@pytest.mark.parametrize("rel", ["a.txt", "a.log", "a.csv", "db.sqlite", "a.doc", "a.tar"])
def test_compressible_suffixes(rel):
    assert not has_incompressible_suffix(rel)


def test_small_files_are_judged_by_suffix_without_reading():
    small = file_entry("p.jpg", sampling.SAMPLE_MIN_BYTES - 1)
    assert not needs_sample(small)
    assert judge(small, None) is True
    assert judge(file_entry("a.txt", 10), None) is False


def test_large_files_with_known_suffix_are_sampled_and_the_sample_wins():
    big_pdf = file_entry("report.pdf", sampling.SAMPLE_MIN_BYTES)
    assert needs_sample(big_pdf)
    assert judge(big_pdf, 0.3) is False  # a text-heavy PDF is compressed after all
    assert judge(big_pdf, 0.99) is True


def test_unknown_suffix_is_sampled_only_when_large():
    assert not needs_sample(file_entry("vm.img", sampling.DETECT_MIN_BYTES - 1))
    assert needs_sample(file_entry("vm.img", sampling.DETECT_MIN_BYTES))


def test_directories_and_links_are_never_incompressible():
    assert judge(file_entry("d.zip", kind=EntryKind.DIR), None) is False
    assert not needs_sample(file_entry("d.zip", kind=EntryKind.SYMLINK))


def test_sample_ratio_tells_random_from_text():
    assert sample_ratio(random_bytes(65536)) >= sampling.INCOMPRESSIBLE_RATIO
    assert sample_ratio(text_bytes(65536)) < 0.5
    assert sample_ratio(b"") == 0.0


def test_classify_reads_samples_from_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(sampling, "DETECT_MIN_BYTES", 200_000)
    root = str(tmp_path)
    files = {
        "small.jpg": b"tiny",  # suffix alone
        "text.pdf": text_bytes(100_000),  # suffix says store, sample says compress
        "photo.jpg": random_bytes(100_000),  # both say store
        "blob.bin": random_bytes(250_000),  # unknown suffix, large, random
        "notes.txt": text_bytes(250_000),
    }
    entries = []
    for rel, data in files.items():
        write_file(tmp_path / rel, data)
        entries.append(file_entry(rel, len(data), root=root))
    flagged = classify_incompressible(entries)
    assert flagged == {(root, "small.jpg"), (root, "photo.jpg"), (root, "blob.bin")}


def test_unreadable_sample_falls_back_to_the_suffix(tmp_path):
    def refuse(path):
        raise PermissionError(13, "denied", path)

    entries = [
        file_entry("a.zip", 100_000, root=str(tmp_path)),
        file_entry("a.txt", 100_000, root=str(tmp_path)),
    ]
    assert classify_incompressible(entries, opener=refuse) == {(str(tmp_path), "a.zip")}
