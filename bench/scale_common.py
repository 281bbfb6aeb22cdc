"""What the scale benchmarks share: a fresh installation on SQLite or PostgreSQL, a measuring child
process, and a process's memory as Linux counts it."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalog import PG, drop_postgres, fresh_postgres  # noqa: E402

MIB = 1 << 20


def load_average() -> str:
    return f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}（1/5/15 分钟平均，{os.cpu_count()} 核）"


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """This process's resident high-water mark (VmHWM: unlike getrusage's ru_maxrss, it starts
    afresh at exec, not from the resident set of the parent that forked it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def installation(store: str, folder: Path, dbname: str, fresh: bool = True,
                 keep: bool = False) -> Iterator[dict[str, str]]:
    """The environment of an installation on `store` in `folder` (PostgreSQL: database `dbname`, made
    anew unless not `fresh`, and dropped at the end unless `keep`, so nothing is left on the shared
    server by accident)."""
    env = {"DATA_DIR": str(folder / "data"), "TAF_ENV_FILE": str(folder / "absent.env"),
           "LOG_FILE": str(folder / "logs" / "bench.log"), "TAF_USER": "bench"}
    if store == "postgresql":
        if fresh:
            fresh_postgres(dbname)
        env["DATABASE_URL"] = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{dbname}"
    try:
        yield env
    finally:
        if store == "postgresql" and not keep:
            drop_postgres(dbname)


# Settings that would point a process at another installation than the one a bench made.
_ELSEWHERE = ("DATABASE_URL", "REDIS_URL", "TAF_NOW")


def use(env: dict[str, str]) -> None:
    """Point this process at the installation `env` describes, and at nothing else."""
    for key in _ELSEWHERE:
        os.environ.pop(key, None)
    os.environ.update(env)


@contextmanager
def services_in(env: dict[str, str]) -> Iterator[Any]:
    use(env)
    from bootstrap import build

    built = build()
    try:
        yield built
    finally:
        built.close()


def measured_child(script: str, arguments: Sequence[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `script` with `arguments` in a fresh interpreter on the installation `env`; the last line it
    prints is a JSON object of what it measured."""
    inherited = {key: value for key, value in os.environ.items() if key not in _ELSEWHERE}
    done = subprocess.run([sys.executable, script, *arguments], env={**inherited, **env},
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{Path(script).name} {' '.join(arguments)} 失败：\n{done.stdout}{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def report(figures: dict[str, Any]) -> None:
    """The child's side of `measured_child`."""
    print(json.dumps(figures), flush=True)
