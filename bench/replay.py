"""Audit replay against a rebuild (issue 17): the state as of a past moment, rebuilt in memory from
the ledger, against rebuilding the same read models from scratch.

    python bench/replay.py [--events 200000] [--tail 20000] [--packages 20] [--rounds 2]
    python bench/replay.py --full          # the issue's size: 1,000,000 events before the moment

The default size finishes in under a minute on a 2-core host; `--full` (about four minutes there)
is the size the issue's goal is stated for.

A synthetic ledger is written in batched saves (as bench/ledger.py does): monthly backup jobs that
start, write packages to a pool of cartridges, complete and report to DingTalk, groups opening each
month, now and then a setting change. `--events` of them fall before the chosen moment and `--tail`
after it. Then `Audit.replay` (what `audit replay --until` runs: the inventory, groups, settings,
jobs and notification log as of the moment, expiry judged then) is timed against
`Projector.rebuild` of the same views over the whole ledger. Each is run `--rounds` times in turn and the
fastest of each is compared, on the wall clock and in CPU time (which other work on the machine
disturbs less). SQLite in a temporary folder. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger import clock  # noqa: E402
from ledger.domain import BackupGroup, BackupJob, Cartridge, Settings  # noqa: E402
from ledger.domain.notification import Notification  # noqa: E402
from ledger.domain.people import Recipient  # noqa: E402

VIEWS = ["inventory", "groups", "settings", "jobs", "notifications"]
CARTRIDGES = 200
PHONES = ["13800000001", "13800000002"]
DEFAULT_EVENTS = 200_000
FULL_EVENTS = 1_000_000


class Writer:
    """Synthetic history in batched saves: one save per job, its cartridges and its messages."""

    def __init__(self, ledger: Any, packages: int) -> None:
        self.ledger = ledger
        self.packages = packages
        self.moment = clock.ManualClock(datetime(2024, 1, 1, tzinfo=UTC))
        clock.set_clock(self.moment)
        self.cartridges = [Cartridge(barcode=f"B{n:05d}L9", capacity_bytes=18 * 10**12, location=f"slot:{n}")
                           for n in range(CARTRIDGES)]
        for cartridge in self.cartridges:
            cartridge.label(volume_serial=cartridge.barcode[:6], pool="default", block_size=262144, by="bench")
        self.settings = Settings()
        recipients = [Recipient.add(f"值班{n}", phone, ["backup_succeeded"], by="bench") for n, phone in enumerate(PHONES)]
        ledger.save(*self.cartridges, self.settings, *recipients)
        self.group: BackupGroup | None = None
        self.jobs = 0

    def job(self) -> None:
        number = self.jobs
        self.jobs += 1
        self.moment.advance(minutes=30)
        month = f"{self.moment.moment:%Y-%m}"
        changed: list[Any] = []
        if self.group is None or self.group.name != month:
            self.group = BackupGroup(name=month, by="bench")
            changed.append(self.group)
            if number % 7 == 0:
                self.settings.change("compression_level", number % 10, old=(number - 1) % 10, by="bench")
                changed.append(self.settings)
        job = BackupJob(idempotency_key=f"job-{number}", kind="monthly", sources=["/srv"], group=month, params={})
        job.start(host="bench")
        cartridge = self.cartridges[number % CARTRIDGES]
        cartridge.loaded(drive="emulated:0", by="bench")
        for sequence in range(self.packages):
            package = f"{number}-{sequence}"
            cartridge.record_package(job_id=str(job.id), package_id=package, group=month, sequence=sequence,
                                     tape_file=sequence + 1, header_block=0, payload_block=1, payload_blocks=1,
                                     payload_bytes=1 << 20, payload_sha256="0" * 64, compression="lzma2", manifest=[])
            job.package_recorded(package_id=package, sequence=sequence, cartridge=cartridge.barcode)
        cartridge.unloaded(drive="emulated:0", location=f"slot:{number % CARTRIDGES}", by="bench")
        job.complete({"files": 1000, "bytes_in": self.packages << 21, "bytes_packed": self.packages << 20,
                      "seconds": 60.0, "chain_head": "0" * 64}, [])
        notes = []
        for phone in PHONES:
            note = Notification(dedupe_key=f"{job.id}:done:{phone}", kind="backup_succeeded", phone=phone,
                                title=f"【TAF】备份成功：{month}", content="…", cause=f"{job.id}:done")
            note.deliver(task_id=f"task-{number}-{phone}")
            notes.append(note)
        self.ledger.save(*changed, job, cartridge, *notes)

    def write_until(self, events: int) -> float:
        started = time.perf_counter()
        while self.ledger.head_id() < events:
            self.job()
        return time.perf_counter() - started


def timed(work: Any) -> tuple[Any, float, float]:
    """What `work()` returned, and the seconds it took: on the wall clock, and of this process's CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="events before the moment replayed to")
    parser.add_argument("--full", action="store_const", const=FULL_EVENTS, dest="events",
                        help=f"the issue's size: {FULL_EVENTS:,} events before the moment")
    parser.add_argument("--tail", type=int, default=20_000, help="events after it")
    parser.add_argument("--packages", type=int, default=20, help="packages per job")
    parser.add_argument("--rounds", type=int, default=2, help="replay and rebuild, in turn, this many times each")
    args = parser.parse_args()
    if min(args.events, args.rounds) < 1 or min(args.tail, args.packages) < 0:
        parser.error("--events and --rounds must be positive, --tail and --packages not negative")
    with tempfile.TemporaryDirectory(prefix="taf-bench-replay-") as folder:
        os.environ.update({"DATA_DIR": str(Path(folder) / "data"), "TAF_ENV_FILE": str(Path(folder) / "absent.env"),
                           "LOG_FILE": str(Path(folder) / "logs" / "bench.log")})
        for key in ("DATABASE_URL", "REDIS_URL", "TAF_NOW"):
            os.environ.pop(key, None)
        from bootstrap import build

        services = build()
        try:
            run(services, args)
        finally:  # an interrupted run still closes the ledger before its folder is removed
            services.close()
            clock.start_at(None)


