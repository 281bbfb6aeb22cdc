"""The web tier under load: requests per second and p50/p99 latency of the dashboard, the catalog
search API, a tree page and the tape inventory page, each with 50 concurrent clients on loopback,
next to the same load on a bare Litestar handler that returns a constant (the ratio says what TAF
adds to the framework); and the live log stream: how long an event recorded in the ledger takes to
reach a browser that follows the operation log (one stream, and 50 at once), and how many log lines
a second a stream delivers while it catches up with a backlog.

    python bench/web.py [--files N] [--jobs N] [--clients 50] [--seconds 10] [--client wrk|httpx]
                        [--backlog 3000] [--workers 1] [--fragments 6000]

The search is measured twice: the same question every time (answered from the kept answers after
the first, app.answer_cache) and a different question every time (--fragments pieces of catalogued
paths, asked in turn: every request searches).

A fresh data folder is filled through the ledger: --jobs finished backup jobs over six monthly
groups, and a catalog of --files file versions (bench/catalog.py's file server, six full backups).
Then `python main.py serve --role web` serves it (the web tier alone, as deployed beside a worker;
--workers processes) and uvicorn serves the bare handler with the same settings. The load comes from
`wrk` (Debian's package, `scripts/test-tools.sh` installs it: a C client that leaves the cores to
the server) or, without it, httpx (asyncio) in this process — whose own cost on two cores shows in
every figure, the bare handler's too. Signed in as an operator with a session cookie. Goal: p99 <
200 ms. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

GOAL_P99_MS = 200.0
ROUNDS = 15  # events recorded for the time one stream takes to deliver one
PASSWORD = "bench-password-14"
BARE = """
from litestar import Litestar, get

@get("/", sync_to_thread=False)
def constant() -> dict[str, str]:
    return {"status": "ok"}

app = Litestar([constant])
"""


def bench_module(name: str) -> Any:
    """Another bench script as a module (bench/ is no package, and its ledger.py would shadow ours)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(folder: Path) -> dict[str, str]:
    from config.settings import DEFAULTS

    env = {key: value for key, value in os.environ.items() if key not in DEFAULTS}
    env.update(TAF_ENV_FILE=str(folder / "absent.env"), DATA_DIR=str(folder / "data"),
               LOG_FILE=str(folder / "logs" / "app.log"), LOG_LEVEL="WARNING", SCHEDULER_ENABLED="false")
    return env


def fill(env: dict[str, str], files: int, jobs: int) -> float:
    """Users, finished backup jobs in six groups and a catalog, through the ledger; seconds taken."""
    os.environ.update(env)
    from app.facade import make_app
    from backup.groups import join_group
    from bootstrap import build
    catalog_bench = bench_module("catalog")

    started = time.perf_counter()
    services = build()
    taf = make_app(services)
    taf.users.add("bench", "operator", PASSWORD, actor="bench")
    ledger, host = services.ledger, services.settings.host_name
    ledger.register_drive(host, "emulated:0", vendor="IBM", product="ULT3580-HH9", serial="1", by="bench")
    for number in range(jobs):
        group = catalog_bench.GROUPS[number * len(catalog_bench.GROUPS) // max(1, jobs)]
        job, _ = ledger.request_backup(f"bench-{number}", kind="monthly" if number % 5 == 0 else "manual",
                                       sources=["/srv/共享"], group=group, params={}, by="bench")
        job_id = str(job.id)
        ledger.start_job_on_drive(host, "emulated:0", lambda job_id=job_id: ledger.backup_job(job_id))
        join_group(services, group, job_id, by="bench")
        bytes_in = (number + 1) * (7 << 30)
        figures = {"files": 40_000 + number, "bytes_in": bytes_in, "bytes_packed": bytes_in * 55 // 100,
                   "packages": 3, "cartridges": [f"BCH{number % 6 + 1:03d}L9"], "seconds": 1800.0 + 30 * number,
                   "warnings": 0, "tape_notes": [], "chain_head": ""}
        ledger.complete_job_on_drive(host, "emulated:0", lambda job_id=job_id: ledger.backup_job(job_id), figures, [])
    catalog_bench.build_ledger(ledger, files, seed=14)
    services.catch_up()
    services.close()
    return time.perf_counter() - started


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"服务没有启动：{url}") from None
            time.sleep(0.2)


