"""Cartridge memory (MAM) through the drive: reading attributes, and TAF's identity mirror.

The label at BOT is mirrored into the host attributes 0800h–0808h (tape-scsi.md §2.5, §8 point 7)
so the identity survives even if block 0 cannot be read, and so other software (ITDT, LTFS tools,
`sg_read_attr`) shows whose tape it is:

    0800h application vendor   "TAF"                     0805h text localisation  81h (UTF-8)
    0801h application name     "TAF Tape Backup"         0806h barcode
    0802h application version  program version           0807h owning host        host name
    0803h user medium label    "TAF <volser> #<seq>"     0808h media pool         pool name
    0804h last written         YYYYMMDDHHMM (UTC)        080Bh format version     "TAF-TAPE v1"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tape.scsi import cdb
from tape.scsi import mam as m
from tape.scsi.errors import IllegalRequest
from tape.transport import Direction

if TYPE_CHECKING:
    from tape.drive import Drive

APPLICATION_VENDOR = "TAF"
APPLICATION_NAME = "TAF Tape Backup"
FORMAT_VERSION_TEXT = "TAF-TAPE v1"
# Attributes a mount reads: capacity, load count, the medium serial and every host identity field.
MOUNT_ATTRIBUTES = (
    m.REMAINING_CAPACITY, m.MAXIMUM_CAPACITY, m.LOAD_COUNT, m.MEDIUM_SERIAL, m.MEDIUM_TYPE,
    m.APPLICATION_VENDOR, m.APPLICATION_NAME, m.APPLICATION_VERSION, m.USER_MEDIUM_LABEL,
    m.LAST_WRITTEN, m.BARCODE, m.OWNING_HOST, m.MEDIA_POOL, m.APPLICATION_FORMAT_VERSION,
)
_ALLOCATION = 0x10000


def read_attributes(drive: Drive, ids: Iterable[int]) -> dict[int, m.Attribute]:
    """The attributes among `ids` that the cartridge has; absent ones are simply missing.

    One READ ATTRIBUTE from the lowest id returns every attribute at or above it. A drive that
    refuses (5/24/00: that first id does not exist) is asked again for each id on its own.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    try:
        found = _read_from(drive, wanted[0])
    except IllegalRequest:
        found = {}
        for attribute_id in wanted:
            try:
                found.update(_read_from(drive, attribute_id))
            except IllegalRequest:
                continue  # never written (host attributes) or not supported by this drive
    return {key: value for key, value in found.items() if key in wanted}


def _read_from(drive: Drive, first_id: int) -> dict[int, m.Attribute]:
    outcome = drive.command(
        cdb.read_attribute(first_id, _ALLOCATION), Direction.FROM_DEVICE, length=_ALLOCATION
    )
    return m.decode_attributes(outcome.data)


def write_attributes(drive: Drive, attributes: Iterable[m.Attribute]) -> None:
    """WRITE ATTRIBUTE with write-through, ids ascending as SPC requires."""
    payload = m.encode_attributes(sorted(attributes, key=lambda a: a.id))
    drive.command(cdb.write_attribute(len(payload)), Direction.TO_DEVICE, data=payload)


def described(attributes: dict[int, m.Attribute]) -> dict[str, int | str]:
    """Attribute values by name for display and JSON (binary blobs as hex)."""
    out: dict[str, int | str] = {}
    for attribute in attributes.values():
        value = attribute.decoded
        out[attribute.name] = value.hex() if isinstance(value, bytes) else value
    return out


def timestamp(now: dt.datetime | None = None) -> str:
    """0804h format: YYYYMMDDHHMM in UTC."""
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return moment.strftime("%Y%m%d%H%M")


def last_written(now: dt.datetime | None = None) -> m.Attribute:
    return m.Attribute.ascii(m.LAST_WRITTEN, timestamp(now))


@dataclass(frozen=True)
class MamIdentity:
    """The identity TAF writes into cartridge memory when it labels a tape."""

    barcode: str
    volume_serial: str
    label_sequence: int
    pool: str
    owning_host: str = ""
    program_version: str = ""

    @property
    def user_label(self) -> str:
        return f"TAF {self.volume_serial} #{self.label_sequence}"

    def attributes(self, now: dt.datetime | None = None) -> list[m.Attribute]:
        version = self.program_version.encode("ascii", "replace").decode()[:8]
        return [
            m.Attribute.ascii(m.APPLICATION_VENDOR, APPLICATION_VENDOR),
            m.Attribute.ascii(m.APPLICATION_NAME, APPLICATION_NAME),
            m.Attribute.ascii(m.APPLICATION_VERSION, version),
            m.Attribute.text(m.USER_MEDIUM_LABEL, _fit(self.user_label, 160)),
            last_written(now),
            m.Attribute.binary(m.TEXT_LOCALIZATION, m.TEXT_UTF8),
            m.Attribute.ascii(m.BARCODE, self.barcode[:32]),
            m.Attribute.text(m.OWNING_HOST, _fit(self.owning_host, 80)),
            m.Attribute.text(m.MEDIA_POOL, _fit(self.pool, 160)),
            m.Attribute.ascii(m.APPLICATION_FORMAT_VERSION, FORMAT_VERSION_TEXT),
        ]


def cleared_label() -> list[m.Attribute]:
    """Delete the label text and pool (length 0 deletes a host attribute) after an erase from BOT."""
    return [
        m.Attribute(m.USER_MEDIUM_LABEL, m.AttributeFormat.TEXT, b""),
        m.Attribute(m.MEDIA_POOL, m.AttributeFormat.TEXT, b""),
    ]


def _fit(value: str, size: int) -> str:
    """Cut UTF-8 text to `size` bytes without splitting a character."""
    raw = value.encode("utf-8")[:size]
    return raw.decode("utf-8", errors="ignore")
