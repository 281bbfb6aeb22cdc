"""The ledger's transcoder (ledger/transcoder.py): MessagePack with zstd where it pays, the same values
as eventsourcing's JSONTranscoder gave, and every record of the old format still readable — in a
ledger on SQLite and on PostgreSQL written first the old way, then the new, with the hash chain intact."""

from __future__ import annotations

import os
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any
from uuid import UUID

import msgspec
import pytest
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.ledger_base import CheckedMapper
from ledger.transcoder import COMPRESS_FROM, LedgerTranscoder, stored_format

NS = 1_000_000_000


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


NEW, OLD = registered(LedgerTranscoder()), registered(JSONTranscoder())

scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False)
           | st.text() .filter(lambda text: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text))
           | st.uuids() | st.datetimes(timezones=st.none() | st.just(timezone.utc) | st.just(timezone(timedelta(hours=8))))
           | st.decimals(allow_nan=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=8) | st.integers() | st.booleans(), inner, max_size=5),
                      max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), values, max_size=6))
def test_every_value_comes_back_as_the_json_transcoder_gave_it(state: dict[str, Any]) -> None:
    assert NEW.decode(NEW.encode(state)) == OLD.decode(OLD.encode(state))


def test_records_of_the_old_format_are_read_by_their_first_byte() -> None:
    state = {"when": datetime(2026, 3, 1, 12, tzinfo=timezone.utc), "id": UUID(int=7), "price": Decimal("1.50"),
             "manifest": [{"path": "报告/预算.xlsx", "size": 10}]}
    zlib_json = zlib.compress(OLD.encode(state))
    assert stored_format(zlib_json) == "json+zlib" and NEW.decode(zlib_json) == state
    assert stored_format(OLD.encode(state)) == "json" and NEW.decode(OLD.encode(state)) == state
    assert NEW.decode(memoryview(zlib_json)) == state  # as a driver may hand it back


def test_small_state_is_stored_plain_and_large_state_compressed_when_it_pays() -> None:
    small = {"barcode": "TAF001L9", "by": "管理员"}
    assert stored_format(NEW.encode(small)) == "msgpack"
    manifest = {"manifest": [{"path": f"部门/项目/文件{n:05d}.docx", "size": n, "sha256": f"{n:064x}"}
                             for n in range(200)]}
    packed = NEW.encode(manifest)
    assert stored_format(packed) == "msgpack+zstd" and len(packed) < len(OLD.encode(manifest)) / 3
    assert NEW.decode(packed) == manifest
    noise = {"blob": os.urandom(COMPRESS_FROM * 4).hex()[: COMPRESS_FROM * 2]}  # random hex: zstd saves ~half
    assert stored_format(NEW.encode(noise)) == "msgpack+zstd"
    digits = {"digits": [os.urandom(8).hex() for _ in range(10)]}  # under the threshold: not offered to zstd
    assert len(NEW.encode(digits)) < COMPRESS_FROM and stored_format(NEW.encode(digits)) == "msgpack"


def test_what_messagepack_cannot_hold_is_stored_the_old_way_and_what_json_refused_is_refused() -> None:
    huge = {"bytes_written": 2**70}
    assert stored_format(NEW.encode(huge)) == "json+zlib" and NEW.decode(NEW.encode(huge)) == huge

    class Colour(StrEnum):
        RED = "红"

    class Level(IntEnum):
        HIGH = 9

    assert NEW.decode(NEW.encode({"c": Colour.RED, "l": Level.HIGH, 1: "k"})) == {"c": "红", "l": 9, "1": "k"}
    for value in ({1, 2}, b"raw", object()):
        with pytest.raises(TranscodingNotRegisteredError):
            NEW.encode({"x": value})
    with pytest.raises(TranscodingNotRegisteredError):
        NEW.decode(_named_unknown())


def _named_unknown() -> bytes:
    """A record holding a value of a transcoding nobody registered."""
    import msgspec

    inner = msgspec.msgpack.encode(["colour_name", "red"])
    return b"\x01" + msgspec.msgpack.encode({"x": msgspec.msgpack.Ext(1, inner)})


class ReleaseLedger(Ledger):
    """The ledger as the release before issue 18 wrote it: JSONTranscoder, then ZlibCompressor."""

    name = "Ledger"  # the same environment keys (LEDGER_…), so the same store

    def construct_mapper(self) -> Mapper[UUID]:
        transcoder = JSONTranscoder()
        self.register_transcodings(transcoder)
        return CheckedMapper(transcoder=transcoder, compressor=ZlibCompressor())


def manifest(names: list[str], size: int = 10) -> list[dict[str, Any]]:
    return [{"path": name, "root": "/srv/数据", "kind": "file", "size": size, "mtime_ns": (1_700_000_000 + n) * NS,
             "mode": 0o644, "sha256": f"{n:064x}", "member": f"srv/数据/{name}", "chunk_index": 0, "total_chunks": 1,
             "chunk_offset": 0, "chunk_length": size, "state": "ok"} for n, name in enumerate(names)]


