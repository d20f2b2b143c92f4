"""Instructions per poll, counted by callgrind: steady where req/s on a shared machine is not.

    python tools/bench_instructions.py                       # this checkout
    python tools/bench_instructions.py ../baseline .         # two trees, back to back

Each tree is imported from its `src/` (PYTHONPATH) by this interpreter, so the libraries are the
same for both. A running Kokoon task is polled N and N + 10,000 times; the difference over 10,000
is the cost of one poll, start-up excluded. Two paths: `full` feeds raw requests to the server's
connection protocol (parser callbacks, the mock, the answer written to a no-op transport); `app`
calls `MockApp.handle` with a parsed request. Needs valgrind (`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = r"""
import socket, sys
try:
    from taskmock._core.clock import ManualClock
    from taskmock._http.app import MockApp, MockConfig
    from taskmock._http.messages import Request
    import taskmock._http.server as srv
    from taskmock._http.connection import Connection
except ImportError:  # a tree from before the internals were private by name
    from taskmock.core.clock import ManualClock
    from taskmock.http.app import MockApp, MockConfig
    from taskmock.http.messages import Request
    import taskmock.http.server as srv
    Connection = getattr(srv, "_Connection", None)
    if Connection is None:
        from taskmock.http.connection import Connection

class Transport:
    def write(self, data): pass
    def is_closing(self): return False
    def get_extra_info(self, name): return ("127.0.0.1", 8080) if name == "sockname" else None
    def pause_reading(self): pass
    def resume_reading(self): pass
    def get_write_buffer_size(self): return 0

path_kind, count = sys.argv[1], int(sys.argv[2])
try:
    app = MockApp(MockConfig(clock=ManualClock(), apis=("kokoon",), example_tasks=False))
except TypeError:
    app = MockApp(MockConfig(clock=ManualClock(), apis=("kokoon",)))
record = app.tasks.create("kokoon")
app.tasks.clock.advance(30)
token = "eyJraWQiOiJPMGs5.eyJzdWIiOiIzN2U3NzYxM.dGFza21vY2s"
path = f"/kokoon/api/sr/v4/task/{record.id}"
if path_kind == "full":
    connection = Connection(srv.HttpServer(app.handle, socket.socket()))
    connection.connection_made(Transport())
    raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: {token}\r\n\r\n".encode()
    for _ in range(count):
        connection.data_received(raw)
    assert list(app.journal)[-1].status == 200
else:
    headers = {"host": "127.0.0.1:8080", "authorization": token}
    for _ in range(count):
        answer = app.handle(Request("GET", path, "", headers, b"", "http://127.0.0.1:8080"))
    assert answer.status == 200, answer.body
"""
EXTRA = 10_000


def _instructions(tree: Path, kind: str, count: int, probe: Path) -> int:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={folder}/out",
                sys.executable,
                str(probe),
                kind,
                str(count),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"{tree}: the probe failed\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", default=["."], help="checkouts to measure")
    parser.add_argument("--polls", type=int, default=2000, help="the shorter run's polls")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(PROBE)
    probe = Path(handle.name)
    try:
        first = None
        for name in args.trees:
            tree = Path(name).resolve()
            row = []
            for kind in ("full", "app"):
                short = _instructions(tree, kind, args.polls, probe)
                long = _instructions(tree, kind, args.polls + EXTRA, probe)
                row.append((long - short) / EXTRA)
            first = first or row
            ratio = "  ".join(f"{now / then:.3f}x" for now, then in zip(row, first, strict=True))
            print(f"{tree}: full {row[0]:,.0f}  app {row[1]:,.0f} instructions per poll  ({ratio})")
    finally:
        probe.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
