"""The README's "Admin CLI" commands run as written, after `make run`'s setup (its `.env`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password

from accounts.models import ApiCredential, Client, User
from events.models import EventQueue
from tests.servers import database_url

ROOT = Path(__file__).resolve().parents[2]


def readme_admin_commands() -> list[str]:
    """The shell commands of the README's Admin CLI block, continuation lines joined."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Admin CLI", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Admin CLI section has no sh block"
    joined = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


def test_the_readme_lists_the_admin_commands():
    names = [command.split()[2] for command in readme_admin_commands()]
    assert names == [
        "create_user",
        "create_client",
        "create_api_credential",
        "create_api_credential",
        "create_event_queue",
        "create_api_credential",
        "bootstrap_demo",
    ]


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """The `.env` that `make run` writes on a fresh clone, by the Makefile's own rule."""
    path = tmp_path / ".env"
    subprocess.run(  # noqa: S603
        ["make", "-s", f"ENV_FILE={path}", str(path)],  # noqa: S607 (make from PATH)
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


def test_make_writes_a_development_env_once_and_never_overwrites_it(env_file):
    first = env_file.read_text()
    assert "DEBUG=1" in first
    key = re.search(r"^SECRET_KEY=(\S{50,})$", first, re.M)
    assert key, first
    assert env_file.stat().st_mode & 0o077 == 0  # only the owner reads the secret
    subprocess.run(  # noqa: S603
        ["make", "-s", f"ENV_FILE={env_file}", str(env_file)],  # noqa: S607
        cwd=ROOT,
        check=True,
    )
    assert env_file.read_text() == first


@pytest.mark.django_db(transaction=True)
def test_every_readme_admin_command_succeeds_as_written(env_file):
    # What a newcomer's shell holds after `make run`: no DEBUG, no SECRET_KEY, only the .env
    # (ENV_FILE points at this test's copy; DATABASE_URL at the test database).
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "ENV_FILE": str(env_file),
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
    }
    # `make run` has created the demo data already (its demo user has a phone of its own).
    subprocess.run(
        [".venv/bin/python", "manage.py", "bootstrap_demo"], cwd=ROOT, env=env, check=True
    )
    outputs = []
    for command in readme_admin_commands():
        proc = subprocess.run(  # noqa: S602 (the README's own lines, run by a shell as a reader would)
            command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
        outputs.append(proc.stdout)

    user_out, client_out, credential_out, grantor_out, queue_out, merchant_out, demo_out = outputs
    kari = User.objects.get(pk=json.loads(user_out)["id"])
    assert kari.realname == "Kari Nordmann"
    password = re.search(r"--password '([^']+)'", readme_admin_commands()[0])
    assert password and kari.check_password(password.group(1))
    assert kari.emails.get().verified and kari.phones.get().verified

    created = json.loads(client_out)
    client = Client.objects.get(client_id=created["client_id"])
    assert client.name == "Hipstagram"
    assert check_password(created["client_secret"], client.client_secret)

    credential = ApiCredential.objects.get(username=json.loads(credential_out)["username"])
    assert credential.operations == ["users:read"]
    grantor = ApiCredential.objects.get(username=json.loads(grantor_out)["username"])
    assert grantor.grantor_id == "example.streaming"
    queue = EventQueue.objects.get(pk=json.loads(queue_out)["queue_id"])
    assert queue.owner_id == "example.streaming"
    merchant = ApiCredential.objects.get(username=json.loads(merchant_out)["username"])
    assert merchant.grantor_id == "example.shop"
    assert merchant.allows("transactions:write") and merchant.allows("agreements:read")

    assert "CONNECT ID demo" in demo_out
    assert User.objects.count() == 3  # the demo admin and user, once each, and Kari
