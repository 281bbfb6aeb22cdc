"""Restore plans as a pure function: order, positions, bytes, time, instructions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from restore.plan import FileRow, PartialRead, Whereabouts, instruction_for, make_plan
from restore.timing import HH9


def row(path: str, package: str, cartridge: str, block: int, size: int = 100, package_bytes: int = 10_000_000,
        chunk: int = 0) -> FileRow:
    return FileRow(full_path=path, size=size, sha256="0" * 64, package_id=package, cartridge=cartridge,
                   tape_file=block // 100, header_block=block - 2, payload_block=block,
                   payload_blocks=package_bytes // 262144 + 1, package_bytes=package_bytes, member=path.lstrip("/"),
                   chunk_index=chunk, total_chunks=2 if chunk else 1)


PLACES = [Whereabouts("TAF001L9", "shelf:B 架 3 层", 10**12), Whereabouts("TAF002L9", "slot:4", 10**12),
          Whereabouts("TAF003L9", "drive:0", 10**12)]


def test_the_cartridge_in_the_drive_goes_first_then_slots_then_shelves() -> None:
    plan = make_plan([row("/a", "p1", "TAF001L9", 400), row("/b", "p2", "TAF002L9", 500),
                      row("/c", "p3", "TAF003L9", 900)], PLACES)
    assert plan.cartridges == ["TAF003L9", "TAF002L9", "TAF001L9"]
    assert [s.instruction for s in plan.steps] == [
        "磁带 TAF003L9 已在 0 号驱动器中，无需操作",
        "请将磁带 TAF002L9 从 4 号槽位装入驱动器（磁带库会自动完成）",
        "请从磁带架取出磁带 TAF001L9（B 架 3 层），装入驱动器",
    ]


def test_packages_on_a_cartridge_are_read_in_position_order_once_each() -> None:
    rows = [row("/z", "p9", "TAF002L9", 9000), row("/a", "p1", "TAF002L9", 120), row("/b", "p1", "TAF002L9", 120),
            row("/m", "p5", "TAF002L9", 5000)]
    plan = make_plan(rows, PLACES)
    [step] = plan.steps
    assert [p.package_id for p in step.packages] == ["p1", "p5", "p9"]
    assert step.packages[0].files == ("/a", "/b")
    assert plan.bytes_to_read == 3 * 10_000_000
    assert plan.files == 4 and plan.file_bytes == 400


def test_one_small_file_costs_one_package_read() -> None:
    plan = make_plan([row("/small.txt", "p7", "TAF003L9", 777, size=12, package_bytes=3 * 2**30)], PLACES)
    assert len(plan.packages) == 1
    assert plan.bytes_to_read == 3 * 2**30
    assert "需要 1 盘磁带" in plan.summary and "读取 1 个数据包" in plan.summary


def test_a_package_read_in_part_costs_its_blocks_and_a_locate_per_run() -> None:
    rows = [row("/small.txt", "p7", "TAF003L9", 777, size=12, package_bytes=3 * 2**30),
            row("/other.txt", "p8", "TAF003L9", 20_000, size=12, package_bytes=3 * 2**30)]
    whole = make_plan(rows, PLACES)
    one_run = PartialRead(runs=((4000, 2),), bytes=2 * 262144 + 262144)
    two_runs = PartialRead(runs=((10, 2), (4000, 2)), bytes=4 * 262144 + 262144)
    part = make_plan(rows, PLACES, partial={"p7": one_run})
    [read, unchanged] = part.packages
    assert (read.bytes, read.runs) == (3 * 262144, ((4000, 2),)) and unchanged.bytes == 3 * 2**30
    assert part.bytes_to_read == 3 * 262144 + 3 * 2**30 < whole.bytes_to_read
    assert part.seconds < whole.seconds - HH9.read_seconds(2 * 2**30)
    apart = make_plan(rows, PLACES, partial={"p7": two_runs})
    assert apart.seconds - part.seconds >= HH9.locate_seconds(0, 0) - 1  # one more LOCATE


def test_the_estimate_adds_load_locate_read_and_unload() -> None:
    in_drive = make_plan([row("/a", "p1", "TAF003L9", 100)], PLACES)
    on_shelf = make_plan([row("/a", "p1", "TAF001L9", 100)], PLACES)
    read_only = HH9.read_seconds(10_000_000)
    assert read_only < in_drive.seconds < read_only + 200
    assert on_shelf.seconds - in_drive.seconds >= HH9.load_seconds + HH9.unload_seconds + HH9.operator_change_seconds - 1


def test_an_unknown_location_is_reported() -> None:
    plan = make_plan([row("/a", "p1", "TAF999L9", 100)], PLACES)
    assert plan.missing == ("TAF999L9",)
    assert "位置未知" in plan.summary
    assert "当前位置未登记" in plan.steps[0].instruction


def test_instructions_cover_every_kind_of_place() -> None:
    assert "出入口" in instruction_for("T", "ie:1")
    assert "异地（保险库 A）" in instruction_for("T", "offsite:保险库 A")


def test_chunks_of_one_file_count_once() -> None:
    plan = make_plan([row("/big", "p1", "TAF002L9", 100, size=50), row("/big", "p2", "TAF002L9", 200, size=50, chunk=1)],
                     PLACES)
    assert plan.files == 1 and len(plan.packages) == 2


@given(st.lists(st.tuples(st.sampled_from(["TAF001L9", "TAF002L9", "TAF003L9"]), st.integers(0, 50),
                          st.integers(1, 10**6)), min_size=1, max_size=60))
def test_every_selected_package_is_read_exactly_once_in_ascending_order(picks: list) -> None:
    rows = [row(f"/f{i}", f"{cart}-p{pkg}", cart, pkg * 1000 + 10) for i, (cart, pkg, _) in enumerate(picks)]
    plan = make_plan(rows, PLACES)
    read = [p.package_id for p in plan.packages]
    assert sorted(read) == sorted({r.package_id for r in rows})
    for step in plan.steps:
        blocks = [p.payload_block for p in step.packages]
        assert blocks == sorted(blocks)
    assert plan.seconds > 0