def record(ledger: Any, barcode: str, package: str, names: list[str]) -> None:
    cartridge = ledger.register_cartridge(barcode)
    cartridge.record_package(job_id="job-1", package_id=package, group="2026-05", sequence=1, tape_file=1,
                             header_block=2, payload_block=4, payload_blocks=5, payload_bytes=1234,
                             payload_sha256="f" * 64, compression="lzma2", manifest=manifest(names))
    ledger.save(cartridge)


def stored_formats(ledger: Any) -> list[str]:
    return [stored_format(notification.state) for notification in ledger.notifications()]


def test_a_ledger_written_the_old_way_then_the_new_way_replays_and_verifies(services: Any) -> None:
    from app.facade import make_app

    old = ReleaseLedger(env=services.ledger.env)
    try:
        record(old, "TAF001L9", "pkg-旧", [f"旧/文件{n:03d}.txt" for n in range(300)])
        old.change_setting("compression_level", 3, old=6, by="管理员")
    finally:
        old.close()
    ledger = services.ledger
    written_before = ledger.head_id()
    record(ledger, "TAF002L9", "pkg-新", [f"新/文件{n:03d}.txt" for n in range(300)])
    ledger.change_setting("compression_level", 4, old=3, by="管理员")
    formats = stored_formats(ledger)
    assert formats[:written_before] == ["json+zlib"] * written_before
    assert set(formats[written_before:]) == {"msgpack", "msgpack+zstd"}  # the manifest compressed, the rest not

    cartridge = ledger.cartridge("TAF001L9")
    [package] = ledger.packages_on("TAF001L9")
    entries = ledger.manifest(package)
    assert cartridge.packages == ["pkg-旧"] and len(entries) == 300
    assert entries[7]["path"] == "旧/文件007.txt" and isinstance(package.timestamp, datetime)
    assert ledger.settings().values["compression_level"] == 4
    app = make_app(services)
    verdict = app.audit.verify_chain()
    assert verdict.ok and verdict.checked == len(formats), verdict.message
    catalog = app.catalog
    assert catalog.rebuild().files == 600
    assert [(node.name, node.files, node.size) for node in catalog.tree("2026-05", "/srv/数据").children] == [
        ("新", 300, 3000), ("旧", 300, 3000)]


def test_state_decoded_straight_into_a_type_is_the_state_decoded_whole() -> None:
    """`decode_as`: what the catalog reads manifests with, whichever way the record was stored."""

    class Part(msgspec.Struct):
        manifest: list[dict[str, Any]]
        when: Any  # a registered type's value comes as the transcoding gives it, into a field of any type

    state = {"when": datetime(2026, 3, 1, 12, tzinfo=timezone.utc), "id": UUID(int=7),
             "manifest": [{"path": f"报告/预算{n}.xlsx", "size": n} for n in range(100)]}
    for stored in (NEW.encode(state), zlib.compress(OLD.encode(state)), OLD.encode(state)):
        part = NEW.decode_as(stored, Part)
        assert (part.manifest, part.when) == (state["manifest"], state["when"]), stored_format(stored)
    assert stored_format(NEW.encode(state)) == "msgpack+zstd"
    assert NEW.decode_as(NEW.encode({"manifest": [], "when": state["when"]}), Part).manifest == []


def test_state_decoded_without_some_keys_is_the_rest_decoded_whole() -> None:
    """`decode_without`: what the operation log reads events with; records of older releases come whole
    (their upcasters may need every key)."""
    state = {"when": datetime(2026, 3, 1, 12, tzinfo=timezone.utc), "id": UUID(int=7), "entries": 100,
             "manifest": [{"path": f"报告/预算{n}.xlsx", "size": n} for n in range(100)]}
    rest = {key: value for key, value in state.items() if key != "manifest"}
    small = {"id": UUID(int=8), "manifest": [], "by": "管理员"}
    assert stored_format(NEW.encode(state)) == "msgpack+zstd" and stored_format(NEW.encode(small)) == "msgpack"
    assert NEW.decode_without(NEW.encode(state), frozenset({"manifest"})) == rest
    assert NEW.decode_without(NEW.encode(small), frozenset({"manifest"})) == {"id": UUID(int=8), "by": "管理员"}
    assert NEW.decode_without(NEW.encode(state), frozenset()) == state
    for old in (zlib.compress(OLD.encode(state)), OLD.encode(state)):
        assert NEW.decode_without(old, frozenset({"manifest"})) == state


def test_a_mapper_without_some_keys_reads_events_but_never_writes() -> None:
    ledger_mapper = CheckedMapper(transcoder=NEW)
    reader = ledger_mapper.without(frozenset({"manifest"}))
    assert ledger_mapper.without(frozenset({"manifest"})) is reader
    with pytest.raises(TypeError, match="cannot write"):
        reader.transcoder.encode({"a": 1})