def signed_in(base: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        answer = client.post("/login", data={"name": "bench", "password": PASSWORD,
                                             "_csrf_token": client.cookies["taf_csrf"]})
        if answer.status_code != 303:
            raise SystemExit(f"登录失败：{answer.status_code} {answer.text[:200]}")
        return client.cookies


async def httpx_load(url: str, cookies: httpx.Cookies | None, clients: int, seconds: float,
                     paths: list[str] | None = None) -> dict[str, Any]:
    """GETs of `url` (or of `paths` in turn on its server) by `clients` concurrent clients for
    `seconds`; latencies in ms, failures."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    base = str(httpx.URL(url).copy_with(path="/", query=None)).rstrip("/")
    urls = itertools.cycle([base + path for path in paths] if paths else [url])
    async with httpx.AsyncClient(cookies=cookies, limits=limits, timeout=60) as client:
        await client.get(url)  # warm: templates compiled, caches filled
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                started = time.perf_counter()
                answer = await client.get(next(urls))
                latencies.append(1000 * (time.perf_counter() - started))
                failures += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / wall, "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], "failures": failures}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_script(paths: list[str]) -> str:
    """A wrk script asking for `paths` one after another, whichever connection asks."""
    quoted = ",\n".join('"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"' for path in paths)
    return (f"local paths = {{\n{quoted}\n}}\nlocal next_path = 0\n"
            "request = function()\n  next_path = next_path % #paths + 1\n"
            "  return wrk.format(\"GET\", paths[next_path])\nend\n")


def wrk_load(url: str, cookies: httpx.Cookies | None, clients: int, seconds: float,
             paths: list[str] | None = None) -> dict[str, Any]:
    """The same load from wrk (one thread, `clients` connections), its figures read from its report;
    with `paths`, each request asks for the next of them on `url`'s server instead of `url`."""
    header = "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())
    httpx.get(url, cookies=cookies, timeout=60)  # warm
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency", "--timeout", "30s", url]
    if header:
        command[1:1] = ["-H", f"Cookie: {header}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as script:
        if paths:
            script.write(wrk_script(paths))
            script.flush()
            command[1:1] = ["-s", script.name]
        report = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(pct: str) -> float:
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", report, flags=re.M)
        return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", report)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    errors = re.search(r"Socket errors:.*?timeout (\d+)", report)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": latency("50"), "p99": latency("99"),
            "failures": (int(bad.group(1)) if bad else 0) + (int(errors.group(1)) if errors else 0)}


def measure(client: str, url: str, cookies: httpx.Cookies | None, clients: int, seconds: float,
            paths: list[str] | None = None) -> dict[str, Any]:
    if client == "wrk":
        return wrk_load(url, cookies, clients, seconds, paths)
    return asyncio.run(httpx_load(url, cookies, clients, seconds, paths))


def search_path(fragment: str) -> str:
    return "/api/v1/catalog/search?" + str(httpx.QueryParams({"q": fragment, "limit": 100}))


def fragments(base: str, cookies: httpx.Cookies, count: int, seed: int = 14) -> list[str]:
    """`count` different fragments of catalogued paths (2–8 characters, as people type them), so
    that every search of a run is a new question: none is answered from kept answers."""
    rnd = random.Random(seed)
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        paths = [file["path"] for file in client.get(search_path("").replace("limit=100", "limit=1000")).json()["files"]]
    found: dict[str, None] = {}
    while len(found) < count:
        path = rnd.choice(paths)
        length = rnd.randint(2, 8)
        start = rnd.randint(0, max(0, len(path) - length))
        text = path[start:start + length].strip()
        if len(text) >= 2:
            found[text] = None
    return list(found)


def ledger_writer(env: dict[str, str]) -> Any:
    """The ledger of the served installation, opened by this process (as a worker would write to it)."""
    os.environ.update(env)
    from bootstrap import build

    return build()


async def first_events(base: str, cookies: httpx.Cookies, streams: int, record: Any) -> list[float]:
    """`streams` browsers follow the operation log (`/logs/live`); once all are connected one event
    is recorded: the seconds until each stream delivered it."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        cursor = client.get("/api/v1/logs/operation", params={"limit": 1}).json()["cursor"]
    connected, arrived = 0, []
    everyone = asyncio.Event()
    recorded_at = 0.0
    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=streams)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None, limits=limits) as client:

        async def follow() -> None:
            nonlocal connected
            async with client.stream("GET", "/logs/live", params={"kind": "operation", "after": cursor}) as answer:
                async for line in answer.aiter_lines():
                    if line.startswith(":") and not everyone.is_set():
                        connected += 1
                        if connected == streams:
                            everyone.set()
                    elif line == "event: lines":
                        arrived.append(time.perf_counter() - recorded_at)
                        return

        followers = [asyncio.create_task(follow()) for _ in range(streams)]
        await asyncio.wait_for(everyone.wait(), 60)
        await asyncio.sleep(random.uniform(0.3, 1.3))  # at any moment of the streams' polling
        await asyncio.to_thread(record)
        recorded_at = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*followers), 60)
    return arrived


async def drain(base: str, cookies: httpx.Cookies, cursor: str, lines: int) -> float:
    """Seconds for one stream to deliver `lines` log lines written after `cursor` (a backlog)."""
    seen = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as client, \
            client.stream("GET", "/logs/live", params={"kind": "operation", "after": cursor}) as answer:
        async for line in answer.aiter_lines():
            if line.startswith("data: ") and "<tr class=" in line:
                seen += 1
                if seen >= lines:
                    break
    return time.perf_counter() - started


def live_log(base: str, cookies: httpx.Cookies, env: dict[str, str], backlog: int) -> None:
    """The live log stream's figures: time to first event (1 and 50 streams) and lines per second."""
    services = ledger_writer(env)
    ledger = services.ledger
    numbers = iter(range(1_000_000))

    def record() -> None:
        ledger.register_cartridge(f"LIV{next(numbers):05d}L9", capacity_bytes=18 * 10**12, by="bench")

    try:
        print("\n实时日志流（/logs/live，操作日志；台账记下一个事件，到浏览器收到它）", flush=True)
        print(f"{'情形':<34}{'p50 毫秒':>10}{'最大 毫秒':>10}")
        single = [asyncio.run(first_events(base, cookies, 1, record))[0] for _ in range(ROUNDS)]
        many = asyncio.run(first_events(base, cookies, 50, record))
        for label, found in ((f"1 个浏览器（{ROUNDS} 次）", single), ("50 个浏览器同时（1 次）", many)):
            print(f"{label:<34}{1000 * statistics.median(found):>10.0f}{1000 * max(found):>10.0f}", flush=True)
        if backlog <= 0:
            return
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            cursor = client.get("/api/v1/logs/operation", params={"limit": 1}).json()["cursor"]
        started = time.perf_counter()
        for _ in range(backlog):
            record()
        written = time.perf_counter() - started
        seconds = asyncio.run(drain(base, cookies, cursor, backlog))
        print(f"积压 {backlog} 行：写入台账 {backlog / written:.0f} 事件/秒；一个实时流送达 {backlog / seconds:.0f} 行/秒"
              f"（{seconds:.1f} 秒）", flush=True)
    finally:
        services.close()


def tree_path(base: str, cookies: httpx.Cookies, group: str) -> str:
    """A folder two levels down in `group` (a department of the file server), for the tree page."""
    path = ""
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        for _ in range(2):
            page = client.get("/api/v1/catalog/tree", params={"group": group, "path": path}).json()
            folders = [child for child in page["children"] if child["kind"] == "dir"]
            if not folders:
                break
            path = f"{path}/{folders[0]['name']}".lstrip("/")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120_000, help="catalog file versions (six groups)")
    parser.add_argument("--jobs", type=int, default=60, help="finished backup jobs")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per endpoint")
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk" if shutil.which("wrk") else "httpx")
    parser.add_argument("--backlog", type=int, default=3000, help="log lines a live stream catches up with")
    parser.add_argument("--workers", type=int, default=1,
                        help="Web processes (serve --role web --workers N), the bare handler's likewise")
    parser.add_argument("--fragments", type=int, default=6000,
                        help="different search fragments, asked in turn (more than a run's requests)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="taf-bench-web-"))
    env = environment(folder)
    print(f"填充台账：{args.jobs} 个已完成的备份任务，目录 {args.files} 个文件版本……", flush=True)
    print(f"  用时 {fill(env, args.files, args.jobs):.1f} 秒", flush=True)
    taf_port, bare_port = free_port(), free_port()
    workers = ["--workers", str(args.workers)]
    taf = subprocess.Popen([sys.executable, "main.py", "serve", "--role", "web", "--port", str(taf_port), *workers],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    (folder / "bare_app.py").write_text(BARE, encoding="utf-8")
    bare = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--host", "127.0.0.1", "--port",
                             str(bare_port), "--log-level", "warning", *workers], cwd=folder, stdout=subprocess.DEVNULL)
    try:
        base, bare_base = f"http://127.0.0.1:{taf_port}", f"http://127.0.0.1:{bare_port}"
        wait_until_up(f"{base}/healthz", taf)
        wait_until_up(bare_base, bare)
        cookies = signed_in(base)
        group = "2026-06"
        varied = fragments(base, cookies, args.fragments)
        targets: list[tuple[str, str, list[str] | None]] = [
            ("仪表盘 GET /", "/", None),
            ("搜索 同一查询 q=合同（保留的答案）", search_path("合同"), None),
            (f"搜索 每次不同的查询（{len(varied)} 个片段）", search_path(varied[0]), [search_path(text) for text in varied]),
            ("目录树 GET /catalog/tree", "/catalog/tree?" + str(httpx.QueryParams(
                {"group": group, "path": tree_path(base, cookies, group)})), None),
            ("磁带库存 GET /tapes", "/tapes", None)]
        bare_figures = measure(args.client, f"{bare_base}/", None, args.clients, args.seconds)
        load_average = "、".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"\n{args.client}：{args.clients} 个并发连接，每项 {args.seconds:g} 秒，{args.workers} 个 Web 进程（回环地址，{os.cpu_count()} 核，"
              f"开始时系统负载 {load_average}）\n")
        print(f"{'请求':<40}{'每秒请求':>10}{'p50 毫秒':>10}{'p99 毫秒':>10}{'失败':>6}{'p99/裸':>9}{'吞吐/裸':>9}")
        row = "{:<40}{:>10.0f}{:>10.1f}{:>10.1f}{:>6}{:>9}{:>9}"
        print(row.format("裸 Litestar 常量 GET /", bare_figures["rps"], bare_figures["p50"], bare_figures["p99"],
                         bare_figures["failures"], "1.0", "1.00"))
        for label, path, paths in targets:
            figures = measure(args.client, f"{base}{path}", cookies, args.clients, args.seconds, paths)
            print(row.format(label, figures["rps"], figures["p50"], figures["p99"], figures["failures"],
                             f"{figures['p99'] / bare_figures['p99']:.1f}", f"{figures['rps'] / bare_figures['rps']:.2f}"))
            verdict = "达到" if figures["p99"] < GOAL_P99_MS else "未达到"
            print(f"  {verdict}目标 p99 < {GOAL_P99_MS:.0f} 毫秒", flush=True)
        live_log(base, cookies, env, args.backlog)
    finally:
        for process in (taf, bare):
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
