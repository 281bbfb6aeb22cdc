"""Concrete paths to a SCSI device behind `tape.transport.Transport`.

- `tape.transports.linux_sg.SgTransport` — SG_IO on /dev/sgN (Linux).
- `tape.transports.windows_spti.SptiTransport` — IOCTL_SCSI_PASS_THROUGH_DIRECT on \\\\.\\TapeN (Windows).
- `tape.transports.emulated.EmulatedTransport` — the file-backed emulator (tape.emulator).
- `tape.transports.limits` — choosing a smaller block size after `TransferTooLarge`.
All import cleanly on any platform; the OS-bound ones refuse to open a device on the wrong one.
"""
