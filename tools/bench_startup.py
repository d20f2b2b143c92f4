"""How long `taskmock serve` takes from launch to its banner (listening, every API loaded).

    python tools/bench_startup.py [--runs 7] [--cold] [-- SERVE ARGS...]

`--cold` empties the parse cache before each run (TASKMOCK_CACHE_DIR pointed at a fresh folder),
which is what a first run on a fresh machine pays.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="an empty parse cache on every run")
    parser.add_argument("serve_args", nargs="*")
    args = parser.parse_args()
    taskmock = Path(sys.executable).parent / "taskmock"
    times = []
    for _ in range(args.runs):
        env = dict(os.environ)
        folder = tempfile.mkdtemp(prefix="taskmock-cache-") if args.cold else None
        if folder:
            env["TASKMOCK_CACHE_DIR"] = folder
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(taskmock), "serve", "--port", "0", "--quiet", *args.serve_args],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        banner = process.stdout.readline()
        times.append(time.perf_counter() - started)
        process.terminate()
        process.wait()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        if not banner.startswith("taskmock serving"):
            print(f"unexpected first line: {banner!r}", file=sys.stderr)
            return 1
    print(
        f"serve to banner ({'cold' if args.cold else 'warm'} cache, {args.runs} runs): "
        f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s"
    )
    print(banner.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
