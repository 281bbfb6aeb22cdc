"""The catalog at scale: load speed through the ledger and the Projector, and substring search latency.

    python bench/catalog.py [--files N] [--load-files N] [--queries N] [--skip-postgres] [--seed S]

(a) Load: PackageWritten events whose manifests hold 1,000, 5,000 and 10,000 entries are saved to a
    fresh ledger; then a Projector applies them to an empty catalog. Only `catch_up()` is timed:
    reading the events, decoding them, writing rows and indexes, committing. SQLite: ledger and
    views in a temporary folder. PostgreSQL: ledger (ledger.opengauss) and views in the database
    `taf_bench_catalog` on 127.0.0.1:5432, dropped and recreated (and dropped at the end).
(b) Search: a catalog of --files files (default 5,000,000) is built the same way, through ledger
    events and the Projector: six monthly full backups of one file server, 5,000 entries per
    package. The SQLite ledger built for it also feeds the PostgreSQL catalog (the events are not
    written a second time). Then --queries substring searches (default 300, limit 100) run in a
    fixed random order: ASCII and Chinese, 1–8 characters, matching nothing, a few or very many
    rows, some with a group filter.

The manifests imitate real ones (every key the backup writes, folders as entries, large files in
chunks); paths mix Chinese and English folder and file names. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger  # noqa: E402
from projections.catalog import CatalogView, SearchQuery  # noqa: E402
from projections.runner import Projector  # noqa: E402
from projections.store import PostgresViewStore, SqliteViewStore, ViewStore  # noqa: E402

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": "", "dbname": "taf_bench_catalog"}
NS = 1_000_000_000
GROUPS = [f"2026-{month:02d}" for month in range(1, 7)]
# Entries per transaction of the Projector: its batch counts events, and one event holds a whole manifest.
ENTRIES_PER_BATCH = 100_000

DEPARTMENTS = ["财务部", "人力资源部", "研发中心", "市场营销部", "行政部", "法务部", "采购部", "质量管理部",
               "客户服务中心", "信息技术部", "董事会办公室", "华东分公司"]
PROJECTS = ["智慧城市", "磁带归档系统", "数据中心迁移", "ERP升级", "门户网站改版", "供应链优化", "Project-Phoenix",
            "apollo", "hr-portal", "年度审计", "新园区建设", "海外市场拓展", "客户关系管理", "安全生产月",
            "二〇二六预算编制", "knowledge-base", "移动办公", "ISO9001认证", "品牌升级", "税务筹划"]
TOPICS = ["合同", "发票", "报告", "会议纪要", "照片", "设计稿", "预算", "招标文件", "培训资料", "项目计划",
          "验收材料", "档案", "src", "docs", "签字扫描件"]
SUBFOLDERS = ["初稿", "终稿", "历史版本", "扫描件", "附件", "old", "backup", "素材", "导出", "归档"]
WORDS = ["年度总结", "季度报告", "工作计划", "会议记录", "客户名单", "采购清单", "报价单", "产品说明书", "备忘录",
         "通知", "申请表", "审批单", "对账单", "工资表", "考勤记录", "演示文稿", "需求说明", "测试报告", "周报",
         "月报", "实施方案", "保密协议", "劳动合同", "付款凭证", "出差报销", "资产盘点", "培训签到表"]
RARE_WORDS = ["鳄鱼养殖", "量子通信", "翡翠原石", "敦煌壁画", "珠穆朗玛", "Zeppelin", "quokka"]
ENGLISH = ["report", "summary", "invoice", "contract", "meeting-notes", "budget", "scan", "backup", "readme",
           "export", "draft", "final", "presentation", "roadmap", "minutes", "checklist"]
CODE = ["main.py", "utils.py", "README.md", "pom.xml", "UserService.java", "index.html", "app.js", "style.css",
        "config.yaml", "Dockerfile", "build.gradle", "test_api.py"]
DOC_EXTS = ["docx", "xlsx", "pdf", "pptx", "doc", "xls", "txt", "csv", "wps", "et"]
MEDIA_EXTS = ["jpg", "png", "mp4", "tif", "dwg", "wav", "zip", "7z", "rar"]
ROOTS = [("/srv/共享", 0.80), ("/home/zhangsan", 0.12), ("D:\\财务归档", 0.08)]


# --- the file server ---------------------------------------------------------------------------
def member_prefix(root: str) -> str:
    if "\\" in root or (len(root) > 1 and root[1] == ":"):
        drive, _, rest = root.replace("\\", "/").partition(":")
        return "/".join(part for part in [drive, *rest.split("/")] if part)
    return "/".join(part for part in root.split("/") if part)


def file_name(rnd: random.Random, year: int) -> str:
    x = rnd.random()
    if x < 0.0004:
        return f"{rnd.choice(RARE_WORDS)}{rnd.randint(1, 99)}.{rnd.choice(DOC_EXTS)}"
    if x < 0.40:
        suffix = f"_{rnd.randint(1, 99):02d}" if rnd.random() < 0.5 else ("(修订版)" if rnd.random() < 0.1 else "")
        return f"{rnd.choice(WORDS)}{suffix}.{rnd.choice(DOC_EXTS)}"
    if x < 0.60:
        return f"{rnd.choice(['IMG', 'DSC', 'VID'])}_{rnd.randint(1, 99999):05d}.{rnd.choice(MEDIA_EXTS)}"
    if x < 0.80:
        return f"{year}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}_{rnd.choice(WORDS)}.{rnd.choice(DOC_EXTS)}"
    if x < 0.92:
        version = rnd.choice(["v1", "v2", "v3", "final", "draft"])
        return f"{rnd.choice(ENGLISH)}_{version}_{rnd.randint(1, 9999)}.{rnd.choice(DOC_EXTS)}"
    return rnd.choice(CODE)


def source_tree(seed: int, files: int) -> list[tuple[str, str, str, int]]:
    """(root, relative path, kind, size) for a file server of about `files` entries, folders included."""
    rnd = random.Random(seed)
    entries: list[tuple[str, str, str, int]] = []
    roots = [r for r, _ in ROOTS]
    weights = [w for _, w in ROOTS]
    while len(entries) < files:
        root = rnd.choices(roots, weights)[0]
        year = rnd.randint(2019, 2026)
        parts = [rnd.choice(DEPARTMENTS), f"{year}年", rnd.choice(PROJECTS), rnd.choice(TOPICS)]
        if rnd.random() < 0.5:
            parts.append(f"{rnd.randint(1, 12):02d}月")
        if rnd.random() < 0.4:
            parts.append(rnd.choice(SUBFOLDERS))
        if parts[3] == "src":
            parts += ["main", "java", "com", "taf", rnd.choice(["service", "web", "model", "util"])]
        folder = "/".join(parts)
        entries.append((root, folder, "dir", 0))
        for _ in range(rnd.randint(3, 40)):
            name = file_name(rnd, year)
            size = int(rnd.lognormvariate(11, 2.5))
            entries.append((root, f"{folder}/{name}", "file", size))
    return entries[:files]


def manifests(tree: list[tuple[str, str, str, int]], group_index: int, per_package: int,
              seed: int) -> Iterator[list[dict[str, Any]]]:
    """The manifests of one full backup of `tree`; about 2 % of the files differ from month to month."""
    rnd = random.Random(seed * 1000 + group_index)
    base_mtime = (1_735_689_600 + group_index * 2_592_000) * NS
    getrandbits = rnd.getrandbits
    package: list[dict[str, Any]] = []
    for root, path, kind, size in tree:
        if kind == "file" and rnd.random() < 0.02:
            folder, _, _ = path.rpartition("/")
            path = f"{folder}/{file_name(rnd, 2026)}"
        member = f"{member_prefix(root)}/{path}"
        mtime = base_mtime - getrandbits(40) * 1000
        chunks = 1 if size < 3 << 30 else -(-size // (3 << 30))
        for index in range(chunks):
            length = size if chunks == 1 else min(3 << 30, size - index * (3 << 30))
            package.append({
                "path": path, "path_raw": None, "root": root, "root_raw": None, "kind": kind, "size": size,
                "mtime_ns": mtime, "mode": 0o755 if kind == "dir" else 0o644,
                "member": member if chunks == 1 else f"{member}.taf-chunk-{index + 1:05d}-of-{chunks:05d}",
                "sha256": None if kind == "dir" else f"{getrandbits(256):064x}", "chunk_index": index,
                "chunk_offset": index * (3 << 30), "chunk_length": length, "total_chunks": chunks,
                "link_target": None, "link_target_raw": None, "state": "ok"})
            if len(package) >= per_package:
                yield package
                package = []
    if package:
        yield package


def record(ledger: Ledger, barcode: str, group: str, job: str, items: Iterator[list[dict[str, Any]]],
           events_per_save: int = 10) -> int:
    """Save one PackageWritten per manifest (several per save); returns the number of entries."""
    cartridge = ledger.register_cartridge(barcode)
    entries = 0
    pending = 0
    for sequence, manifest in enumerate(items, start=1):
        cartridge.record_package(job_id=job, package_id=f"{job}-p{sequence:05d}", group=group, sequence=sequence,
                                 tape_file=sequence, header_block=sequence * 12_300,
                                 payload_block=sequence * 12_300 + 2, payload_blocks=12_288,
                                 payload_bytes=3 << 30, payload_sha256="e" * 64, compression="lzma2",
                                 manifest=manifest)
        entries += len(manifest)
        pending += 1
        if pending >= events_per_save:
            ledger.save(cartridge)
            pending = 0
    if pending:
        ledger.save(cartridge)
    return entries


# --- stores ------------------------------------------------------------------------------------
def sqlite_ledger(folder: Path) -> Ledger:
    return Ledger(env={"LEDGER_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                       "LEDGER_SQLITE_DBNAME": str(folder / "ledger.db")})


def fresh_postgres(dbname: str = PG["dbname"]) -> None:
    drop_postgres(dbname, recreate=True)


def drop_postgres(dbname: str = PG["dbname"], *, recreate: bool = False) -> None:
    """The 5-million-file database is several GiB: not left behind on the shared server."""
    import psycopg2

    admin = psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {dbname}")
        if recreate:
            cursor.execute(f"CREATE DATABASE {dbname} ENCODING 'UTF8' TEMPLATE template0")
    admin.close()


def postgres_ledger() -> Ledger:
    env = {"LEDGER_PERSISTENCE_MODULE": "ledger.opengauss"}
    env.update({f"LEDGER_POSTGRES_{key.upper()}": value for key, value in PG.items()})
    return Ledger(env=env)


def catch_up(ledger: Ledger, store: ViewStore, per_package: int) -> tuple[CatalogView, int, float, float]:
    """The view, its rows, and the seconds `catch_up()` took: wall clock, and CPU time of this process."""
    view = CatalogView(store)
    projector = Projector(ledger, [view], batch=max(1, ENTRIES_PER_BATCH // per_package))
    gc.collect()  # start from no garbage left by making the data
    started, cpu = time.perf_counter(), time.process_time()
    projector.catch_up()
    return view, view.count(), time.perf_counter() - started, time.process_time() - cpu


def cpu_note(store: ViewStore, rows: int, cpu: float) -> str:
    """SQLite works inside this process, so its rate per CPU second shows the code apart from other load."""
    return f"；按本进程 CPU 时间 {rows / cpu:,.0f} 文件/秒" if store.dialect == "sqlite" else ""


# --- (a) load speed ----------------------------------------------------------------------------
def load_speed(name: str, make: Any, files: int, seed: int) -> None:
    for per_package in (1_000, 5_000, 10_000):
        ledger, store, cleanup = make()
        started = time.perf_counter()
        # The tree is made again each time and dropped once recorded: kept alive, its objects would make
        # every full garbage-collector pass during the timed decoding slower (an artefact of the bench).
        record(ledger, "LOAD01L9", GROUPS[0], "job-load", manifests(source_tree(seed, files), 0, per_package, seed))
        saving = time.perf_counter() - started
        _, rows, seconds, cpu = catch_up(ledger, store, per_package)
        print(f"  {name:<10} 每个数据包 {per_package:>6,} 项：{rows:,} 个文件 {seconds:6.2f} 秒，"
              f"{rows / seconds:>9,.0f} 文件/秒（写入台账另用 {saving:.1f} 秒{cpu_note(store, rows, cpu)}）",
              flush=True)
        store.close()
        ledger.close()
        cleanup()


# --- (b) search --------------------------------------------------------------------------------
def build_ledger(ledger: Ledger, files: int, seed: int) -> float:
    per_group = files // len(GROUPS)
    tree = source_tree(seed + 1, per_group)
    started = time.perf_counter()
    for index, group in enumerate(GROUPS):
        record(ledger, f"BCH{index + 1:03d}L9", group, f"job-{group}", manifests(tree, index, 5_000, seed))
    return time.perf_counter() - started


def queries(view: CatalogView, count: int, seed: int) -> list[tuple[str, str, str]]:
    """(category, pattern, group) — curated patterns plus random substrings of catalogued paths."""
    rnd = random.Random(seed)
    curated = [
        ("ASCII 1–2 字符", p) for p in ["a", "x", "do", "jp", "IM", "v2", "qz", "7z", "Zq", "0_"]
    ] + [
        ("ASCII 3–8 字符", p) for p in ["docx", "report", "IMG_1", "IMG_0421", "DSC_9", "budget", "final_",
                                       "README", "pom.xml", "apollo", "hr-portal", "quokka", "Zeppeli",
                                       "zzqqxx", "meeting-", ".xlsx", "_v3_", "src/main", "2024", "java/com"]
    ] + [
        ("中文 1–2 字符", p) for p in ["报", "预算", "合同", "照片", "鳄鱼", "翡翠", "麒麟", "凭证", "月报", "纪要",
                                     "二〇", "华东", "年/", "部/", "算.", "龘"]
    ] + [
        ("中文 3–8 字符", p) for p in ["年度总结", "会议纪要", "智慧城市", "磁带归档系统", "劳动合同", "量子通信",
                                     "敦煌壁画", "不存在的文件", "签字扫描件", "财务部/2024年", "/报告/", "2025年",
                                     "产品说明书_0", "招标文件/初稿", "二〇二六预算编制", "华东分公司/2019年/年度审计"]
    ]
    sample = view.search(SearchQuery(pattern="", limit=5000))
    randoms = []
    while len(randoms) < max(0, count - len(curated) - 30):
        path = rnd.choice(sample)["full_path"]
        length = rnd.randint(2, 8)
        start = rnd.randint(0, max(0, len(path) - length))
        text = path[start:start + length].strip()
        if text:
            kind = "中文" if any(ord(ch) > 127 for ch in text) else "ASCII"
            randoms.append((f"随机子串（{kind}）", text))
    chosen = [(c, p, "") for c, p in curated + randoms]
    chosen += [("带备份组过滤", rnd.choice(["报告", "IMG_1", "年度总结", "docx", "鳄鱼", "签字", "a"]), rnd.choice(GROUPS))
               for _ in range(30)]
    rnd.shuffle(chosen)
    return chosen[:count] if count < len(chosen) else chosen


def measure_search(name: str, view: CatalogView, plan: list[tuple[str, str, str]], detail: bool = True) -> list[float]:
    """Runs `plan` once (after five warm-up queries), prints the figures (by category too, with
    `detail`); returns every query's milliseconds, in `plan`'s order."""
    for _, pattern, group in plan[:5]:
        view.search(SearchQuery(pattern=pattern, group=group))
    timings: dict[str, list[float]] = {}
    in_order: list[float] = []
    full_pages = {}
    slowest = (0.0, "")
    for category, pattern, group in plan:
        started = time.perf_counter()
        rows = view.search(SearchQuery(pattern=pattern, group=group))
        elapsed = (time.perf_counter() - started) * 1000
        timings.setdefault(category, []).append(elapsed)
        in_order.append(elapsed)
        full_pages[category] = full_pages.get(category, 0) + (len(rows) >= 100)
        if elapsed > slowest[0]:
            slowest = (elapsed, f"{pattern!r}{'，组 ' + group if group else ''}，{len(rows)} 行")
    everything = [t for values in timings.values() for t in values]
    print(f"  {name}：{len(everything)} 次查询，中位数 {statistics.median(everything):.1f} ms，"
          f"p95 {percentile(everything, 95):.1f} ms，最慢 {slowest[0]:.0f} ms（{slowest[1]}）")
    for category, values in sorted(timings.items()) if detail else ():
        print(f"    {category:<14} {len(values):>4} 次  中位数 {statistics.median(values):7.1f} ms  "
              f"p95 {percentile(values, 95):7.1f} ms  最慢 {max(values):7.1f} ms  满 100 行 {full_pages[category]} 次")
    return in_order


def measure_tree(name: str, view: CatalogView, rounds: int = 5, budget: float = 60.0,
                 paths: tuple[str, ...] = ("", ROOTS[0][0])) -> list[float]:
    """The tree of each group's top and of its largest folder (`CatalogView.tree`), `rounds` times each,
    or fewer when they take longer than `budget` seconds in all (reading every row below, they did);
    returns each call's milliseconds."""
    timings: list[float] = []
    begun = time.perf_counter()
    for _ in range(rounds):
        for group in GROUPS:
            for path in paths:
                if timings and time.perf_counter() - begun > budget:
                    break
                started = time.perf_counter()
                view.tree(group, path)
                timings.append((time.perf_counter() - started) * 1000)
    where = "与".join(path or "备份组的顶层" for path in paths)
    print(f"  {name} 文件树（{where}，{len(timings)} 次）：中位数 "
          f"{statistics.median(timings):.1f} ms，p95 {percentile(timings, 95):.1f} ms，最慢 {max(timings):.1f} ms", flush=True)
    return timings


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5_000_000, help="catalog size for the search test")
    parser.add_argument("--load-files", type=int, default=300_000, help="files per load-speed run")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    begun = time.perf_counter()
    print(f"机器负载（1/5/15 分钟平均）：{' / '.join(f'{x:.2f}' for x in os.getloadavg())}，{os.cpu_count()} 核", flush=True)
    with tempfile.TemporaryDirectory(prefix="taf-bench-catalog-") as temp:
        folder = Path(temp)
        print(f"(a) 目录载入速度（台账事件 → Projector → 目录，{args.load_files:,} 个文件/次，只计 catch_up）", flush=True)
        runs = iter(range(1_000_000))

        def sqlite_pair() -> tuple[Ledger, ViewStore, Any]:
            run = folder / f"load{next(runs)}"
            run.mkdir()
            return sqlite_ledger(run), SqliteViewStore(run / "views.db"), lambda: None

        load_speed("SQLite", sqlite_pair, args.load_files, args.seed)
        if not args.skip_postgres:
            def postgres_pair() -> tuple[Ledger, ViewStore, Any]:
                fresh_postgres()
                return postgres_ledger(), PostgresViewStore(**PG), lambda: None

            load_speed("PostgreSQL", postgres_pair, args.load_files, args.seed)

        print(f"(b) 子串搜索（目录 {args.files:,} 个文件，6 个备份组，limit 100）", flush=True)
        ledger = sqlite_ledger(folder)
        saving = build_ledger(ledger, args.files, args.seed)
        print(f"  台账：{ledger.head_id():,} 条事件，写入 {saving:.0f} 秒", flush=True)
        store = SqliteViewStore(folder / "views.db")
        view, rows, seconds, cpu = catch_up(ledger, store, 5_000)
        size = sum(p.stat().st_size for p in folder.glob("views.db*")) / 2**20
        print(f"  SQLite 目录：{rows:,} 个文件，Projector 载入 {seconds:.0f} 秒（{rows / seconds:,.0f} 文件/秒"
              f"{cpu_note(store, rows, cpu)}），数据库 {size:,.0f} MiB", flush=True)
        plan = queries(view, args.queries, args.seed)
        measure_search("SQLite", view, plan)
        measure_tree("SQLite", view)
        store.close()
        if not args.skip_postgres:
            fresh_postgres()
            pg_store = PostgresViewStore(**PG)
            pg_view, pg_rows, pg_seconds, _ = catch_up(ledger, pg_store, 5_000)
            started = time.perf_counter()
            with pg_store.transaction() as cursor:
                cursor.execute("ANALYZE")
            analyze = time.perf_counter() - started
            print(f"  PostgreSQL 目录：{pg_rows:,} 个文件，Projector 载入 {pg_seconds:.0f} 秒"
                  f"（{pg_rows / pg_seconds:,.0f} 文件/秒；事件读自上面的 SQLite 台账），ANALYZE {analyze:.0f} 秒",
                  flush=True)
            measure_search("PostgreSQL", pg_view, plan)
            measure_tree("PostgreSQL", pg_view)
            pg_store.close()
            drop_postgres()
        ledger.close()
    print(f"总用时 {time.perf_counter() - begun:.0f} 秒；结束时机器负载 {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
