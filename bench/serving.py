"""Serving the app with gunicorn on loopback and measuring endpoints with wrk (HTTP load, C, no Python in the loop).

wrk rather than locust: on a machine of two cores the load generator competes with the server for the CPU, and
wrk spends far less of it per request than a Python client would, so the figures say more about the app.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "bad_status": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for these ASCII values


@dataclass
class Endpoint:
    key: str
    label: str
    paths: list[str]  # requests cycle through these
    cookie: str | None = None
    body: str | None = None  # a JSON body makes it a POST
    expect: str | None = None  # a text the answer must contain (checked once before measuring)

    def script(self) -> str:
        lines = []
        if self.body is not None:
            lines += ['wrk.method = "POST"', f"wrk.body = {_lua_string(self.body)}"]
            lines.append('wrk.headers["Content-Type"] = "application/json"')
        if self.cookie:
            lines.append(f'wrk.headers["Cookie"] = {_lua_string(self.cookie)}')
        lines.append("local paths = {" + ", ".join(_lua_string(p) for p in self.paths) + "}")
        lines.append("local n = 0")
        lines.append("request = function() n = n % #paths + 1; return wrk.format(nil, paths[n]) end")
        return "\n".join(lines) + "\n" + REPORT


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):  # as .ci/run installs chromium
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("make bench needs wrk: apt-get install wrk (Debian/Ubuntu) or brew install wrk")
    return found


class Server:
    """gunicorn (bench/wsgi.py: the production configuration without rate limits) on a loopback port."""

    def __init__(self, database_url: str, env: dict[str, str], workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="tt-bench-gunicorn-", suffix=".log", delete=False)
        self.workers = workers
        self.env = {**os.environ, **env, "DATABASE_URL": database_url, "TT_CONFIG": "production", "TT_BENCH_HELLO": "1"}
        self.process: subprocess.Popen | None = None
        self.peak_rss: dict[int, int] = {}

    def __enter__(self) -> Server:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                gunicorn,
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "2048",
                "bench.wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/bench/hello", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log.name}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        master = self.process.pid
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
        return sorted(pids)

    def sample_rss(self) -> None:
        """Each worker's resident set size now (kB, from /proc), keeping the largest seen per worker."""
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), kb)

    def check(self, endpoint: Endpoint) -> None:
        """One request before measuring: it must answer 200 (and contain `expect`), or the figures mean nothing."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base + endpoint.paths[0],
            data=endpoint.body.encode() if endpoint.body is not None else None,
            headers={"Content-Type": "application/json"} | ({"Cookie": endpoint.cookie} if endpoint.cookie else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                text = answer.read().decode()
                status = answer.status
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{endpoint.label}: {err.code} for {endpoint.paths[0]}") from err
        if status != 200 or (endpoint.expect and endpoint.expect not in text):
            raise RuntimeError(f"{endpoint.label}: {status}, expected text {endpoint.expect!r} missing")

    def measure(self, wrk: str, endpoint: Endpoint, *, seconds: int, connections: int, warmup: int) -> Result:
        self.check(endpoint)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(endpoint.script())
        try:
            if warmup:
                self._wrk(wrk, script.name, warmup, connections)
            self.sample_rss()
            figures = self._wrk(wrk, script.name, seconds, connections)
            self.sample_rss()
        finally:
            os.unlink(script.name)
        seconds_taken = figures["duration_us"] / 1e6
        return Result(
            requests_per_second=figures["requests"] / seconds_taken,
            p50_ms=figures["p50_us"] / 1000,
            p90_ms=figures["p90_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
            max_ms=figures["max_us"] / 1000,
            requests=figures["requests"],
            errors=figures["socket_errors"] + figures["bad_status"],
        )

    def _wrk(self, wrk: str, script: str, seconds: int, connections: int) -> dict:
        threads = min(2, connections)
        run = subprocess.run(  # noqa: S603 - a fixed command line against loopback
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, self.base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        line = next(line for line in run.stdout.splitlines() if line.startswith("BENCHJSON "))
        return json.loads(line.removeprefix("BENCHJSON "))
