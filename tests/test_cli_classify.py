"""``privacydesk classify``: the JSON Lines contract of design.md, files, and readable output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PRIVACYDESK = str(Path(sys.executable).with_name("privacydesk"))
CONTRACT_KEYS = ["id", "language", "kinds", "is_privacy_request", "identity", "automated"]


def run(*args: str, stdin: str = "", code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [PRIVACYDESK, "classify", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": "/tmp"},
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def test_jsonl_one_line_out_per_line_in_with_ids_kept() -> None:
    lines = [
        {"id": 7, "channel": "telegram", "subject": "", "text": "видаліть мої дані"},
        {
            "id": "mail-2",
            "channel": "email",
            "subject": "Out of office",
            "text": "I am out of the office.",
        },
        {"id": None, "channel": "telegram", "subject": "", "text": "перенесіть урок на завтра"},
        {
            "id": [1, 2],
            "channel": "email",
            "subject": "DSAR",
            "text": "What personal data do you hold about me? jo@example.com",
        },
    ]
    out = run("--jsonl", stdin="".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["id"] for a in answers] == [7, "mail-2", None, [1, 2]]
    assert [list(a) for a in answers] == [CONTRACT_KEYS] * 4
    assert answers[0] == {
        "id": 7,
        "language": "uk",
        "kinds": ["erasure"],
        "is_privacy_request": True,
        "identity": {"emails": [], "phones": [], "names": []},
        "automated": False,
    }
    assert answers[1]["automated"] is True
    assert answers[1]["kinds"] == []
    assert answers[2]["kinds"] == []
    assert answers[2]["is_privacy_request"] is False
    assert answers[3]["kinds"] == ["access"]
    assert answers[3]["identity"]["emails"] == ["jo@example.com"]


def test_a_malformed_line_gets_an_error_line_and_the_rest_are_answered() -> None:
    stdin = "\n".join(
        [
            json.dumps({"id": "a", "text": "delete my account please"}),
            "{not json",
            json.dumps({"id": "b"}),
            json.dumps(["not", "an", "object"]),
            json.dumps({"id": "c", "text": 42}),
            "",
            json.dumps({"id": "d", "text": "Stop sending me marketing emails"}),
        ]
    )
    out = run("--jsonl", stdin=stdin + "\n", code=1)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == 6  # the blank line is skipped, every other line answered in order
    assert answers[0]["kinds"] == ["erasure"]
    assert answers[1]["id"] is None
    assert "line 2" in answers[1]["error"]
    assert answers[2] == {"id": "b", "error": "'text' must be a string"}
    assert answers[3] == {"id": None, "error": "each line must be a JSON object"}
    assert answers[4] == {"id": "c", "error": "'text' must be a string"}
    assert answers[5]["id"] == "d"
    assert answers[5]["kinds"] == ["objection"]


def test_eml_and_text_files(tmp_path: Path) -> None:
    eml = tmp_path / "request.eml"
    headers = (
        "From: =?utf-8?b?0J7Qu9C10L3QsA==?= <olena@example.com>\r\nTo: support@justschool.me\r\n"
        "Subject: =?utf-8?b?0JLQuNC00LDQu9C10L3QvdGPINC00LDQvdC40YU=?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=windows-1251\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    html = (
        "<html><body><p>Прошу видалити мої персональні дані.</p><script>x()</script></body></html>"
    )
    eml.write_bytes(headers.encode("ascii") + html.encode("cp1251"))
    note = tmp_path / "note.txt"
    note.write_text("Please send me a copy of my personal data.", encoding="utf-8")
    out = run("--json", str(eml), str(note))
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert answers[0]["id"] == str(eml)
    assert answers[0]["language"] == "uk"
    assert answers[0]["kinds"] == ["erasure"]
    assert answers[1]["kinds"] == ["access"]

    readable = run(str(eml)).stdout
    assert "erasure" in readable
    assert "erasure: “Видалення даних”" in readable  # the evidence: here the subject


def test_an_automated_eml_is_recognised_by_its_headers(tmp_path: Path) -> None:
    eml = tmp_path / "auto.eml"
    eml.write_text(
        "From: a@example.com\nSubject: Re: your request\nAuto-Submitted: auto-replied\n\n"
        "Please delete my data.\n",
        encoding="utf-8",
    )
    answer = json.loads(run("--json", str(eml)).stdout)
    assert answer["automated"] is True
    assert answer["kinds"] == []


def test_missing_file_and_usage_errors(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope.eml"), code=1)
    assert "nope.eml" in missing.stderr
    assert "usage" in run(code=2).stderr.lower()
    assert "not both" in run("--jsonl", str(tmp_path / "x"), code=2).stderr
