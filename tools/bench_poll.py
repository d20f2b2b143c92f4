"""Benchmark: polls of a running task; taskmock beside WireMock, Prism and nginx, same body.

Each server is pinned to core 0 and the load generator (wrk: 1 thread, 16 keep-alive connections)
to core 1. Every server gets a warm-up run first (the JVM needs one). Also measured: how long
`taskmock serve` takes until it answers, and the memory of 100,000 tasks.

    .venv/bin/python tools/bench_poll.py                     # taskmock and every peer found
    .venv/bin/python tools/bench_poll.py --peers nginx       # only some peers
    .venv/bin/python tools/bench_poll.py --peers-dir /tmp/peers --duration 10 --json out.json

The main row polls a task held in `running` on a manual clock; the wall-clock row polls one that
really runs, so each answer computes a new progress value.

Peers are looked up as installed programs: nginx (`apt-get install nginx-light`), and WireMock and
Prism from npm (`npm install --prefix DIR wiremock @stoplight/prism-cli`, then `--peers-dir DIR`).
wrk and taskset come from Debian (`apt-get install wrk util-linux`). A missing peer is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SERVER_CORE, LOAD_CORE = "0", "1"
KOKOON_TOKEN = "eyJraWQiOiJPMGs5.eyJzdWIiOiIzN2U3NzYxM.dGFza21vY2s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60.0) -> float:
    """Seconds until `url` answers (any HTTP status counts)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def pinned(cmd: list[str], **kwargs: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    args = [
        "taskset",
        "-c",
        LOAD_CORE,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    assert p99, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "requests": total,
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    url: str, args: argparse.Namespace, headers: dict[str, str] | None = None, pid: int = 0
) -> dict[str, float]:
    """wrk's figures; with the server's `pid`, also its CPU time per request (µs), which a busy
    machine's neighbours disturb far less than requests per second."""
    wrk(url, args.warmup, args.connections, headers or {})
    before = cpu_seconds(pid) if pid else 0.0
    result = wrk(url, args.duration, args.connections, headers or {})
    if pid:
        result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["requests"], 1) * 1e6
    return result


def taskmock_target(
    args: argparse.Namespace, quiet: bool, clock: str = "manual"
) -> tuple[dict[str, float], str, str, float]:
    """Poll a running Kokoon task. Manual clock: advanced into `running` and held there, so every
    poll answers the same body. Wall clock: the task runs for real (about 22 s), so every poll
    computes a new progress value."""
    port = free_port()
    cmd = [sys.executable, "-m", "taskmock", "serve", "--port", str(port), "--clock", clock]
    with pinned([*cmd, *(["--quiet"] if quiet else [])]) as server:
        base = f"http://127.0.0.1:{port}"
        startup = wait_until_up(base + "/__taskmock/health")
        task = post_json(base + "/__taskmock/tasks", {"api": "kokoon"})
        poll = urllib.request.Request(
            base + task["poll_path"], headers={"Authorization": KOKOON_TOKEN}
        )
        if clock == "manual":
            post_json(base + "/__taskmock/clock/advance", {"seconds": 10})
        body = urllib.request.urlopen(poll).read().decode()
        while json.loads(body)["step"] != "running":  # wall clock: it gets there about 5 s in
            time.sleep(0.05)
            body = urllib.request.urlopen(poll).read().decode()
        result = measure(
            base + task["poll_path"], args, {"Authorization": KOKOON_TOKEN}, server.pid
        )
        if clock != "manual":
            last = json.load(urllib.request.urlopen(poll))
            result["still_running"] = last["step"] == "running"
    return result, task["poll_path"], body, startup