def run(services: Any, args: argparse.Namespace) -> None:
    from app.facade import make_app

    writer = Writer(services.ledger, args.packages)
    seconds = writer.write_until(args.events)
    moment = writer.moment.moment + timedelta(minutes=1)
    writer.write_until(services.ledger.head_id() + args.tail)
    total = services.ledger.head_id()
    print(f"写入 {total:,} 条事件（{writer.jobs:,} 个任务）；写到回放时刻为止用时 {seconds:.1f} 秒", flush=True)
    app = make_app(services)
    replays, rebuilds = [], []
    for number in range(1, args.rounds + 1):
        shown, wall, cpu = timed(lambda: app.audit.replay(moment.isoformat()))
        replays.append((wall, cpu))
        print(f"第 {number} 轮 回放到 {moment:%Y-%m-%d %H:%M}（第 {shown.position:,} 号事件）：{wall:.1f} 秒"
              f"（CPU {cpu:.1f} 秒）；磁带 {len(shown.cartridges)} 盘、备份组 {len(shown.groups)} 个、"
              f"任务 {len(shown.jobs):,} 个、通知 {len(shown.notifications):,} 条", flush=True)
        applied, wall, cpu = timed(lambda: services.projector.rebuild(VIEWS))
        rebuilds.append((wall, cpu))
        print(f"第 {number} 轮 从头重建同样的读模型（{'、'.join(VIEWS)}；{total:,} 条事件，应用 {applied:,} 次）："
              f"{wall:.1f} 秒（CPU {cpu:.1f} 秒）", flush=True)
    best_replay, best_rebuild = min(replays), min(rebuilds)
    print(f"各取最快：回放 {best_replay[0]:.1f} 秒，重建 {best_rebuild[0]:.1f} 秒，回放 / 重建 = "
          f"{best_replay[0] / best_rebuild[0]:.2f}（目标 ≤ 1.2）；只算 CPU 时间 = "
          f"{min(c for _, c in replays) / max(1e-9, min(c for _, c in rebuilds)):.2f}")

if __name__ == "__main__":
    main()
