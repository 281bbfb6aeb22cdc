"""Tape acts a face starts and then follows, rather than waits for: load, unload, label and erase.

A load may take long (a new LTO-9 cartridge is calibrated on its first load, up to 132 minutes) and
so may an erase (a long erase runs to the end of the tape): a web request must wait for neither.
Everything that can be checked without the tape is checked at once, and a refusal changes nothing:
the barcode, the interlock (a cartridge holding an active backup group is never erased or
relabelled — the domain's own check, asked of a copy), the barcode typed back for an act that
cannot be undone, the drive not held by a job or by another act. Then the act runs in a thread of
this process on a drive session of its own, and how far it is goes to the progress store under its
act id — the one progress model, followed like a job's (SSE on the web).

Why a thread and not the worker's queue: the queue carries ledger jobs (backups, restores) whose
state lives in the ledger, so a worker that restarts resumes them. A tape act has no such state: the
ledger records it when it is done, so one that dies with its process is simply not recorded, and the
cartridge keeps what the ledger says it holds. One act at a time per drive in this process.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import BadRequest, Refused
from kernel.errors import describe
from kernel.progress import ProgressBoard
from ledger.errors import DriveBusy
from ledger.errors import NotFound as LedgerNotFound
from ledger.rules.cartridge_text import pool_text

if TYPE_CHECKING:
    from app.tapes import Tapes, TapesDeps
    from ledger.domain import Cartridge

log = logging.getLogger("taf.app")

ACTS = {"load": "装入磁带", "unload": "卸下磁带", "label": "写入标签", "erase": "擦除磁带"}
ERASE_MODES = {"short": "快速擦除", "long": "长擦除"}
_BARCODE = re.compile(r"^[A-Z0-9]{1,32}$")

_running: dict[str, str] = {}  # device → what runs on it, in words
_running_lock = threading.Lock()

Run = Callable[[ProgressBoard], str]  # the act's body: returns the sentence it ends with


@dataclass(frozen=True)
class ActStarted:
    """An act checked and running: follow it under `act_id` in the progress store."""

    act_id: str
    act: str  # load, unload, label or erase
    act_text: str
    barcode: str | None  # None for an unload (whatever the drive holds)
    device: str
    actor: str
    message: str  # what it is doing, in words


def barcode_of(text: str) -> str:
    code = (text or "").strip().upper()
    if not _BARCODE.match(code):
        raise BadRequest(f"条码“{(text or '').strip()}”无效：应为 1 到 32 位字母或数字")
    return code


def typed_back(code: str, confirm: str | None, act: str) -> None:
    """An act that cannot be undone needs the barcode typed back; refused before anything is touched."""
    typed = (confirm or "").strip().upper()
    if not typed:
        raise BadRequest(f"{act}磁带 {code} 无法撤销：请再次输入条码 {code} 确认，未做任何改动")
    if typed != code:
        raise BadRequest(f"确认条码不符，未做任何改动（需要输入 {code}，收到 {typed}）")


def running_on(device: str) -> str | None:
    """What act runs on `device` in this process now, in words (None: none)."""
    with _running_lock:
        return _running.get(device)


class TapeActs:
    def __init__(self, tapes: Tapes, deps: TapesDeps) -> None:
        self._tapes = tapes
        self._deps = deps

    # -- the acts -----------------------------------------------------------------------------------

    def load(self, barcode: str, *, actor: str, device: str | None = None) -> ActStarted:
        """The robot loads `barcode` into the drive (taking out what it held); waits such as the
        first-load media optimisation are published with their estimate."""
        code, spec = barcode_of(barcode), self._tapes.device(device)

        def run(board: ProgressBoard) -> str:
            loaded = self._tapes.load(code, actor=actor, device=spec, on_message=lambda said: board.update(message=said))
            swapped = f"（换下的磁带 {loaded.unloaded} 已放回带库）" if loaded.unloaded else ""
            return f"磁带 {code} 已装入驱动器 {spec}{swapped}"

        return self._start("load", code, actor, spec, f"正在把磁带 {code} 装入驱动器 {spec}", run, phase="load")

    def unload(self, *, actor: str, device: str | None = None) -> ActStarted:
        """Take whatever the drive holds out, back to where it came from."""
        spec = self._tapes.device(device)

        def run(board: ProgressBoard) -> str:
            done = self._tapes.unload(actor=actor, device=spec)
            return f"磁带 {done.barcode or '（条码未知）'} 已卸下，放回{done.location_text or done.location}"

        return self._start("unload", None, actor, spec, f"正在卸下驱动器 {spec} 中的磁带", run, phase="prepare")

    def label(self, barcode: str, *, actor: str, confirm: str | None = None, pool: str | None = None,
              device: str | None = None) -> ActStarted:
        """Write a TAF label on `barcode` (loaded first). One the ledger knows as labelled needs its
        barcode typed back (`confirm`); one holding an active backup group is refused outright."""
        code, spec = barcode_of(barcode), self._tapes.device(device)
        cartridge = self._cartridge(code)
        relabel = bool(cartridge is not None and cartridge.volume_serial)
        if cartridge is not None:
            cartridge.check_usable("贴标签")
            held = self._deps.ledger.active_groups_on(cartridge)
            if held:  # relabelling truncates the tape at BOT: the erase's interlock
                raise Refused(f"拒绝重新贴标签磁带 {code}：它仍保存活动备份组 {'、'.join(held)}",
                              "等这些备份组轮换出活动集后再重新使用这盘磁带")
        if relabel:
            typed_back(code, confirm, "重新贴标签会清除")
        chosen = (pool or "").strip() or None

        def run(board: ProgressBoard) -> str:
            self._bring(code, spec, actor, board)
            board.update(phase="write", message=f"正在给磁带 {code} 写入标签")
            done = self._tapes.label(actor=actor, pool=chosen, barcode=code, force=relabel,
                                     confirm=code if relabel else None, device=spec)
            return f"磁带 {code} 已写入标签 {done.volume_serial}（第 {done.label_sequence} 次，池 {pool_text(done.pool)}）"

        return self._start("label", code, actor, spec, f"正在给磁带 {code} 写入标签", run, phase="prepare")

    def erase(self, barcode: str, *, actor: str, confirm: str | None, long: bool = False,
              device: str | None = None) -> ActStarted:
        """Erase `barcode` (loaded first), back to the scratch pool. Always needs its barcode typed
        back; refused while it holds an active backup group, whatever its retention says."""
        code, spec = barcode_of(barcode), self._tapes.device(device)
        mode = "long" if long else "short"
        cartridge = self._cartridge(code)
        if cartridge is not None:
            # The interlock, asked of this copy (never saved); the ledger asks again when it records.
            cartridge.erase(mode, active_groups=self._deps.ledger.active_groups_on(cartridge), by=actor)
        typed_back(code, confirm, "擦除会清除")

        def run(board: ProgressBoard) -> str:
            self._bring(code, spec, actor, board)
            board.update(phase="erase", message=f"正在{ERASE_MODES[mode]}磁带 {code}", device_fraction=0.0)
            done = self._tapes.erase(actor=actor, acknowledged=True, long=long, confirm=code, device=spec,
                                     on_progress=lambda p: board.update(device_fraction=p.device_fraction))
            return f"磁带 {done.barcode} 已{ERASE_MODES[done.mode]}，回到空白池"

        return self._start("erase", code, actor, spec, f"正在{ERASE_MODES[mode]}磁带 {code}", run, phase="prepare")

    # -- the parts they share -------------------------------------------------------------------------

    def _cartridge(self, code: str) -> Cartridge | None:
        try:
            return self._deps.ledger.cartridge(code)
        except LedgerNotFound:
            return None

    def _bring(self, code: str, spec: str, actor: str, board: ProgressBoard) -> None:
        """Have `code` in the drive: nothing to do when it is there, else the robot loads it."""
        report = self._tapes.drive_status(actor=actor, device=spec)
        if report.medium is not None and (report.medium.barcode or "").upper() == code:
            return
        board.update(phase="load", message=f"正在把磁带 {code} 装入驱动器 {spec}")
        self._tapes.load(code, actor=actor, device=spec, on_message=lambda said: board.update(message=said))

    def _start(self, act: str, barcode: str | None, actor: str, spec: str, doing: str, run: Run, *,
               phase: str) -> ActStarted:
        drive = self._deps.ledger.find_drive(self._deps.settings.host_name, spec)
        if drive is not None and drive.reserved_by:
            raise DriveBusy(drive=drive.name, job=drive.reserved_by)
        with _running_lock:
            if spec in _running:
                raise Refused(f"驱动器 {spec} 正在执行另一项操作（{_running[spec]}），请等它完成后再试")
            _running[spec] = doing
        act_id = f"tape-{act}-{uuid.uuid4().hex[:12]}"
        board = ProgressBoard(self._deps.progress, act_id, act)
        try:
            board.update(force=True, phase=phase, message=doing, current_cartridge=barcode or "")
            threading.Thread(target=self._run, args=(board, spec, run), name=f"taf-{act_id}", daemon=True).start()
        except BaseException:
            with _running_lock:
                _running.pop(spec, None)
            raise
        return ActStarted(act_id, act, ACTS[act], barcode, spec, actor, doing)

    def _run(self, board: ProgressBoard, spec: str, run: Run) -> None:
        try:
            with board.heartbeat():
                said = run(board)
            outcome = {"phase": "done", "message": said}
        except Exception as error:  # the act's own Chinese refusal or failure is what its follower reads
            log.warning("磁带操作 %s 失败：%s", board.state.job_id, describe(error).message)
            outcome = {"phase": "failed", "message": describe(error).message}
        finally:
            with _running_lock:  # free before the end is published: whoever reads "done" may act again
                _running.pop(spec, None)
        board.update(force=True, request="", **outcome)
