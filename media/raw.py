"""`drive raw`: send one CDB as given and show what came back, like sg_raw.

The command goes through the session's command log (so a failure is recorded like any other) but
not through the Drive API's judgement or retries: the operator sees exactly what the drive said.
"""

from __future__ import annotations

import re
from pathlib import Path

from media.devices import DeviceSession
from media.errors import BadInput
from media.results import RawReply
from tape.scsi.errors import TapeError
from tape.scsi.outcomes import check, describe
from tape.scsi.sense import parse_sense
from tape.tapelog import status_name
from tape.transport import Direction

_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_MAX_IN = 16 * 1024 * 1024


def parse_cdb(text: str) -> bytes:
    """CDB bytes from hex, with or without spaces, colons or 0x prefixes: "34 06 00 …" or "3406…"."""
    cleaned = re.sub(r"0x", "", text.strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"[\s:,_-]", "", cleaned)
    if not cleaned or not _HEX.match(cleaned) or len(cleaned) % 2:
        raise BadInput(f"CDB 不是有效的十六进制：{text}", "请每字节写两位十六进制数，例如 34 06 00 00 00 00 00 00 00 00")
    cdb = bytes.fromhex(cleaned)
    if len(cdb) not in (6, 10, 12, 16):
        raise BadInput(f"CDB 长度为 {len(cdb)} 字节", "SCSI 命令块应为 6、10、12 或 16 字节")
    return cdb


def raw_command(session: DeviceSession, cdb_text: str, *, data_in: int = 0,
                data_out: Path | None = None) -> RawReply:
    cdb = parse_cdb(cdb_text)
    if data_in and data_out is not None:
        raise BadInput("--in 与 --data-out 不能同时使用", "一条命令只能有一个方向的数据")
    if not 0 <= data_in <= _MAX_IN:
        raise BadInput(f"--in 的值 {data_in} 超出范围", f"允许 0 到 {_MAX_IN} 字节")
    payload = None
    direction = Direction.NONE
    if data_out is not None:
        try:
            payload = data_out.read_bytes()
        except OSError as error:
            raise BadInput(f"无法读取数据文件 {data_out}：{error.strerror or error}") from error
        direction = Direction.TO_DEVICE
    elif data_in:
        direction = Direction.FROM_DEVICE
    result = session.drive.runner.send(cdb, direction, payload, data_in)
    sense = parse_sense(result.sense) if result.sense else None
    try:
        check(result)
        failed = False
    except TapeError:
        failed = True  # CHECK CONDITION with an error, not a completion with flags (filemark, EOM …)
    return RawReply(failed=failed, status=result.status, status_name=status_name(result.status),
                    sense=result.sense.hex(), sense_text=describe(sense) if sense else "", residue=result.residue,
                    data=result.data.hex(), cdb=cdb.hex())
