"""``privacydesk ingest``: .eml files, folders and mbox files, a second run adds nothing."""

from __future__ import annotations

import json
import mailbox as mbox_format
from email.message import EmailMessage
from pathlib import Path

from .conftest import REFERENCE, TEST_KEY
from .test_cli import run


def eml(sender: str, to: str, subject: str, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((sender, subject, text)))}@example.test>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def test_ingest_files_folders_and_mbox_once(tmp_path: Path, database_url: str) -> None:
    env = {
        "PRIVACYDESK_CONFIG": str(REFERENCE),
        "PRIVACYDESK_DATABASE_URL": database_url,
        "PRIVACYDESK_ENCRYPTION_KEY": TEST_KEY,
    }
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.eml").write_bytes(
        eml(
            "olena@example.test",
            "support@justschool.me",
            "Видалення",
            "Прошу видалити мої персональні дані.",
        ).as_bytes()
    )
    (folder / "nested" / "b.eml").write_bytes(
        eml(
            "marta@example.test",
            "support@justservices.cc",
            "My data",
            "Please send me a copy of all personal data you hold about me.",
        ).as_bytes()
    )
    (folder / "broken.eml").write_bytes(b"\x00\x01 not mail at all")
    box = mbox_format.mbox(tmp_path / "archive.mbox")
    box.add(
        eml(
            "ivan@example.test",
            "support@justsmart.com.ua",
            "Автовідповідь",
            "Я у відпустці до понеділка.",
            Auto_Submitted="auto-replied",
        )
    )
    box.add(eml("who@example.test", "someone@else.test", "?", "Hello"))
    box.flush()
    box.close()

    first = run("ingest", str(folder), str(tmp_path / "archive.mbox"), cwd=tmp_path, env=env)
    # broken.eml has no To: it cannot be routed without --mailbox.
    assert "5 mails: 3 new requests, 0 follow-ups, 0 quarantined, 0 seen before, 2 skipped" in (
        first.stdout
    )
    assert "not addressed to a configured mailbox" in first.stderr
    second = run("ingest", str(folder), str(tmp_path / "archive.mbox"), cwd=tmp_path, env=env)
    assert "3 seen before" in second.stdout
    forced = run(
        "ingest",
        str(folder / "broken.eml"),
        "--mailbox",
        "support@justschool.me",
        cwd=tmp_path,
        env=env,
    )
    assert "1 quarantined" in forced.stdout
    listed = json.loads(run("queue", "--json", cwd=tmp_path, env=env).stdout)["requests"]
    assert sorted(r["organisation"] for r in listed) == ["justschool", "justschool", "justservices"]
    unknown = run(
        "ingest", str(folder), "--mailbox", "nobody@example.test", cwd=tmp_path, env=env, code=1
    )
    assert "is not a configured mailbox" in unknown.stderr
