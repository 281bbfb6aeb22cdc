"""驱动器: the selected drive — identity, cartridge and label, position, state (ready, loading, LTO-9
first-load optimisation with its estimate, cleaning), compression, TapeAlert with advice — and the
acts on it: load, unload, rewind, label, erase (typed confirmation), health, the device picker."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult

from app.facade import App
from ledger.rules.cartridge_text import pool_text
from tui import commands
from tui.dialogs import Ask, Choose, Erasing, LabelDialog, Labelling, TypeBack
from tui.messages import ActProgress, Found
from tui.prose import Para, Prose
from tui.screens.base import ConsoleScreen
from tui.text import NOTHING, bar, clock_time, on_off, size, text, yes_no


def _row(info: Table, label: str, value: str | Text) -> None:
    """A line of the drive's description, its value wrapped the Chinese way in its column."""
    info.add_row(label, Prose(value))


class DriveScreen(ConsoleScreen):
    MODE = "drive"
    BINDINGS = commands.bindings("drive")
    AUTO_FOCUS = None
    _progress: Text | None = None  # the running act's bar, once it reports one

    def body(self) -> ComposeResult:
        yield Para(id="drive-info", classes="panel")
        yield Para(id="drive-health", classes="panel")
        yield Para(id="drive-log")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.console.read_drive()

    # -- drawing ----------------------------------------------------------------------------------

    def draw(self) -> None:
        session = self.session
        reading = session.drive
        report = reading.report if reading else None
        info = Table.grid(padding=(0, 2))
        info.add_column(style="bold", no_wrap=True)
        info.add_column()
        holder = session.job_on_drive()
        if holder is not None:
            phase = holder.progress.phase_label if holder.progress else holder.row.status_text
            _row(info, "", Text(text("drive_busy", kind=holder.kind_text, job=holder.job_id[:8],
                                       phase=phase), style="yellow"))
        act = self._act_line()
        if reading is None:
            _row(info, text("drive_state"), act or text("drive_reading"))
        elif report is None:
            _row(info, text("drive_state"), act or Text(text("drive_unreachable", message=reading.problem), style="red"))
        else:
            self._describe(info, report, act)
        self.query_one("#drive-info", Para).update(info)
        self.query_one("#drive-health", Para).update(self._health(report))
        self.query_one("#drive-log", Para).update(self._log())

    def _act_line(self) -> Text | None:
        """While an act runs, the drive's state is what the act last heard from it (the last reading
        is from before the act): the drive's wait with its estimate, an erase's bar."""
        act = self.console.drive_act
        if act is None:
            self._progress = None
            return None
        return self._progress or Text(text("drive_act_running", act=act), style="yellow")

    def _describe(self, info: Table, report: Any, act: Text | None) -> None:
        session = self.session
        _row(info, text("drive_device"), report.device)
        _row(info, text("drive_model"), f"{report.vendor} {report.product}  {text('drive_firmware')} {report.revision}"
                                          f"  {text('drive_serial')} {report.serial or NOTHING}")
        state_style = {"ready": "green", "loading": "yellow", "optimising": "yellow"}.get(report.state, "")
        _row(info, text("drive_state"), act or Text(report.state_text, style=state_style))
        if report.state_advice and act is None:  # while a new LTO-9 cartridge is optimised: leave it in
            _row(info, "", Text(report.state_advice, style="yellow"))
        medium = report.medium
        if medium is None:
            _row(info, text("drive_tape"), text("drive_no_tape"))
            return
        entry = session.cartridge(medium.barcode)
        if not medium.barcode:
            tape = text("drive_unknown_barcode")
        elif entry is not None and entry.volume_serial:
            tape = text("drive_tape_label", barcode=entry.barcode, volser=entry.volume_serial, pool=entry.pool_text,
                        sequence=entry.label_sequence, status=entry.status_label or entry.status)
        else:
            tape = text("drive_tape_unlabelled", barcode=medium.barcode)
        _row(info, text("drive_tape"), tape)
        position = (text("drive_position_at", file=medium.file, block=medium.block)
                    if medium.file is not None and medium.block is not None else text("drive_position_unknown"))
        _row(info, text("drive_position"), position)
        _row(info, text("drive_medium"), text(
            "drive_medium_line", generation=medium.generation or "?", medium_type=medium.medium_type,
            compression=on_off(medium.compression), protected=yes_no(medium.write_protected),
            worm=text("drive_worm") if medium.worm else "",
            early=text("drive_early_warning") if medium.beyond_early_warning else ""))

    def _health(self, report: Any) -> Text | Group:
        """Cleaning and TapeAlert: read in this session, else the last snapshot the ledger keeps."""
        barcode = report.medium.barcode if report is not None and report.medium is not None else None
        health = self.session.health if self.session.health and self.session.health.get("barcode") == barcode else None
        if health is None and barcode:
            entry = self.session.cartridge(barcode)
            health = entry.health if entry is not None and entry.health else None
        if not health:
            return Text(f"{text('drive_cleaning')}：{text('drive_clean_unknown')}", style="dim")
        lines = [Text(text("drive_health_heading", taken=health.get("taken_at", "")[:19].replace("T", " ")),
                      style="bold")]
        cleaning = text("drive_clean_needed") if health.get("cleaning_required") else text("drive_clean_ok")
        lines.append(Text(f"{text('drive_cleaning')}：{cleaning}",
                          style="yellow" if health.get("cleaning_required") else ""))
        ratio = health.get("compression_ratio")
        lines.append(Text(text("drive_health_line", written=size(health.get("host_bytes_written")),
                               read=size(health.get("host_bytes_read")),
                               ratio=f"{ratio:.2f}" if isinstance(ratio, int | float) else NOTHING,
                               mounts=health.get("mounts") if health.get("mounts") is not None else NOTHING,
                               write_retries=health.get("write_retries") or 0,
                               read_retries=health.get("read_retries") or 0)))
        alerts = health.get("alerts") or []
        if not alerts:
            lines.append(Text(f"{text('drive_alerts')}：{text('drive_no_alerts')}"))
        for alert in alerts:
            style = {"critical": "red", "warning": "yellow"}.get(str(alert.get("severity")), "")
            lines.append(Text(f"{text('drive_alerts')} " + text("drive_alert_line", code=int(alert.get("code", 0)),
                                                                  title=alert.get("title", ""),
                                                                  advice=alert.get("advice", "")), style=style))
        return Group(*(Prose(line) for line in lines))

    def _log(self) -> Text:
        shown = Text(text("drive_recent"), style="bold")
        acts = self.session.acts[-4:]
        if not acts:
            shown.append("\n" + text("drive_none_yet"), style="dim")
        for at, line in acts:
            shown.append(f"\n{clock_time(at)} {line}")
        return shown

    def on_act_progress(self, message: ActProgress) -> None:
        line = Text(text("drive_act_note", act=message.title, note=message.note) if message.note else
                    text("drive_act_running", act=message.title), style="yellow")
        if message.fraction is not None:
            line.append(" ")
            line.append_text(bar(message.fraction, 20))
        self._progress = line
        self.draw()

    # -- acts -------------------------------------------------------------------------------------

    def _barcode(self) -> str | None:
        reading = self.session.drive
        medium = reading.report.medium if reading and reading.report else None
        return medium.barcode if medium is not None else None

    def action_refresh(self) -> None:
        self.console.read_drive()

    def action_load(self) -> None:
        present = [e.barcode for e in self.session.inventory if e.location.startswith(("slot", "ie"))]
        hint = text("load_hint", barcodes="、".join(present[:8])) if present else text("load_hint_none")
        self.app.push_screen(Ask(text("load_title"), text("load_prompt"), hint=hint), self._load)

    def _load(self, barcode: str | None) -> None:
        if not barcode:
            return
        actor, device = self.session.actor, self.session.device
        code, notes = barcode.strip().upper(), self.notes_of(text("act_load"))
        self.act(text("act_load"), lambda app: app.tapes.load(code, actor=actor, device=device, on_message=notes),
                 lambda loaded: text("done_load", barcode=loaded.barcode, replaced=text(
                     "done_load_replaced", barcode=loaded.unloaded) if loaded.unloaded else ""), drive=True)

    def action_unload(self) -> None:
        actor, device = self.session.actor, self.session.device
        self.act(text("act_unload"), lambda app: app.tapes.unload(actor=actor, device=device),
                 lambda done: text("done_unload", barcode=done.barcode or text("drive_unknown_barcode"),
                                   location=done.location_text or done.location), drive=True)

    def action_rewind(self) -> None:
        actor, device = self.session.actor, self.session.device
        self.act(text("act_rewind"), lambda app: app.tapes.rewind(actor=actor, device=device),
                 lambda done: text("done_rewind", barcode=done.barcode or text("drive_unknown_barcode")), drive=True)

    def action_label(self) -> None:
        self.app.push_screen(LabelDialog(self._barcode() or ""), self._label)

    def _label(self, asked: Labelling | None) -> None:
        if asked is None:
            return
        actor, device = self.session.actor, self.session.device
        self.act(text("act_label"), lambda app: app.tapes.label(actor=actor, pool=asked.pool,
                                                               barcode=asked.barcode or None, force=asked.force,
                                                               confirm=asked.confirm, device=device),
                 lambda done: text("done_label", barcode=done.barcode, volser=done.volume_serial, pool=pool_text(done.pool)),
                 drive=True)

    def action_erase(self) -> None:
        barcode = self._barcode()
        if not barcode:
            self.notify(text("no_barcode"), severity="warning")
            return
        dialog = TypeBack(text("erase_title", barcode=barcode), text("erase_warning", barcode=barcode), barcode,
                          long_choice=True)
        self.app.push_screen(dialog, self._erase)

    def _erase(self, asked: Erasing | None) -> None:
        if asked is None:
            return
        actor, device = self.session.actor, self.session.device
        observer = self.progress_of(text("act_erase"))
        self.act(text("act_erase"), lambda app: app.tapes.erase(actor=actor, acknowledged=True, long=asked.long,
                                                               confirm=asked.confirm, on_progress=observer,
                                                               device=device),
                 lambda done: text("done_erase", barcode=done.barcode,
                                   mode=text("erase_long" if done.mode == "long" else "erase_short")), drive=True)

    def action_health(self) -> None:
        session = self.session
        actor, device = session.actor, session.device

        def read(app: App) -> Any:
            snapshot = app.tapes.health(actor=actor, device=device)
            session.health = snapshot.to_dict()
            return snapshot

        self.act(text("act_health"), read,
                 lambda snapshot: text("done_health", alerts=text("alerts_count", count=len(snapshot.alerts))
                                       if snapshot.alerts else text("alerts_none")), drive=True)

    def action_devices(self) -> None:
        # Discovery may take a moment (it asks every SCSI device what it is): not on the screen's thread.
        device = self.session.device
        self.read(text("device_title"), lambda app: app.tapes.devices(device), lambda found: Found("devices", found))

    def on_found(self, message: Found) -> None:
        if message.what == "devices":
            self.pick_device(message.value)

    def pick_device(self, devices: list[Any]) -> None:
        options = []
        for device in devices:
            extra = (text("device_problem", problem=device.problem) if device.problem else
                     text("device_loaded", barcode=device.barcode) if device.barcode else "")
            kind = text("device_drive") if device.kind == "drive" else text("device_changer")
            usable = device.kind == "drive" and not device.problem
            options.append((device.path if usable else None, text("device_line", path=device.path, kind=kind,
                                                                   vendor=device.vendor, product=device.product,
                                                                   extra=extra)))
        self.app.push_screen(Choose(text("device_title"), options, empty=text("device_none")), self._picked)

    def _picked(self, path: str | None) -> None:
        if path:
            self.session.device = path
            self.session.drive = None
            self.session.health = None
            self.session.note(text("device_picked", device=path))
            self.redraw()
            self.console.read_drive()
