"""The planner: coverage, size bound, determinism — by example and by property."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backup.entry import EntryKind, FileEntry, pickled_by_fields
from backup.levels import Codec
from backup.names import ESCAPED_MEMBER_DIR, is_plain_component
from backup.plan import (
    ARCHIVE_OVERHEAD,
    LZMA2_EXPANSION_DIVISOR,
    MEMBER_OVERHEAD,
    chunk_bounds,
    iter_package_plans,
    payload_capacity,
    plan_packages,
)
from tests.backup.conftest import file_entry

MAX = 10_000


def files(*sizes: int, root: str = "/src") -> list[FileEntry]:
    return [file_entry(f"f{i:03d}.dat", size, root=root) for i, size in enumerate(sizes)]


def coverage(plans) -> dict[tuple[str, str], list[tuple[int, int]]]:
    covered = defaultdict(list)
    for plan in plans:
        for item in plan.items:
            if item.entry.kind is EntryKind.FILE:
                covered[item.entry.key].append((item.chunk_offset, item.chunk_length))
    return covered


def independent_estimate(plan) -> int:
    """The size bound recomputed from the final member names, not the planner's running totals."""
    total = ARCHIVE_OVERHEAD
    payload = 0
    for item in plan.items:
        total += MEMBER_OVERHEAD + len(item.member_name.encode("utf-16-le")) + 2
        payload += item.chunk_length + len(item.entry.link_target_bytes)
    expansion = 0 if plan.codec is Codec.COPY else -(-payload // LZMA2_EXPANSION_DIVISOR)
    return total + payload + expansion


# examples


def test_nothing_to_plan_gives_no_packages():
    assert plan_packages([], MAX) == []


def test_small_files_are_grouped_until_the_next_would_not_fit():
    plans = plan_packages(files(*[2800] * 7), MAX)
    assert [len(p.items) for p in plans] == [3, 3, 1]
    assert [p.seq for p in plans] == [1, 2, 3]
    assert all(p.codec is Codec.LZMA2 and p.estimated_bytes <= MAX for p in plans)


def test_a_file_larger_than_a_package_is_cut_into_chunks_each_in_its_own_package():
    (big,) = files(35_000)
    plans = plan_packages([big], MAX)
    assert len(plans) == 4
    assert all(len(p.items) == 1 for p in plans)
    items = [p.items[0] for p in plans]
    assert [i.chunk_index for i in items] == [0, 1, 2, 3]
    assert {i.total_chunks for i in items} == {4}
    assert [(i.chunk_offset, i.chunk_length) for i in items] == chunk_bounds(35_000, 4)
    assert items[0].member_name == "src/f000.dat.taf-chunk-00001-of-00004"


def test_a_file_that_fits_alone_is_never_chunked():
    capacity = payload_capacity(MAX, MEMBER_OVERHEAD + 2 * 26 + 2, Codec.LZMA2)
    plans = plan_packages(files(100, capacity), MAX)
    assert [[(i.chunk_length, i.total_chunks) for i in p.items] for p in plans] == [
        [(100, 1)],
        [(capacity, 1)],
    ]


def test_chunk_bounds_are_contiguous_and_balanced():
    assert chunk_bounds(10, 3) == [(0, 4), (4, 3), (7, 3)]
    assert chunk_bounds(0, 1) == [(0, 0)]


def test_empty_files_are_planned_as_members():
    (plan,) = plan_packages(files(0, 0), MAX)
    assert [i.chunk_length for i in plan.items] == [0, 0]


def test_incompressible_files_go_to_copy_packages_beside_the_lzma2_ones():
    entries = files(100, 200, 300)
    plans = plan_packages(entries, MAX, incompressible={entries[1].key})
    by_codec = {p.codec: [i.entry.rel_path for i in p.items] for p in plans}
    assert by_codec == {Codec.LZMA2: ["f000.dat", "f002.dat"], Codec.COPY: ["f001.dat"]}
    assert [p.codec for p in plans] == [
        Codec.LZMA2,
        Codec.COPY,
    ]  # leftovers close in order of their first entry


def test_copy_packages_have_no_lzma2_expansion_margin():
    copy_capacity = payload_capacity(MAX, 200, Codec.COPY)
    lzma_capacity = payload_capacity(MAX, 200, Codec.LZMA2)
    assert copy_capacity == MAX - ARCHIVE_OVERHEAD - 200
    assert lzma_capacity < copy_capacity


def test_directories_and_links_ride_in_the_lzma2_package():
    entries = [
        file_entry("docs", kind=EntryKind.DIR),
        file_entry("docs/a.jpg", 500),
        file_entry("docs/link", kind=EntryKind.SYMLINK, target="../outside"),
    ]
    plans = plan_packages(entries, MAX, incompressible={entries[1].key})
    (lzma2,) = [p for p in plans if p.codec is Codec.LZMA2]
    assert [i.entry.kind for i in lzma2.items] == [EntryKind.DIR, EntryKind.SYMLINK]
    assert lzma2.estimated_bytes >= len("../outside")


def test_max_members_closes_a_package():
    plans = plan_packages(files(*[1] * 5), MAX, max_members=2)
    assert [len(p.items) for p in plans] == [2, 2, 1]


def test_long_names_take_room_in_the_package():
    short = [file_entry(f"{i}.txt", 1000) for i in range(8)]
    long = [file_entry(f"{'很长的名字' * 100}{i}.txt", 1000) for i in range(8)]
    assert len(plan_packages(long, MAX)) > len(plan_packages(short, MAX))


def test_names_that_cannot_be_members_are_escaped_and_kept_unique():
    entries = [
        file_entry("bad\udcffname", 10),
        file_entry("line\nbreak", 10),
        # Same plain member name from two roots: "a/b/c".
        file_entry("b/c", 10, root="/a"),
        file_entry("c", 10, root="/a/b"),
    ]
    (plan,) = plan_packages(entries, MAX)
    names = [i.member_name for i in plan.items]
    assert len(set(names)) == 4
    escaped = [n for n in names if n.startswith(ESCAPED_MEMBER_DIR + "/")]
    assert len(escaped) == 3
    assert "a/b/c" in names


def test_same_scan_gives_the_same_plan_whatever_the_input_order():
    entries = files(*[1500 * (i % 7) + 1 for i in range(40)]) + [file_entry("zz", 50_000)]
    shuffled = entries[:]
    random.Random(5).shuffle(shuffled)
    assert plan_packages(entries, MAX) == plan_packages(shuffled, MAX)


def test_package_ids_are_stable_and_change_with_the_content():
    entries = files(100, 200)
    first = plan_packages(entries, MAX)[0].package_id
    assert first == plan_packages(entries, MAX)[0].package_id
    assert first.startswith("000001-")
    touched = [
        entries[0],
        FileEntry(
            *[getattr(entries[1], f) for f in ("source_root", "rel_path", "kind", "size")], 1, 0o100644
        ),
    ]
    assert plan_packages(touched, MAX)[0].package_id != first


def test_streaming_planner_refuses_unsorted_or_repeated_input():
    a, b = files(1, 2)
    with pytest.raises(ValueError):
        list(iter_package_plans([b, a], MAX))
    with pytest.raises(ValueError):
        list(iter_package_plans([a, a], MAX))


def test_a_maximum_too_small_for_any_data_is_refused():
    with pytest.raises(ValueError):
        plan_packages(files(1), 1200)
    with pytest.raises(ValueError):
        plan_packages(files(1), MAX, max_members=0)


# properties

COMPONENTS = st.sampled_from(
    ["a", "b", "数据", "报告 final", "x.jpg", "line\nbreak", "bad\udcff", "..x", "C"]
)
REL_PATHS = st.lists(COMPONENTS, min_size=1, max_size=3).map("/".join)


@st.composite
def scans(draw):
    max_bytes = draw(st.integers(min_value=2_000, max_value=60_000))
    raw = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["/src", "/data/二", "/"]),
                REL_PATHS,
                st.sampled_from([EntryKind.FILE] * 4 + [EntryKind.DIR, EntryKind.SYMLINK]),
                st.integers(min_value=0, max_value=4 * max_bytes),
                st.booleans(),
            ),
            max_size=40,
            unique_by=lambda t: (t[0], t[1]),
        )
    )
    entries = [
        FileEntry(
            root,
            rel,
            kind,
            size if kind is EntryKind.FILE else 0,
            7,
            0o644,
            "tgt/" + rel if kind is EntryKind.SYMLINK else None,
        )
        for root, rel, kind, size, _ in raw
    ]
    incompressible = {(root, rel) for root, rel, kind, _, flag in raw if flag and kind is EntryKind.FILE}
    max_members = draw(st.integers(min_value=1, max_value=50))
    return entries, max_bytes, incompressible, max_members


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scans())
def test_plan_properties(scan):
    entries, max_bytes, incompressible, max_members = scan
    plans = plan_packages(entries, max_bytes, incompressible=incompressible, max_members=max_members)

    # Every byte of every file exactly once.
    covered = coverage(plans)
    for entry in entries:
        if entry.kind is EntryKind.FILE:
            pieces = sorted(covered[entry.key])
            position = 0
            for offset, length in pieces:
                assert offset == position
                position += length
            assert position == entry.size
            if entry.size == 0:
                assert pieces == [(0, 0)]

    # Directories and links exactly once, in LZMA2 packages.
    others = [(p.codec, i.entry.key) for p in plans for i in p.items if i.entry.kind is not EntryKind.FILE]
    assert sorted(k for _, k in others) == sorted(e.key for e in entries if e.kind is not EntryKind.FILE)
    assert all(codec is Codec.LZMA2 for codec, _ in others)

    assert [p.seq for p in plans] == list(range(1, len(plans) + 1))
    assert len({p.package_id for p in plans}) == len(plans)
    for plan in plans:
        # The size bound, checked against the final names.
        assert plan.estimated_bytes <= max_bytes
        assert independent_estimate(plan) <= max_bytes
        assert len(plan.items) <= max_members
        # Chunks travel alone.
        if any(i.total_chunks > 1 for i in plan.items):
            assert len(plan.items) == 1
        # Codec follows the sampler's flags.
        for item in plan.items:
            if item.entry.kind is EntryKind.FILE:
                assert (plan.codec is Codec.COPY) == (item.entry.key in incompressible)
        # Member names: unique and safe to extract anywhere.
        names = [i.member_name for i in plan.items]
        assert len(set(names)) == len(names)
        for name in names:
            assert all(is_plain_component(part) for part in name.split("/"))
        # Members in canonical order.
        keys = [i.entry.order_key for i in plan.items]
        assert keys == sorted(keys)

    # Deterministic whatever the input order.
    shuffled = entries[:]
    random.Random(len(entries)).shuffle(shuffled)
    assert plan_packages(shuffled, max_bytes, incompressible=incompressible, max_members=max_members) == plans


def test_plans_pickle_by_field_values_and_come_back_equal():
    """Plans travel to the packer processes and to DATA_DIR/plans by pickle (see entry.pickled_by_fields)."""
    import pickle

    entries = [file_entry(f"d/{i:03d}.txt", 5000) for i in range(40)]
    entries += [FileEntry("/src", "d/链接", EntryKind.SYMLINK, 0, 7, 0o120777, link_target="../外面"),
                file_entry("e/big.iso", 50_000)]
    plans = plan_packages(entries, 20_000)
    assert any(item.total_chunks > 1 for plan in plans for item in plan.items)
    assert pickle.loads(pickle.dumps(plans, protocol=pickle.HIGHEST_PROTOCOL)) == plans
    item = plans[0].items[0]
    assert item.__reduce__() == (type(item), (item.entry, item.member_name, item.chunk_index, item.chunk_offset,
                                              item.chunk_length, item.total_chunks))


def test_a_one_field_class_pickles_by_its_value_too():
    import pickle

    back = pickle.loads(pickle.dumps(_OneField("只有一个字段")))
    assert back == _OneField("只有一个字段") and _OneField("x").__reduce__() == (_OneField, ("x",))


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class _OneField:
    value: str
