"""Name rules: portable manifest names, safe member names, Windows paths."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backup.names import (
    chunk_suffix,
    decode_name,
    display_name,
    encode_name,
    escaped_member_name,
    is_plain_component,
    is_safe_member,
    long_path_form,
    member_name,
    native_path,
    root_tag,
)


def test_valid_names_are_stored_as_they_are():
    assert encode_name("报告/二〇二六年 月报.docx") == ("报告/二〇二六年 月报.docx", None)


def test_invalid_utf8_posix_name_round_trips_through_the_manifest_form():
    name = b"caf\xe9-\xff.txt".decode("utf-8", "surrogateescape")
    shown, raw = encode_name(name, windows=False)
    assert shown == "caf\\xe9-\\xff.txt"
    assert raw is not None and raw.startswith("posix:")
    assert decode_name(shown, raw) == name
    assert decode_name(shown, raw).encode("utf-8", "surrogateescape") == b"caf\xe9-\xff.txt"


def test_windows_lone_surrogate_round_trips_as_wtf8():
    name = "a\ud800b"
    shown, raw = encode_name(name, windows=True)
    assert shown == "a\\ud800b"
    assert raw is not None and raw.startswith("wtf8:")
    assert decode_name(shown, raw) == name


def test_unknown_raw_scheme_is_refused():
    with pytest.raises(ValueError):
        decode_name("x", "ebcdic:AAAA")


@given(st.binary(min_size=1, max_size=40))
def test_any_posix_byte_name_round_trips(raw_bytes):
    name = raw_bytes.decode("utf-8", "surrogateescape")
    shown, raw = encode_name(name, windows=False)
    shown.encode("utf-8")  # always storable as UTF-8 text
    assert decode_name(shown, raw).encode("utf-8", "surrogateescape") == raw_bytes


def test_display_name_keeps_valid_text():
    assert display_name("数据 2026") == "数据 2026"


@pytest.mark.parametrize("part", ["a", "数据", "with space", "dot.", "co:lon", "é"])
def test_plain_components(part):
    assert is_plain_component(part)


@pytest.mark.parametrize("part", ["", ".", "..", "new\nline", "tab\t", "back\\slash", "bad\udcff", "del\x7f"])
def test_components_that_need_escaping(part):
    assert not is_plain_component(part)


@pytest.mark.parametrize(
    ("root", "windows", "tag"),
    [
        ("/srv/data", False, "srv/data"),
        ("/", False, ""),
        ("C:\\Users\\李", True, "C/Users/李"),
        ("C:\\", True, "C"),
        ("\\\\?\\C:\\very\\long", True, "C/very/long"),
        ("\\\\server\\share\\x", True, "server/share/x"),
        ("\\\\?\\UNC\\server\\share\\x", True, "server/share/x"),
        ("D:/mixed/seps", True, "D/mixed/seps"),
    ],
)
def test_root_tags(root, windows, tag):
    assert root_tag(root, windows=windows) == tag


def test_member_name_joins_tag_and_path():
    assert member_name("srv/data", "报告/a.txt") == "srv/data/报告/a.txt"
    assert member_name("", "a.txt") == "a.txt"


def test_member_name_refuses_unsafe_names():
    assert member_name("srv", "a/../b") is None
    assert member_name("srv", "line\nbreak") is None
    assert member_name("srv", "bad\udcff") is None


@pytest.mark.parametrize("member", ["srv/data/报告/a.txt", "a.txt", "_taf_escaped/000003-000007",
                                    "t/big.iso.taf-chunk-00001-of-00012", "C/Users/李/季度 报告.txt"])
def test_names_this_module_makes_are_safe_members(member):
    assert is_safe_member(member)


@pytest.mark.parametrize("member", ["../x", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a/", "",
                                    "a\\..\\b", "line\nbreak", "nul\x00", "bad\udcff"])
def test_traversals_absolute_and_odd_names_are_not_safe_members(member):
    assert not is_safe_member(member)


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5))
def test_every_member_name_built_is_a_safe_member(parts):
    built = member_name("srv/data", "/".join(parts))
    assert built is None or is_safe_member(built)


def test_chunk_names_sort_in_chunk_order():
    names = [member_name("t", "big.iso", i, 12) for i in range(12)]
    assert names == sorted(names)
    assert names[0] == "t/big.iso.taf-chunk-00001-of-00012"
    assert chunk_suffix(0, 1_234_567).endswith("0000001-of-1234567")


def test_escaped_member_names_are_unique_per_package_and_member():
    assert escaped_member_name(3, 7) == "_taf_escaped/000003-000007"
    assert escaped_member_name(3, 7, 1, 2).endswith(".taf-chunk-00002-of-00002")


def test_posix_native_path():
    assert native_path("/srv/data", "a/b.txt", windows=False) == "/srv/data/a/b.txt"
    assert native_path("/", "etc/hosts", windows=False) == "/etc/hosts"


def test_windows_short_native_path_uses_backslashes():
    assert native_path("C:\\data", "a/b.txt", windows=True) == "C:\\data\\a\\b.txt"


def test_windows_long_native_path_gets_the_long_path_prefix():
    rel = "/".join(["很长的目录名称" * 3] * 20)
    path = native_path("C:\\data", rel, windows=True)
    assert path.startswith("\\\\?\\C:\\data\\")
    unc = native_path("\\\\server\\share", rel, windows=True)
    assert unc.startswith("\\\\?\\UNC\\server\\share\\")
    already = native_path("\\\\?\\C:\\data", rel, windows=True)
    assert already.startswith("\\\\?\\C:\\data\\") and not already.startswith("\\\\?\\\\\\?\\")


def test_long_path_form():
    assert long_path_form("C:\\data") == "\\\\?\\C:\\data"
    assert long_path_form("\\\\server\\share") == "\\\\?\\UNC\\server\\share"
    assert long_path_form("\\\\?\\C:\\data") == "\\\\?\\C:\\data"
