"""The catalog at a full tape's scale (issue 18): load speed, search and tree latency, and the memory
of the projector and of `catalog rebuild`.

    python bench/scale_catalog.py                          # 2 million files; memory also at 0.5 million
    python bench/scale_catalog.py --files 5000000 --memory-at 1000000
    python bench/scale_catalog.py --full                   # 20 million; memory at 1, 5 and 20 million
    python bench/scale_catalog.py --skip-postgres          # or --skip-sqlite
    python bench/scale_catalog.py --full --keep /var/tmp/scale   # keep what it made ...
    python bench/scale_catalog.py --reuse /var/tmp/scale         # ... and search it again

A synthetic installation — six monthly full backups of bench/catalog.py's file server (Chinese and
English names, every manifest key a backup writes, 5,000 entries per package), --files entries in
all — is recorded through its ledger oldest first, on SQLite (a temporary folder) and on
PostgreSQL (ledger and views in database `taf_bench_scale_catalog` on 127.0.0.1:5432, made anew and
dropped at the end). Recording stops at each size on the way (each of --memory-at, then --files):

- load: a fresh process opens the installation and its projector catches the catalog up with what
  was added; only `catch_up(["catalog"])` is timed. Files per second on the wall clock and, on
  SQLite, per CPU second of that process (goal ≥ 300,000 on SQLite, ≥ 150,000 on PostgreSQL); the
  process's peak RSS (VmHWM) after the catalog, and again after every other view has caught up;
- `catalog rebuild`, run as the CLI runs it in a fresh process: seconds and peak RSS (goal: every
  peak under 1 GiB, and flat as the catalog grows).

At the last size: --queries substring searches (bench/catalog.py's plan, limit 100; goal p95 <
100 ms on SQLite, < 200 ms on PostgreSQL; PostgreSQL is ANALYZEd first, as autovacuum would after
a load), then the same plan again — the faster of each query's two runs shows what is the query
and what was the machine — and the tree of each group's top folder, --tree-rounds times (goal
p95 < 50 ms). Prints figures; asserts nothing.

--keep FOLDER keeps each store's installation (SQLite in FOLDER/sqlite; PostgreSQL's database
stays on the server); --reuse FOLDER measures only the searches and trees again on what --keep
left (for a change to the search, without recording 20 million files again).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalog import (  # noqa: E402
    GROUPS,
    manifests,
    measure_search,
    measure_tree,
    percentile,
    queries,
    record,
    source_tree,
)
from bench.scale_common import (  # noqa: E402
    MIB,
    installation,
    load_average,
    measured_child,
    peak_rss,
    report,
    rss,
    services_in,
)

DBNAME = "taf_bench_scale_catalog"
PER_PACKAGE = 5_000
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LOAD_GOAL = {"sqlite": 300_000, "postgresql": 150_000}
SEARCH_GOAL = {"sqlite": 100.0, "postgresql": 200.0}
TREE_GOAL = 50.0
MEMORY_GOAL = 1 << 30
FLAT = 1.2  # peak at the largest size ÷ at the smallest still counted as flat


class Site:
    """Six monthly full backups of one file server (bench/catalog.py's, 2 % of the files different each
    month), recorded oldest first as far as asked: a group's ids follow each other, as they do when
    each month's backups go to that month's group."""

    def __init__(self, files: int, seed: int) -> None:
        self.per_group, self.seed = files // len(GROUPS), seed
        self.groups = iter(enumerate(GROUPS))
        self.current: tuple[str, Iterator[list[dict[str, Any]]]] | None = None
        self.recorded = 0
        self.cartridges = itertools.count(1)

    def record_until(self, ledger: Any, files: int) -> None:
        """Record the next packages until `files` entries are in the ledger (a new cartridge each time
        a group goes on, as after a tape change)."""
        while self.recorded < files:
            if self.current is None:
                found = next(self.groups, None)
                if found is None:
                    return
                index, group = found
                self.current = (group, manifests(source_tree(self.seed + 1, self.per_group), index, PER_PACKAGE,
                                                 self.seed))
            group, pending = self.current
            number = next(self.cartridges)
            record(ledger, f"C{number:05d}L9", group, f"job-{group}", self._until(pending, files))

    def _until(self, pending: Iterator[list[dict[str, Any]]], files: int) -> Iterator[list[dict[str, Any]]]:
        for manifest in pending:
            yield manifest
            self.recorded += len(manifest)
            if self.recorded >= files:
                return
        self.current = None


# --- measured in a fresh process ----------------------------------------------------------------
def load_in_this_process() -> None:
    """Open the installation the environment names; catch the catalog up, then every other view."""
    from bootstrap import build

    services = build()
    try:
        before, files = rss(), services.catalog.count()
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        services.projector.catch_up(["catalog"])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        catalog_peak = peak_rss()
        loaded = services.catalog.count() - files
        started = time.perf_counter()
        services.projector.catch_up()
        report({"before": before, "files": loaded, "seconds": wall, "cpu": cpu, "peak": catalog_peak,
                "all_peak": peak_rss(), "others": time.perf_counter() - started})
    finally:
        services.close()


def rebuild_in_this_process() -> None:
    """`catalog rebuild` as a user runs it, from the command line's own entry point."""
    from cli.app import main as cli

    before = rss()
    wall, cpu = time.perf_counter(), time.process_time()
    code = cli(["catalog", "rebuild", "--json"])
    report({"code": code, "before": before, "seconds": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu, "peak": peak_rss()})


