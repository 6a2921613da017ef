"""Malformed and hostile MIME never crashes the mail path and is never lost.

Hand-made nasties plus hypothesis-generated ones: every mail ends as a request, a
follow-up or a quarantined item — recorded — and parsing never raises anything but
``UnparseableMail``.
"""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.composition import Desk
from handlers.models import InboundMailRow
from mail.inbound import receive
from mail.parsing import UnparseableMail, parse

SCHOOL = "support@justschool.me"

NASTIES: list[bytes] = [
    b'From: a@example.test\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n',
    b"From: a@example.test\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all",
    b"From: a@example.test\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe",
    b"From: a@example.test\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
    b"From: =?utf-8?q?broken=ZZ?= <a@example.test>\r\nSubject: =?x?b?AAAA?=\r\n\r\nhi",
    b"From: a@example.test\r\nSubject: " + b"A" * 20000 + b"\r\n\r\nlong header",
    b"From: <<<>>>\r\nTo: ,,,@@@\r\nMessage-ID: <>\r\nDate: not a date\r\n\r\nodd",
    b"From: a@example.test\r\nContent-Type: message/rfc822\r\n\r\nFrom: b\r\n\r\nnested",
    b"From: a@example.test\r\nContent-Type: application/ms-tnef\r\n\r\n\x78\x9f\x3e\x22garbage",
    b"From: a@example.test\r\n" + b"X-Many: y\r\n" * 5000 + b"\r\nmany headers",
    b"\r\n\r\n\r\n",
    b"\x00" * 100,
]


def deep(levels: int) -> bytes:
    message = EmailMessage()
    message["From"] = "a@example.test"
    message.set_content("innermost")
    for _ in range(levels):
        outer = EmailMessage()
        outer["From"] = "a@example.test"
        outer.set_content("layer")
        outer.add_attachment(message)
        message = outer
    return message.as_bytes()


def parses_or_refuses(raw: bytes) -> None:
    refusal = ""
    try:
        parse(raw)
    except UnparseableMail as refused:
        refusal = refused.reason or "(no reason)"
    assert refusal != "(no reason)"


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_parse_or_are_refused(raw: bytes) -> None:
    parses_or_refuses(raw)


_HEADER = st.sampled_from(
    ["From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding", "Message-ID", "Date"]
)


@given(
    st.lists(st.tuples(_HEADER, st.text(max_size=80)), max_size=8),
    st.binary(max_size=500),
    st.sampled_from(["", "multipart/mixed; boundary=b", "text/html", "text/plain; charset=koi8-u"]),
)
@settings(max_examples=300, deadline=None)
def test_random_header_soup_parses_or_is_refused(
    headers: list[tuple[str, str]], body: bytes, content_type: str
) -> None:
    lines = [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in headers]
    if content_type:
        lines.append(f"Content-Type: {content_type}".encode())
    raw = b"\r\n".join(line.replace(b"\r", b"").replace(b"\n", b"") for line in lines)
    parses_or_refuses(raw + b"\r\n\r\n" + body)


async def test_hostile_mail_is_recorded_and_never_lost(desk: Desk) -> None:
    corpus = [*NASTIES, deep(60)]
    for raw in corpus:
        parses_or_refuses(raw)
        result = await receive(desk, SCHOOL, raw)
        assert result.outcome in ("queued", "threaded", "quarantined")
    async with desk.db.sessions() as session:
        recorded = await session.scalar(select(func.count()).select_from(InboundMailRow))
    assert recorded == len(corpus)


@given(st.binary(min_size=1, max_size=300))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
async def test_random_mail_through_the_desk_is_always_recorded(desk: Desk, raw: bytes) -> None:
    result = await receive(desk, SCHOOL, b"From: x@example.test\r\n" + raw)
    assert result.outcome in ("queued", "threaded", "quarantined")
