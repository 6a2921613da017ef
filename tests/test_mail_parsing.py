"""MIME of any shape becomes text, headers and attachments; what is not mail is refused."""

from __future__ import annotations

import struct
from email.header import Header
from email.message import EmailMessage
from typing import cast

import pytest

from mail import parsing
from mail.parsing import UnparseableMail, parse


def raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


def test_windows_1251_and_encoded_headers() -> None:
    name = Header("Коваленко", "windows-1251").encode()
    subject = Header("Видалення даних", "windows-1251").encode()
    assert subject.startswith("=?windows-1251?")
    mail = parse(
        raw(
            f"From: {name} <Olena@Example.test>\n"
            "To: support@justschool.me\n"
            f"Subject: {subject}\n"
            "Message-ID: <abc@example.test>\n"
            "Date: Fri, 25 Dec 2026 09:00:00 +0200\n"
            "Content-Type: text/plain; charset=windows-1251\n"
            "Content-Transfer-Encoding: 8bit\n",
            "Прошу видалити мої дані.".encode("cp1251"),
        )
    )
    assert mail.subject == "Видалення даних"
    assert mail.from_name == "Коваленко"
    assert mail.from_address == "olena@example.test"
    assert mail.text.strip() == "Прошу видалити мої дані."
    assert mail.key == mail.message_id == "<abc@example.test>"
    assert mail.date is not None
    assert mail.date.utcoffset() is not None


def test_koi8_u_and_a_charset_that_lies() -> None:
    koi = parse(
        raw(
            "From: a@example.test\nSubject: x\nContent-Type: text/plain; charset=koi8-u\n",
            "Видаліть мій обліковий запис".encode("koi8_u"),
        )
    )
    assert koi.text.strip() == "Видаліть мій обліковий запис"
    liar = parse(
        raw(
            "From: a@example.test\nSubject: x\nContent-Type: text/plain; charset=utf-8\n",
            "Прошу надати копію моїх даних".encode("cp1251"),
        )
    )
    assert liar.text.strip() == "Прошу надати копію моїх даних"


def test_html_only_mail_is_read_as_text_without_scripts() -> None:
    mail = parse(
        raw(
            "From: a@example.test\nSubject: hi\nContent-Type: text/html; charset=utf-8\n",
            b"<html><head><style>p{}</style><script>alert(1)</script></head>"
            b"<body><p>Please delete my account.</p><p>Thanks</p></body></html>",
        )
    )
    assert mail.text == "Please delete my account.\nThanks"
    assert mail.html is not None


def test_nested_multiparts_inline_images_and_attachments() -> None:
    message = EmailMessage()
    message["From"] = "Marta Silva <marta@example.test>"
    message["To"] = "support@justservices.cc"
    message["Subject"] = "Access request"
    message["Message-ID"] = "<nested@example.test>"
    message["In-Reply-To"] = "<PD-2026-000001.abc@desk.test>"
    message["References"] = "<first@x> <PD-2026-000001.abc@desk.test>"
    message["Authentication-Results"] = "mx.test; spf=pass smtp.mailfrom=x; dkim=pass; dmarc=fail"
    message.set_content("Please send me a copy of my data.")
    message.add_alternative("<p>Please send me a <b>copy</b> of my data.</p>", subtype="html")
    parts = cast(list[EmailMessage], message.get_payload())
    html_part = parts[1]
    html_part.add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<logo>")
    message.add_attachment(
        b"%PDF-1.4 passport", maintype="application", subtype="pdf", filename="passport.pdf"
    )
    mail = parse(message.as_bytes())
    assert mail.text.strip() == "Please send me a copy of my data."
    assert mail.in_reply_to == ("<PD-2026-000001.abc@desk.test>",)
    assert mail.references == ("<first@x>", "<PD-2026-000001.abc@desk.test>")
    assert mail.authentication == {"spf": "pass", "dkim": "pass", "dmarc": "fail"}
    files = {(a.filename, a.content_type, a.size) for a in mail.attachments}
    assert ("passport.pdf", "application/pdf", 17) in files
    assert any(a.content_type == "image/png" for a in mail.attachments)


def test_an_attachment_over_the_limit_is_listed_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "ATTACHMENT_LIMIT", 10)
    message = EmailMessage()
    message["From"] = "a@example.test"
    message["Subject"] = "big"
    message.set_content("see attached")
    message.add_attachment(b"x" * 100, maintype="application", subtype="zip", filename="big.zip")
    [big] = parse(message.as_bytes()).attachments
    assert (big.filename, big.size, big.data) == ("big.zip", 100, None)


def _tnef_object(level: int, name: int, data: bytes) -> bytes:
    return (
        struct.pack("<BHHI", level, name, 0x0001, len(data))
        + data
        + struct.pack("<H", sum(data) & 0xFFFF)
    )


def test_winmail_dat_gives_up_its_body_and_files() -> None:
    tnef = struct.pack("<IH", 0x223E9F78, 1)
    tnef += _tnef_object(1, 0x800C, b"Please erase my data.\x00")
    tnef += _tnef_object(2, 0x9002, b"\x00" * 14)
    tnef += _tnef_object(2, 0x8010, b"id-card.jpg\x00")
    tnef += _tnef_object(2, 0x800F, b"JPEGDATA" * 4)
    message = EmailMessage()
    message["From"] = "outlook@example.test"
    message["Subject"] = "request"
    message.set_content("")
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    mail = parse(message.as_bytes())
    assert "Please erase my data." in mail.text
    assert [(a.filename, a.size) for a in mail.attachments] == [("id-card.jpg", 32)]


def test_mail_without_a_message_id_is_keyed_by_its_bytes() -> None:
    body = raw("From: a@example.test\nSubject: no id\n", b"hello")
    first, second = parse(body), parse(body)
    assert first.message_id is None
    assert first.key.startswith("sha256:")
    assert first.key == second.key
    assert parse(body + b" again").key != first.key


@pytest.mark.parametrize("junk", [b"", b"   \r\n", b"\x00\x01\x02 binary garbage \xff\xfe"])
def test_what_is_not_mail_is_refused_with_a_reason(junk: bytes) -> None:
    with pytest.raises(UnparseableMail) as refused:
        parse(junk)
    assert refused.value.reason
