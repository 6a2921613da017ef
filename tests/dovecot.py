"""A private Dovecot on loopback, started by the tests (../shared/testing.md).

One instance per test session on a free high port, its own config, state and maildirs in
a temp dir (mode 755, mail owned by nobody: Dovecot will not store mail as root). Each test
logs in as a user of its own, so tests never see each other's mail. ``restart()`` kills and
restarts the server on the same port, for reconnect tests. The server speaks TLS as a real
one does: STARTTLS on ``port`` and TLS from the start on ``tls_port``, with a certificate of
the tests' own CA (``certificates.ca_file``); plaintext logins stay allowed on loopback.
``start_dovecot(idle=False)`` makes a server that does not offer IDLE.
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
from .tls_certs import LoopbackCertificates, make_certificates

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
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
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
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
{capability}
"""

#: What Dovecot 2.3 offers after login, less IDLE: a server that makes the watcher poll.
WITHOUT_IDLE = """protocol imap {
  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ SORT \\
    THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED \\
    I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH \\
    LIST-STATUS BINARY MOVE SPECIAL-USE
}
"""


@dataclass
class Dovecot:
    """A running server; ``user()`` adds a fresh login."""

    root: Path
    port: int
    tls_port: int
    certificates: LoopbackCertificates
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


def start_dovecot(*, idle: bool = True) -> Dovecot:
    """A new private Dovecot on free ports (the caller kills it and removes its root)."""
    root = Path(tempfile.mkdtemp(prefix="pd-dovecot-"))
    root.chmod(0o755)
    port, tls_port = free_port(), free_port()
    certificates = make_certificates(root / "tls")
    (root / "mail").mkdir()
    os.chown(root / "mail", 65534, 65534)
    (root / "passwd").write_text(
        "".join(f"user{n}@example.test:{{PLAIN}}{PASSWORD}\n" for n in range(1, USERS + 1))
    )
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            tls_port=tls_port,
            cert_file=certificates.cert_file,
            key_file=certificates.key_file,
            capability="" if idle else WITHOUT_IDLE,
        )
    )
    server = Dovecot(root, port, tls_port, certificates)
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
