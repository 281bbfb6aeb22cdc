"""How event state is stored: MessagePack (msgspec), zstd-compressed when that pays; older records still read.

The stored bytes of each event say which way they were written, by their first byte:

| first byte | written by | body |
|---|---|---|
| 0x01 | this transcoder | MessagePack |
| 0x02 | this transcoder | zstd frame of MessagePack (state of `COMPRESS_FROM` bytes or more that shrank by a tenth) |
| 0x78 | releases before issue 18 | zlib stream of JSON (eventsourcing's JSONTranscoder + ZlibCompressor) |
| `{`  | (never written by TAF; accepted) | JSON |

So a ledger written by any release replays, and nothing stored is ever rewritten: the hash chain
(`ledger/chain.py`) is over the stored bytes, whichever way they were written.

Values keep the types JSONTranscoder gives them: an object of a type with a registered transcoding
(UUID, datetime, Decimal, and whatever the application registers) is stored as a MessagePack
extension holding the transcoding's name and data (where JSON held {"_type_": …, "_data_": …});
tuples come back as lists, dict keys as strings, str/int/float subclasses as the plain value, and
any other type is refused as JSON refuses it. Integers beyond 64 bits, which MessagePack cannot hold,
are stored the old way (zlib JSON).

Why: decoding was about 40 % of catalog loading — a 5,000-entry manifest took 30 ms as zlib JSON
(the JSON decoder calls a Python hook for every entry); as MessagePack through msgspec plus zstd it
takes about 8 ms. Small events are not compressed: zstd saves nothing on a few hundred bytes.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any, TypeVar

import msgspec
import zstandard
from eventsourcing.persistence import JSONTranscoder, Transcoder, TranscodingNotRegisteredError

MSGPACK = b"\x01"
ZSTD_MSGPACK = b"\x02"
# State this large or larger is offered to zstd; kept compressed when that saves a tenth or more.
COMPRESS_FROM = 1024
_KEEP_RATIO = 0.9
_ZSTD_LEVEL = 3
# The MessagePack extension code of a value with a registered transcoding: [name, data].
_TRANSCODED = 1
_PLAIN = frozenset({str, int, float, bool, type(None)})
T = TypeVar("T")


class LedgerTranscoder(JSONTranscoder):
    """eventsourcing's transcoder interface over MessagePack and zstd, reading the JSON of older releases.

    A JSONTranscoder underneath: `register` and the application's `register_transcodings` work as
    before, and records written as JSON are decoded by the JSON path with those transcodings.
    """

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()  # zstd contexts are not safe to share between threads

    # --- writing ----------------------------------------------------------------------------
    def encode(self, obj: Any) -> bytes:
        try:
            body = msgspec.msgpack.encode(self._tagged(obj))
        except OverflowError:  # an integer beyond 64 bits: JSON holds it
            return zlib.compress(super().encode(obj))
        if len(body) >= COMPRESS_FROM:
            packed = self._zstd()[0].compress(body)
            if len(packed) <= len(body) * _KEEP_RATIO:
                return ZSTD_MSGPACK + packed
        return MSGPACK + body

    def _tagged(self, obj: Any) -> Any:
        """`obj` with every value of a registered type replaced by its extension; the rest as JSON
        would see it. Dicts and lists of plain values (a manifest's entries) are passed as they are."""
        kind = type(obj)
        if kind in _PLAIN:
            return obj
        if kind is dict:
            for key, value in obj.items():
                if type(key) is not str or type(value) not in _PLAIN:
                    return {_key(k): self._tagged(v) for k, v in obj.items()}
            return obj
        if kind is list or kind is tuple:
            for value in obj:
                if type(value) not in _PLAIN:
                    return [self._tagged(v) for v in obj]
            return obj
        transcoding = self.types.get(kind)
        if transcoding is not None:
            inner = msgspec.msgpack.encode([transcoding.name, self._tagged(transcoding.encode(obj))])
            return msgspec.msgpack.Ext(_TRANSCODED, inner)
        # What JSON writes natively for subclasses of its types, it writes as the base type.
        if isinstance(obj, str):
            return str.__str__(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, dict):
            return {_key(k): self._tagged(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._tagged(v) for v in obj]
        raise TranscodingNotRegisteredError(
            f"Object of type {kind} is not serializable. Please define and register a custom transcoding for this type.")

    # --- reading ----------------------------------------------------------------------------
    def decode(self, data: bytes) -> Any:
        body = self._msgpack_body(data)
        if body is not None:
            return self._decoder().decode(body)
        if bytes(data[:1]) == b"{":
            return super().decode(bytes(data))
        return super().decode(zlib.decompress(data))  # releases before issue 18

    def decode_as(self, data: bytes, kind: type[T]) -> T:
        """`decode`, but straight into `kind` (a msgspec Struct naming the keys wanted): keys it does
        not name are skipped unread, and values come back typed, without a dict per object (a value
        of a registered type — UUID, datetime — only into a field typed Any). State stored as JSON
        (older releases) is decoded as before, then converted."""
        body = self._msgpack_body(data)
        if body is not None:
            return self._typed(kind).decode(body)
        return msgspec.convert(self.decode(data), kind, strict=False)

    def decode_without(self, data: bytes, keys: frozenset[str]) -> Any:
        """`decode` of an event's state, leaving out the values of `keys` unread (the operation log
        has no use for a manifest's entries: skipping them keeps its memory to the events' count).
        State stored as JSON (older releases) is decoded whole: their upcasters may need every key."""
        body = self._msgpack_body(data)
        if body is None:
            return self.decode(data)
        raw = self._typed(dict[str, msgspec.Raw]).decode(body)
        decoder = self._decoder()
        return {key: decoder.decode(value) for key, value in raw.items() if key not in keys}

    def _msgpack_body(self, data: bytes) -> Any:
        """The MessagePack of state this transcoder wrote (decompressed), or None for older JSON."""
        tag = bytes(data[:1])
        if tag == ZSTD_MSGPACK:
            return self._zstd()[1].decompress(memoryview(data)[1:])
        if tag == MSGPACK:
            return memoryview(data)[1:]
        return None

    def _typed(self, kind: type[T]) -> msgspec.msgpack.Decoder[T]:
        decoders: dict[type[Any], Any] | None = getattr(self._local, "typed", None)
        if decoders is None:
            decoders = self._local.typed = {}
        decoder = decoders.get(kind)
        if decoder is None:
            decoder = decoders[kind] = msgspec.msgpack.Decoder(kind, ext_hook=self._ext)
        return decoder  # type: ignore[no-any-return]

    def _ext(self, code: int, data: memoryview) -> Any:
        if code != _TRANSCODED:
            raise ValueError(f"unknown extension {code} in stored event")
        name, value = self._decoder().decode(data)
        try:
            transcoding = self.names[name]
        except KeyError:
            raise TranscodingNotRegisteredError(
                f"Data serialized with name '{name}' is not deserializable. Please register a custom transcoding"
                " for this type.") from None
        return transcoding.decode(value)

    def _decoder(self) -> msgspec.msgpack.Decoder[Any]:
        decoder: msgspec.msgpack.Decoder[Any] | None = getattr(self._local, "decoder", None)
        if decoder is None:
            decoder = self._local.decoder = msgspec.msgpack.Decoder(ext_hook=self._ext)
        return decoder

    def _zstd(self) -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
        pair: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(self._local, "zstd", None)
        if pair is None:
            pair = self._local.zstd = (zstandard.ZstdCompressor(level=_ZSTD_LEVEL), zstandard.ZstdDecompressor())
        return pair


class SkippingTranscoder(Transcoder):
    """Reads through `base`, leaving out the values of `keys` (`LedgerTranscoder.decode_without`);
    for a mapper that only reads."""

    def __init__(self, base: LedgerTranscoder, keys: frozenset[str]) -> None:
        self.base = base
        self.keys = keys

    def encode(self, obj: Any) -> bytes:
        raise TypeError("a transcoder that leaves values out cannot write events")

    def decode(self, data: bytes) -> Any:
        return self.base.decode_without(data, self.keys)


def _key(key: Any) -> str:
    """A dict key as JSON writes it (JSON objects have string keys only)."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return "NaN" if key != key else "Infinity" if key == float("inf") else "-Infinity" if key == float(
            "-inf") else float.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def stored_format(state: bytes) -> str:
    """Which way stored state was written: "msgpack", "msgpack+zstd", "json+zlib" or "json" (tests, audits)."""
    tag = bytes(state[:1])
    return {MSGPACK: "msgpack", ZSTD_MSGPACK: "msgpack+zstd", b"{": "json"}.get(tag, "json+zlib")
