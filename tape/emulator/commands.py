"""Command tables: which opcodes a device answers, with what preconditions and timeouts.

Each command family (a module) keeps its own table and registers its handlers in it with a
decorator; a device builds its table by naming each family it answers (`CommandTable.joined`),
so which commands a device has is written in one place, not left to the order of imports. The
device looks the CDB up, applies the common checks (unit attention, medium ready) and calls the
handler. The same table answers REPORT SUPPORTED OPERATION CODES, so what the device claims and
what it does cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kernel.errors import EXIT_DEVICE, TafError
from tape.emulator.codec import u16
from tape.emulator.sense import Sense, invalid_field_in_cdb


@dataclass(frozen=True)
class Wait:
    """Ask the transport to wait (outside the library lock) and then ask again.

    Used for commands that would block on a real device — LOAD while the cartridge is being
    optimised, a long ERASE without IMMED — so other processes keep access meanwhile.
    """

    until: float
    what: str


@dataclass
class Reply:
    """What a command produced: data-in, sense for CHECK CONDITION, or a request to wait."""

    data: bytes = b""
    sense: Sense | None = None
    wait: Wait | None = None


Handler = Callable[..., Reply]


class DataPhaseError(TafError):
    """The host sent less data than the CDB announces (an SG_IO underrun, not a SCSI status)."""

    exit_code = EXIT_DEVICE
    default_message = "发给设备的数据比命令声明的少"

    def __init__(self, needed: int, given: int) -> None:
        super().__init__(detail=f"{needed} > {given}")
        self.needed = needed
        self.given = given


@dataclass(frozen=True)
class CommandSpec:
    opcode: int
    name: str
    length: int
    handler: Handler
    medium: bool  # needs a loaded, ready, compatible cartridge
    timeout: int  # recommended timeout in seconds
    service_action: int | None = None


class CommandTable:
    """Opcode (and service action) → CommandSpec."""

    def __init__(self) -> None:
        self._specs: dict[tuple[int, int | None], CommandSpec] = {}

    @classmethod
    def joined(cls, *families: CommandTable) -> CommandTable:
        """One device's table from the tables of the families it answers; an opcode claimed by two
        families is a programming error, found when the device's module is imported."""
        table = cls()
        for family in families:
            for key, spec in family._specs.items():
                if key in table._specs:
                    raise ValueError(f"opcode {spec.opcode:02X}h registered twice ({spec.name})")
                table._specs[key] = spec
        return table

    def register(
        self,
        opcode: int,
        name: str,
        length: int,
        *,
        medium: bool = False,
        timeout: int = 60,
        service_action: int | None = None,
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            spec = CommandSpec(opcode, name, length, handler, medium, timeout, service_action)
            self._specs[(opcode, service_action)] = spec
            return handler

        return decorate

    def lookup(self, cdb: bytes) -> CommandSpec | None:
        spec = self._specs.get((cdb[0], None))
        if spec is not None:
            return spec
        if len(cdb) > 1:
            return self._specs.get((cdb[0], cdb[1] & 0x1F))
        return None

    def has_opcode(self, opcode: int) -> bool:
        return any(op == opcode for op, _sa in self._specs)

    def specs(self) -> list[CommandSpec]:
        return sorted(self._specs.values(), key=lambda s: (s.opcode, s.service_action or 0))

    # -- REPORT SUPPORTED OPERATION CODES (A3h/0Ch) -------------------------------------------

    def report_supported(self, cdb: bytes) -> bytes:
        rctd = bool(cdb[2] & 0x80)
        option = cdb[2] & 0x07
        if option == 0:
            return self._report_all(rctd)
        if option in (1, 2, 3):
            return self._report_one(cdb, option, rctd)
        raise invalid_field_in_cdb(2, 2)

    def _report_all(self, rctd: bool) -> bytes:
        out = bytearray()
        for spec in self.specs():
            flags = (0x02 if rctd else 0) | (0x01 if spec.service_action is not None else 0)
            out += bytes([spec.opcode, 0]) + (spec.service_action or 0).to_bytes(2, "big")
            out += bytes([0, flags]) + spec.length.to_bytes(2, "big")
            if rctd:
                out += _timeouts(spec)
        return len(out).to_bytes(4, "big") + bytes(out)

    def _report_one(self, cdb: bytes, option: int, rctd: bool) -> bytes:
        opcode, action = cdb[3], u16(cdb, 4)
        spec = self._specs.get((opcode, None)) if option == 1 else self._specs.get((opcode, action))
        if option == 1 and spec is None and self.has_opcode(opcode):
            raise invalid_field_in_cdb(3)  # that opcode needs a service action
        if spec is None:
            return bytes([0, 0x01, 0, 0])  # SUPPORT = 001b: not supported
        usage = bytes([spec.opcode]) + b"\xff" * (spec.length - 2) + b"\x07"
        if spec.service_action is not None:
            usage = usage[:1] + bytes([spec.service_action]) + usage[2:]
        head = bytes([0, (0x80 if rctd else 0) | 0x03]) + spec.length.to_bytes(2, "big")
        return head + usage + (_timeouts(spec) if rctd else b"")


def _timeouts(spec: CommandSpec) -> bytes:
    """Command timeouts descriptor: length 0Ah, nominal and recommended timeout in seconds."""
    return bytes([0, 0x0A, 0, 0]) + spec.timeout.to_bytes(4, "big") + spec.timeout.to_bytes(4, "big")


def trim(data: bytes, limit: int) -> bytes:
    """Data-in cut to an allocation length."""
    return data if len(data) <= limit else data[:limit]
