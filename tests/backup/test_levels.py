"""COMPRESSION_LEVEL → LZMA2 options: 7-Zip's -mx scale, valid for liblzma."""

from __future__ import annotations

import lzma

import py7zr
import pytest

from backup.levels import Codec, filters_for, lzma2_options


@pytest.mark.parametrize("level", range(10))
def test_every_level_is_a_valid_lzma2_filter(level):
    options = lzma2_options(level)
    encoded = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA2, **options})
    assert len(encoded) == 1


def test_levels_follow_7zip_dictionary_sizes():
    sizes = [lzma2_options(level)["dict_size"] for level in range(1, 10)]
    assert sizes == [2**18, 2**20, 2**22, 2**23, 2**24, 2**25, 2**25, 2**26, 2**26]
    assert [lzma2_options(level)["mode"] for level in (4, 5)] == [lzma.MODE_FAST, lzma.MODE_NORMAL]


def test_higher_levels_never_search_less():
    for key in ("nice_len", "dict_size"):
        values = [lzma2_options(level)[key] for level in range(10)]
        assert values == sorted(values)
    fast_depths = [lzma2_options(level)["depth"] for level in range(5)]
    assert fast_depths == sorted(fast_depths)


@pytest.mark.parametrize("level", [-1, 10, "9"])
def test_out_of_range_levels_are_refused(level):
    with pytest.raises(ValueError):
        lzma2_options(level)


def test_copy_and_lzma2_filter_chains_have_no_bcj():
    assert filters_for(Codec.COPY, 9) == [{"id": py7zr.FILTER_COPY}]
    (only,) = filters_for(Codec.LZMA2, 6)
    assert only["id"] == py7zr.FILTER_LZMA2


def _stdlib_sample(total: int) -> bytes:
    """Real text: the first `total` bytes of this Python's standard library sources, in name order."""
    import sysconfig
    from pathlib import Path

    out = bytearray()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        out += path.read_bytes()
        if len(out) >= total:
            break
    return bytes(out[:total])


def test_each_level_up_to_6_compresses_real_text_at_least_as_well_as_the_one_below():
    sample = _stdlib_sample(1 << 20)
    sizes = []
    for level in range(7):
        encoder = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, **lzma2_options(level)}])
        sizes.append(len(encoder.compress(sample) + encoder.flush()))
    assert sizes == sorted(sizes, reverse=True), sizes
    assert sizes[0] < len(sample) / 3  # level 0 is still real compression, not a token effort
