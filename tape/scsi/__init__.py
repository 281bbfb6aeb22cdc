"""SCSI for an IBM LTO tape drive and its library: build commands, decode replies, judge outcomes.

Nothing here talks to a device; a `tape.transport.Transport` carries the bytes. One module per job:

- `opcodes` — operation codes, command names, default timeouts, `TimeoutTable`.
- `cdb` — one builder per SPC/SSC command (TEST UNIT READY … REPORT SUPPORTED OPERATION CODES).
- `changer` — SMC builders and parsers (READ ELEMENT STATUS, MOVE MEDIUM, element addresses).
- `sense` — fixed and descriptor sense data into `Sense`.
- `outcomes` — `check(result)`: success with flags (`Completion`) or a typed `TapeError`.
- `errors` — the `TapeError` hierarchy; `messages` — the Chinese text of this package.
- `tapealert` — the 64 TapeAlert flags in Chinese, severity and advice; page 2Eh.
- `inquiry`, `capabilities`, `modepages`, `position`, `logpages`, `mam` — reply parsers (and
  encoders where the host sends data: MODE SELECT, WRITE ATTRIBUTE).

A driver command is three lines:

    reply = transport.execute(cdb.read_position(), Direction.FROM_DEVICE, length=32, timeout=t)
    check(reply, "READ POSITION")            # raises e.g. NoMedium, UnitAttention, MediumError
    position = parse_long(reply.data)
"""
