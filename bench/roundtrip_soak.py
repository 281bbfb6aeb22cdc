"""Round-trip soak (issue 11): as many generated backups as the time allows, each restored and read back.

    .venv/bin/python bench/roundtrip_soak.py --minutes 20 [--batch 10] [--keep-failures DIR]

Each example is the property test's (`tests/roundtrip`): a generated source tree (sizes around
the solid block and over the package limit, Chinese, long and odd names, raw-byte names, empty
folders, links), solid block size, package limit and level; a real backup job to the emulated
library, a TAF restore into an empty folder compared file by file (bytes, size, time, mode), and
every package read back from tape, tested by `7zz t` and listed by py7zr and 7-Zip against its
manifest. Hypothesis draws the examples and shrinks any failure to a small one, which is printed.

Prints the number of examples run, the failures (0 expected) and what the examples covered.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from hypothesis import HealthCheck, given, settings

    from tests.roundtrip.harness import Case, run_case
    from tests.roundtrip.strategies import cases

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=10, help="examples per Hypothesis run")
    parser.add_argument("--seven-zip", default=shutil.which("7zz") or shutil.which("7z") or "7zz")
    parser.add_argument("--keep-failures", type=Path, default=None, help="copy each failing example's folder here")
    args = parser.parse_args()

    deadline = time.monotonic() + 60 * args.minutes
    work = Path(tempfile.mkdtemp(prefix="taf-soak-"))
    examples = 0
    failures: list[str] = []
    covered: collections.Counter[str] = collections.Counter()

    def count(case: Case) -> None:
        files = [n for n in case.nodes if n.kind == "file"]
        covered["文件"] += len(files)
        covered["字节"] += sum(n.size for n in files)
        covered["超过数据包上限（分块）的文件"] += sum(1 for n in files if n.size > case.max_package)
        covered["与固实块同样大小或只差几个字节的文件"] += sum(
            1 for n in files if abs(n.size - case.solid_block) <= 64)
        covered["空文件"] += sum(1 for n in files if n.size == 0)
        covered["文件夹"] += sum(1 for n in case.nodes if n.kind == "dir")
        covered["链接"] += sum(1 for n in case.nodes if n.kind == "link")
        covered["名字不是有效 UTF-8 的项"] += sum(
            1 for n in case.nodes if any("\udc80" <= ch <= "\udcff" for part in n.parts for ch in part))
        covered[f"级别 {case.level}"] += 1

    @settings(max_examples=args.batch, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def batch(case: Case) -> None:
        nonlocal examples
        examples += 1
        count(case)
        folder = work / "example"
        problems = run_case(case, folder, args.seven_zip)
        if problems and args.keep_failures is not None:
            shutil.copytree(folder, args.keep_failures / f"failure-{examples}", symlinks=True, dirs_exist_ok=True)
        assert not problems, case.describe() + "\n" + "\n".join(problems)

    started = time.monotonic()
    try:
        while time.monotonic() < deadline:
            try:
                batch()
            except AssertionError as failure:  # Hypothesis has shrunk it: keep it and go on
                failures.append(str(failure))
                print(f"失败：{failure}", flush=True)
            print(f"已运行 {examples} 个示例，失败 {len(failures)} 个，"
                  f"用时 {time.monotonic() - started:.0f} 秒", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.monotonic() - started) / 60
    print(f"\n往返浸泡测试：{minutes:.1f} 分钟，运行 {examples} 个示例（含收缩时重跑的），失败 {len(failures)} 个")
    print("覆盖：" + "，".join(f"{key} {value}" for key, value in covered.items()))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