# --- one store ----------------------------------------------------------------------------------
@contextmanager
def store_folder(store: str, args: argparse.Namespace) -> Iterator[Path]:
    """Where the installation on `store` lives: a temporary folder, or the one --keep / --reuse names."""
    kept = args.keep or args.reuse
    if kept is None:
        with tempfile.TemporaryDirectory(prefix="taf-bench-scale-catalog-") as folder:
            yield Path(folder)
        return
    folder = Path(kept) / store
    if args.keep and folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} 不是空的：--keep 需要一个新的文件夹")
    if args.reuse and not folder.exists():
        raise SystemExit(f"{folder} 不存在：先用 --keep 建一次")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


def run_store(store: str, sizes: list[int], args: argparse.Namespace) -> dict[str, Any]:
    name = NAMES[store]
    found: dict[str, Any] = {"loads": [], "rebuilds": []}
    with store_folder(store, args) as folder, \
            installation(store, folder, DBNAME, fresh=not args.reuse, keep=bool(args.keep or args.reuse)) as env:
        if args.reuse:
            found.update(searches(store, env, args))
            return found
        site = Site(sizes[-1], args.seed)
        for size in sizes:
            with services_in(env) as services:
                started = time.perf_counter()
                site.record_until(services.ledger, size)
                writing = time.perf_counter() - started
            filled = site.recorded
            load = measured_child(__file__, ["--load-in-this-process"], env)
            rate = load["files"] / load["seconds"]
            by_cpu = f"，按该进程 CPU 时间 {load['files'] / load['cpu']:,.0f} 文件/秒" if store == "sqlite" else ""
            print(f"  {name} {filled:>11,} 个文件（写入台账 {writing:.0f} 秒）：载入新增的 {load['files']:,} 个 "
                  f"{load['seconds']:.1f} 秒，{rate:,.0f} 文件/秒{by_cpu}；投影进程峰值 {load['peak'] / MIB:.0f} MiB"
                  f"（开始时 {load['before'] / MIB:.0f} MiB；其余视图再追上 {load['others']:.0f} 秒后 "
                  f"{load['all_peak'] / MIB:.0f} MiB）", flush=True)
            rebuild = measured_child(__file__, ["--rebuild-in-this-process"], env)
            print(f"  {name} {filled:>11,} 个文件：catalog rebuild {rebuild['seconds']:.1f} 秒"
                  f"（{filled / rebuild['seconds']:,.0f} 文件/秒），进程峰值 {rebuild['peak'] / MIB:.0f} MiB"
                  f"（开始时 {rebuild['before'] / MIB:.0f} MiB）", flush=True)
            found["loads"].append((filled, rate, load["peak"], load["all_peak"]))
            found["rebuilds"].append((filled, rebuild["peak"]))
        found.update(searches(store, env, args))
    return found


