"""A private Dovecot on loopback, started by the tests (../shared/testing.md).

One instance per test session on a free high port, its own config, state and maildirs in
a temp dir (mode 755, mail owned by nobody: Dovecot will not store mail as root). Each test
logs in as a user of its own, so tests never see each other's mail. ``restart()`` kills and
restarts the server on the same port, for reconnect tests.
"""

from __future__ import annotations

import imaplib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .smtp_server import free_port

PASSWORD = "secret"
_users = itertools.count(1)
#: Logins made when the server starts, one per test that needs a mailbox.
USERS = 500

CONFIG = """
instance_name = pd-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_uid = 65534
mail_gid = 65534
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    """A running server; ``user()`` adds a fresh login."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("dovecot did not start: " + self.log())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def user(self) -> str:
        """A login no other test uses (made before start: Dovecot reads the file once)."""
        number = next(_users)
        assert number <= USERS, "raise USERS in tests/dovecot.py"
        return f"user{number}@example.test"

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(user, PASSWORD)
            client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
        finally:
            client.logout()

    def count(self, user: str, folder: str) -> int:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(user, PASSWORD)
            status, data = client.select(f'"{folder.replace("/", ".")}"', readonly=True)
            if status != "OK":
                return 0
            return int(data[0] or 0)
        finally:
            client.logout()


def start_dovecot() -> Dovecot:
    """A new private Dovecot on a free port (the caller kills it and removes its root)."""
    root = Path(tempfile.mkdtemp(prefix="pd-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    (root / "mail").mkdir()
    os.chown(root / "mail", 65534, 65534)
    (root / "passwd").write_text(
        "".join(f"user{n}@example.test:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    )
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port))
    server = Dovecot(root, port)
    server.start()
    return server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        pytest.fail("Dovecot is not installed (scripts/test installs dovecot-imapd)")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.root, ignore_errors=True)