def post_json(url: str, data: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def nginx_target(
    args: argparse.Namespace, path: str, body: str, work: Path
) -> dict[str, float] | None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        return None
    port = free_port()
    (work / "body.json").write_text(body)
    os.chmod(work, 0o755)
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work};
  uwsgi_temp_path {work}; scgi_temp_path {work}; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{port};
    location = {path} {{ default_type application/json; alias {work}/body.json; }} }}
}}""")
    with pinned([nginx, "-c", str(conf), "-p", str(work)]):
        wait_until_up(f"http://127.0.0.1:{port}{path}")
        return measure(f"http://127.0.0.1:{port}{path}", args)


def wiremock_target(
    args: argparse.Namespace, path: str, body: str, work: Path
) -> dict[str, float] | None:
    jars = sorted(
        Path(args.peers_dir).glob("node_modules/wiremock/build/wiremock-standalone-*.jar")
    )
    if not jars or shutil.which("java") is None:
        return None
    root = work / "wiremock"
    (root / "mappings").mkdir(parents=True)
    mapping = {
        "request": {"method": "GET", "url": path},
        "response": {"status": 200, "body": body, "headers": {"Content-Type": "application/json"}},
    }
    (root / "mappings" / "poll.json").write_text(json.dumps(mapping))
    port = free_port()
    cmd = [
        "java",
        "-jar",
        str(jars[-1]),
        "--port",
        str(port),
        "--root-dir",
        str(root),
        "--disable-request-logging",
        "--no-request-journal",
        "--disable-banner",
    ]
    with pinned(cmd):
        wait_until_up(f"http://127.0.0.1:{port}{path}")
        return measure(f"http://127.0.0.1:{port}{path}", args)


def prism_target(
    args: argparse.Namespace, path: str, body: str, work: Path
) -> dict[str, float] | None:
    prism = Path(args.peers_dir) / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        return None
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "poll", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"example": json.loads(body)}},
                        }
                    }
                }
            }
        },
    }
    (work / "prism.json").write_text(json.dumps(spec))
    port = free_port()
    with pinned(
        [str(prism), "mock", str(work / "prism.json"), "-p", str(port), "--errors", "false"]
    ):
        wait_until_up(f"http://127.0.0.1:{port}{path}")
        return measure(f"http://127.0.0.1:{port}{path}", args)


def memory_of_tasks(count: int) -> float:
    """MB of resident memory that `count` tasks add to a running mock."""
    probe = f"""
import resource
from taskmock._core.clock import ManualClock
from taskmock._http.app import MockApp, MockConfig
app = MockApp(MockConfig(clock=ManualClock()))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
apis = list(app.tasks.behaviours)
for i in range({count}):
    app.tasks.create(apis[i % len(apis)], owner="token-%d" % (i % 100), input={{"task_type": "SR"}})
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of measured load per target"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--peers", default="wiremock,prism,nginx", help="comma-separated, or 'none'"
    )
    parser.add_argument(
        "--peers-dir", default="/tmp/peers", help="where npm installed wiremock and prism"
    )
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks for the memory figure")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--no-wall",
        dest="wall",
        action="store_false",
        help="skip the wall-clock row (the task must stay running: --warmup + --duration <= 20)",
    )
    args = parser.parse_args()
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (apt-get install wrk util-linux)")
    rows: dict[str, Any] = {}
    quiet, path, body, startup = taskmock_target(args, quiet=True)
    rows["taskmock serve --quiet"] = quiet
    rows["taskmock serve (logs each request)"] = taskmock_target(args, quiet=False)[0]
    if args.wall:
        rows["taskmock serve --quiet, wall clock"] = taskmock_target(args, True, "wall")[0]
    peers = {"wiremock": wiremock_target, "prism": prism_target, "nginx": nginx_target}
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # nginx workers run as another user and must read the body file
        for name in [p for p in args.peers.split(",") if p and p != "none"]:
            work = Path(tmp) / name
            work.mkdir()
            result = peers[name](args, path, body, work)
            rows[name] = result if result is not None else "not installed"
    print(
        f"GET {path}  ({len(body)} bytes, {args.connections} connections, {args.duration} s, "
        f"server on core {SERVER_CORE}, wrk on core {LOAD_CORE})"
    )
    print(f"{'server':<36} {'req/s':>10} {'p99 ms':>8} {'non-2xx':>8} {'CPU µs/req':>11}")
    for name, row in rows.items():
        if isinstance(row, str):
            print(f"{name:<36} {row:>10}")
        else:
            cpu = f"{row['cpu_us']:>11.1f}" if "cpu_us" in row else f"{'':>11}"
            print(f"{name:<36} {row['rps']:>10.0f} {row['p99_ms']:>8.2f} {row['non_2xx']:>8} {cpu}")
    wall = rows.get("taskmock serve --quiet, wall clock")
    if isinstance(wall, dict) and not wall["still_running"]:
        print("note: the wall-clock task finished during the run; shorten --warmup/--duration")
    base = rows["taskmock serve --quiet"]["rps"]
    for peer in ("wiremock", "prism", "nginx"):
        if isinstance(rows.get(peer), dict):
            print(f"taskmock / {peer}: {base / rows[peer]['rps']:.2f}x")
    memory = memory_of_tasks(args.tasks)
    print(f"startup until the first answer: {startup * 1000:.0f} ms")
    print(f"memory of {args.tasks} tasks: {memory:.0f} MB")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"rows": rows, "startup_s": startup, "memory_mb": memory, "tasks": args.tasks},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
