"""Packing cost in CPU instructions: our packer (py7zr → liblzma) against 7-Zip's own encoder.

    .venv/bin/python bench/encoder_cost.py [--mib 4] [--levels 0,1]

Wall-clock MiB/s on a shared two-core virtual machine swings by a factor of two from one minute to
the next (bench/backup.py measures them anyway, alternating ours and 7zz). This benchmark counts
instructions instead, under valgrind's callgrind, which gives the same count for the same binary
and input whatever else the machine is doing. Two corpora of MIB MiB each: the log-like text the
other packing benchmarks use (bench/backup_pack.make_text, seeded) and real source code (this
Python's own standard library, whole files in name order). For each level it packs a corpus
once with `backup.pack.pack_package` — the function every
packer worker runs: py7zr, LZMA2 with our level's parameters, SHA-256 of every file and of the
package, the manifest — and once with `7zz a -mx=N -mmt=1` (level 0: `-m0=LZMA2 -mx=0`, as 7-Zip's
-mx0 means "store"). Each side's count on a one-byte tree is subtracted, so interpreter and
program start-up (paid once per worker, not per package) do not count.

Valgrind's virtual CPU has no SHA extensions, so OpenSSL's SHA-256 (every file and every package
is hashed) costs about ten times its real count there; the encoder alone (liblzma's `lzma_code`,
where 97.7 % of a real worker's CPU time goes) is therefore counted separately as well.

Instructions are not seconds: 7-Zip's encoder also retires more instructions per cycle than
liblzma's. So "7zz ÷ ours" here is an upper bound on what any tuning of our own code could gain.
Needs Debian's valgrind and 7zip.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.backup_pack import make_text  # noqa: E402

MIB = 1 << 20
COLLECTED = re.compile(r"Collected : (\d+)")

# One package holding every file of SOURCE, packed into STAGING at LEVEL: exactly a worker's job.
OURS = """
import sys
from backup.pack import pack_package
from backup.plan import plan_packages
from backup.scan import SourceScan
source, staging, level = sys.argv[1], sys.argv[2], int(sys.argv[3])
plans = plan_packages(list(SourceScan([source])), 1 << 40, incompressible=set())
for plan in plans:
    result = pack_package(plan, staging, level=level)
    print(result.payload_bytes)
"""


def instructions(command: list[str], cwd: Path | None = None, only: str | None = None) -> int:
    """Instructions retired by `command` and all its threads, counted by callgrind; with `only`,
    just those inside that function and what it calls."""
    scope = [f"--toggle-collect={only}", "--collect-atstart=no"] if only else []
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *scope, *command],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return sum(int(n) for n in COLLECTED.findall(run.stderr))


def ours(source: Path, staging: Path, level: int, only: str | None = None) -> tuple[int, int]:
    """(instructions, package bytes) for packing `source` as one package."""
    for stale in staging.iterdir():
        stale.unlink()
    count = instructions([sys.executable, "-c", OURS, str(source), str(staging), str(level)],
                         cwd=Path(__file__).resolve().parent.parent, only=only)
    packed = sum(p.stat().st_size for p in staging.iterdir())
    return count, packed


def sevenzip(tool: str, source: Path, archive: Path, level: int) -> tuple[int, int]:
    archive.unlink(missing_ok=True)
    method = ["-m0=LZMA2"] if level == 0 else []
    count = instructions([tool, "a", f"-mx={level}", *method, "-mmt=1", "-bd", "-bso0", "-bsp0", str(archive), "."],
                         cwd=source)
    return count, archive.stat().st_size


def copy_stdlib_sources(folder: Path, total: int) -> None:
    """Whole .py files of the standard library, in name order, until `total` bytes."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    copied = 0
    for source in sorted(stdlib.rglob("*.py")):
        if copied >= total:
            break
        if "site-packages" in source.parts:
            continue
        target = folder / source.relative_to(stdlib)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()[: total - copied]
        target.write_bytes(data)
        copied += len(data)


def compare(tool: str, corpus: Path, tiny: Path, staging: Path, work: Path, level: int) -> str:
    """One table row: millions of instructions per MiB of input, their ratios, the two ratios."""
    mib = sum(f.stat().st_size for f in corpus.rglob("*") if f.is_file()) / MIB
    whole, ours_size = ours(corpus, staging, level)
    whole = (whole - ours(tiny, staging, level)[0]) / mib / 1e6
    encoder = (ours(corpus, staging, level, only="lzma_code")[0]
               - ours(tiny, staging, level, only="lzma_code")[0]) / mib / 1e6
    zz, zz_size = sevenzip(tool, corpus, work / "7zz.7z", level)
    zz = (zz - sevenzip(tool, tiny, work / "7zz.7z", level)[0]) / mib / 1e6
    return (f"{level:<6}{whole:>10.1f}{encoder:>12.1f}{zz:>10.1f}{zz / whole:>12.2f}{zz / encoder:>12.2f}  "
            f"{mib * MIB / ours_size:.3f} / {mib * MIB / zz_size:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=4, help="size of each corpus")
    parser.add_argument("--levels", default="0,1")
    args = parser.parse_args()
    tool = shutil.which("7zz") or shutil.which("7z")
    if tool is None or shutil.which("valgrind") is None:
        sys.exit("需要 valgrind 和 7-Zip：apt-get install valgrind 7zip")
    work = Path(tempfile.mkdtemp(prefix="taf-bench-encoder-"))
    try:
        tiny, staging = work / "一字节", work / "staging"
        tiny.mkdir()
        (tiny / "a.log").write_bytes(b"x")
        staging.mkdir()
        corpora = {"日志类文本": work / "日志", "Python 标准库源码": work / "源码"}
        make_text(corpora["日志类文本"], args.mib * MIB, random.Random(20260501))
        copy_stdlib_sources(corpora["Python 标准库源码"], args.mib * MIB)
        print(f"每份数据 {args.mib} MiB；{Path(tool).name} -mmt=1；valgrind callgrind 计指令数（扣除一字节目录上的启动开销）")
        print("每 MiB 输入的百万条指令：本系统 = 整个 pack_package（其中 liblzma 编码器 lzma_code），7zz = 整个程序")
        for name, corpus in corpora.items():
            print(f"\n## {name}")
            print(f"{'级别':<6}{'本系统':>10}{'其中编码器':>12}{'7zz':>10}{'7zz÷本系统':>12}{'7zz÷编码器':>12}  压缩比 本系统 / 7zz")
            for level in (int(x) for x in args.levels.split(",")):
                print(compare(tool, corpus, tiny, staging, work, level), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
