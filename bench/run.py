"""`make bench`: CONNECT ID as in production (gunicorn, DEBUG off, PostgreSQL, persistent
connections) under wrk load over loopback. Prints requests/s, p50, p99 and errors per endpoint.
A benchmark, not a test: it prints figures and exits 0."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
WORKERS = os.environ.get("BENCH_WORKERS", "4")
WORKER_THREADS = os.environ.get("BENCH_WORKER_THREADS", "2")
REFRESH_TOKENS = int(os.environ.get("BENCH_REFRESH_TOKENS", "20000"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine_postgres() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


def database_env() -> dict[str, str]:
    """A fresh database: the machine's PostgreSQL when it answers, else the embedded one."""
    if os.environ.get("DATABASE_URL"):
        return {"DATABASE_URL": os.environ["DATABASE_URL"]}
    if machine_postgres():
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute("DROP DATABASE IF EXISTS connect_id_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE connect_id_bench")
        return {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/connect_id_bench"}
    data = ROOT / ".pgdata-bench"
    shutil.rmtree(data, ignore_errors=True)
    return {"EMBEDDED_PG_DIR": str(data)}


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=True,
        **kwargs,
    )


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server not ready at {url}")


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def parse(output: str) -> dict[str, float | int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latencies = {}
    for pct, value, unit in LATENCY.findall(output):
        latencies[pct] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {
        "rps": rps,
        "p50": latencies.get("50", 0.0),
        "p99": latencies.get("99", 0.0),
        "errors": errors,
    }


def wrk(base: str, script: str, env: dict[str, str], duration: str = DURATION) -> dict:
    proc = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{duration}",
            "--latency",
            "-s",
            str(ROOT / "bench" / script),
            base,
        ],
        env={**os.environ, **env, "BENCH_THREADS": str(THREADS)},
        check=True,
        text=True,
        capture_output=True,
    )
    return parse(proc.stdout)


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian's package).")
        return 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}},
        **database_env(),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": base,
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS belongs to the proxy in front
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    run([PYTHON, "manage.py", "migrate", "--no-input"], env)
    with tempfile.TemporaryDirectory() as tmp:
        token_file = str(Path(tmp) / "refresh_tokens.txt")
        seed = json.loads(
            run([PYTHON, "-m", "bench.seed", token_file, str(REFRESH_TOKENS)], env).stdout
        )
        server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "connect_id.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                WORKERS,
                "-k",
                "gthread",
                "--threads",
                WORKER_THREADS,
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            wait_ready(f"{base}/readyz")
            client_auth = (
                "Basic "
                + base64.b64encode(f"{seed['client_id']}:{seed['client_secret']}".encode()).decode()
            )
            api_auth = (
                "Basic "
                + base64.b64encode(
                    f"{seed['api_username']}:{seed['api_password']}".encode()
                ).decode()
            )
            bearer = f"Bearer {seed['access_token']}"
            token = seed["access_token"]
            user = seed["user_id"]
            scenarios = [
                (
                    "token (client_credentials)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "POST",
                        "BENCH_PATH": "/oauth/token",
                        "BENCH_AUTH": client_auth,
                        "BENCH_BODY": "grant_type=client_credentials",
                    },
                ),
                (
                    "token (refresh)",
                    "refresh.lua",
                    {"BENCH_TOKENS": token_file, "BENCH_AUTH": client_auth},
                ),
                (
                    "userinfo",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": "/oauth/userinfo",
                        "BENCH_AUTH": bearer,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "introspection",
                    "request.lua",
                    {
                        "BENCH_METHOD": "POST",
                        "BENCH_PATH": "/oauth/introspect",
                        "BENCH_AUTH": client_auth,
                        "BENCH_BODY": urlencode({"token": token}),
                    },
                ),
                (
                    "tokeninfo",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": "/oauth/tokeninfo?" + urlencode({"access_token": token}),
                        "BENCH_AUTH": "",
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "discovery",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": "/.well-known/openid-configuration",
                        "BENCH_AUTH": "",
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/me (bearer)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": "/id/users/me",
                        "BENCH_AUTH": bearer,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/me/rights?active=NOW, 50 rights (bearer)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": "/id/users/me/rights?active=NOW",
                        "BENCH_AUTH": bearer,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/{id}/rights?active=NOW, 50 rights (basic)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": f"/id/users/{user}/rights?active=NOW",
                        "BENCH_AUTH": api_auth,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/{id} (basic)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": f"/id/users/{user}",
                        "BENCH_AUTH": api_auth,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/{id}/mails (bearer)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": f"/id/users/{user}/mails",
                        "BENCH_AUTH": bearer,
                        "BENCH_BODY": "",
                    },
                ),
                (
                    "GET /id/users/{id}/mails (basic)",
                    "request.lua",
                    {
                        "BENCH_METHOD": "GET",
                        "BENCH_PATH": f"/id/users/{user}/mails",
                        "BENCH_AUTH": api_auth,
                        "BENCH_BODY": "",
                    },
                ),
            ]
            wrk(base, "request.lua", scenarios[2][2], duration="3s")  # warm up every worker
            print(
                f"CONNECT ID benchmark: gunicorn {WORKERS} workers x {WORKER_THREADS} threads, "
                f"wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION} each, "
                f"{os.cpu_count()} CPUs shared by server, database and load."
            )
            print(f"{'endpoint':<36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>9}")
            only = os.environ.get("BENCH_ONLY", "")
            for name, script, scenario_env in scenarios:
                if only and only not in name:
                    continue
                result = wrk(base, script, scenario_env)
                print(
                    f"{name:<36}{result['rps']:>10.0f}{result['p50']:>10.1f}"
                    f"{result['p99']:>10.1f}{result['errors']:>9}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