def searches(store: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """The search plan twice and the trees of each group's top folder."""
    name = NAMES[store]
    found: dict[str, Any] = {}
    with services_in(env) as services:
        view = services.catalog
        if store == "postgresql":
            with services.store.transaction() as cursor:
                cursor.execute("ANALYZE")
        print(f"  {name}：目录中 {view.count():,} 个文件", flush=True)
        plan = queries(view, args.queries, args.seed)
        found["search"] = measure_search(name, view, plan)
        again = measure_search(f"{name} 同样的查询再跑一遍", view, plan, detail=False)
        found["search_best"] = [min(a, b) for a, b in zip(found["search"], again, strict=True)]
        found["tree"] = measure_tree(name, view, rounds=args.tree_rounds, paths=("",))
    return found


def verdicts(store: str, found: dict[str, Any]) -> None:
    name = NAMES[store]

    def met(ok: bool) -> str:
        return "达标" if ok else "未达标"

    if found["loads"]:
        files, rate, _, _ = found["loads"][-1]
        print(f"  {name} 载入：{rate:,.0f} 文件/秒（{files:,} 个文件时；目标 ≥ {LOAD_GOAL[store]:,}）：{met(rate >= LOAD_GOAL[store])}")
    search, best, tree = found["search"], found["search_best"], found["tree"]
    p95 = percentile(search, 95)
    print(f"  {name} 子串搜索：中位数 {statistics.median(search):.1f} ms，p95 {p95:.1f} ms"
          f"（目标 < {SEARCH_GOAL[store]:.0f} ms）：{met(p95 < SEARCH_GOAL[store])}；每条查询两遍取快的："
          f"中位数 {statistics.median(best):.1f} ms，p95 {percentile(best, 95):.1f} ms")
    tree95 = percentile(tree, 95)
    print(f"  {name} 备份组顶层的文件树：中位数 {statistics.median(tree):.1f} ms，p95 {tree95:.1f} ms"
          f"（目标 < {TREE_GOAL:.0f} ms）：{met(tree95 < TREE_GOAL)}")
    for what, peaks in (("投影进程（目录载入）的", [(f, p) for f, _, p, _ in found["loads"]]),
                        ("投影进程（全部视图）的", [(f, p) for f, _, _, p in found["loads"]]),
                        ("catalog rebuild 的", found["rebuilds"])):
        if not peaks:
            continue
        shown = "、".join(f"{f / 1e6:g} 百万个文件 {p / MIB:.0f} MiB" for f, p in peaks)
        growth = peaks[-1][1] / peaks[0][1]
        flat = f"，不随规模增长（最大 ÷ 最小规模 {growth:.2f}，≤ {FLAT:g} 算持平）：{met(growth <= FLAT)}" if len(peaks) > 1 else ""
        print(f"  {name} {what}峰值：{shown}；低于 1 GiB：{met(max(p for _, p in peaks) < MEMORY_GOAL)}{flat}",
              flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2_000_000, help="catalog size at the end (default 2,000,000)")
    parser.add_argument("--memory-at", type=int, nargs="*", default=None, metavar="FILES",
                        help="smaller sizes measured on the way (default: a quarter of --files)")
    parser.add_argument("--full", action="store_true", help="20 million files; memory at 1, 5 and 20 million")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--tree-rounds", type=int, default=10, help="calls on each group's top folder")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument("--keep", metavar="FOLDER", help="keep the installations in FOLDER (a new folder)")
    kept.add_argument("--reuse", metavar="FOLDER", help="only search what --keep left in FOLDER")
    parser.add_argument("--load-in-this-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rebuild-in-this-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_in_this_process:
        load_in_this_process()
        return 0
    if args.rebuild_in_this_process:
        rebuild_in_this_process()
        return 0
    if args.full:
        args.files, args.memory_at = 20_000_000, [1_000_000, 5_000_000]
    smaller = [args.files // 4] if args.memory_at is None else args.memory_at
    sizes = sorted({size for size in [*smaller, args.files] if 0 < size <= args.files})
    stores = [store for store, skip in (("sqlite", args.skip_sqlite), ("postgresql", args.skip_postgres)) if not skip]
    begun = time.perf_counter()
    shape = (f"再次搜索 {args.reuse} 里留下的目录" if args.reuse else
             f"目录的规模：{' → '.join(f'{size:,}' for size in sizes)} 个文件，6 个备份组，每个数据包 {PER_PACKAGE:,} 项")
    print(f"{shape}；"
          f"机器负载 {load_average()}", flush=True)
    found = {}
    for store in stores:
        found[store] = run_store(store, sizes, args)
    print("结论", flush=True)
    for store in stores:
        verdicts(store, found[store])
    print(f"总用时 {time.perf_counter() - begun:.0f} 秒；结束时机器负载 {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
