"""Understanding messages: language, kinds with evidence, identity details, automated mail.

The examples here are written for the tests (not taken from the corpus), so they check
that the phrase families generalise; the corpus itself is measured in test_corpus.py.
"""

from __future__ import annotations

import pytest

from handlers.classifier import classify
from handlers.kind_rules import FAMILIES
from handlers.kinds import KINDS

POSITIVES = [
    # (language, text, kinds)
    ("uk", "видаліть мої дані", ["erasure"]),
    ("uk", "Прошу видалити мій обліковий запис і всі персональні дані.", ["erasure"]),
    ("uk", "Які мої персональні дані ви зберігаєте і кому передаєте?", ["access"]),
    ("uk", "надайте копію моїх даних будь ласка", ["access"]),
    ("uk", "У профілі неправильно вказано прізвище, виправте будь ласка", ["rectification"]),
    ("uk", "Прошу обмежити обробку моїх персональних даних до з'ясування", ["restriction"]),
    ("uk", "Надішліть мої дані у форматі CSV, переходжу до іншої школи", ["portability"]),
    ("uk", "Припиніть надсилати мені рекламні розсилки", ["objection"]),
    ("uk", "Відкликаю згоду на обробку персональних даних", ["withdraw_consent"]),
    ("uk", "Ви злили мій номер іншій компанії, буду скаржитись Уповноваженому", ["complaint"]),
    (
        "uk",
        "Адвокатський запит. Діючи в інтересах клієнта, прошу надати інформацію про "
        "персональні дані Петренка І. І.",
        ["third_party_access"],
    ),
    ("en", "Please delete my account and all my personal data.", ["erasure"]),
    ("en", "What personal data do you hold about me?", ["access"]),
    ("en", "My surname is misspelled in your records, please correct it.", ["rectification"]),
    ("en", "Please restrict the processing of my data until this is resolved.", ["restriction"]),
    (
        "en",
        "I want my data in a machine-readable format to move to another provider.",
        ["portability"],
    ),
    ("en", "Stop sending me marketing emails.", ["objection"]),
    ("en", "I withdraw my consent to the processing of my data.", ["withdraw_consent"]),
    ("en", "Do not sell or share my personal information.", ["opt_out_sale"]),
    (
        "en",
        "I unsubscribed twice and you still send me newsletters. This is a complaint.",
        ["complaint"],  # no new "stop": a complaint only (tests/data/README.md)
    ),
    (
        "en",
        "I unsubscribed twice and you still send me newsletters. Stop it, this is a complaint.",
        ["complaint", "objection"],
    ),
    (
        "en",
        "I am the lawyer of Ms. Jane Roe. On behalf of my client, please provide the "
        "information you hold about her.",
        ["third_party_access"],
    ),
    ("ru", "удалите мои данные и аккаунт пожалуйста", ["erasure"]),
    ("ru", "Какие мои данные у вас хранятся?", ["access"]),
    ("ru", "Отзываю согласие на обработку персональных данных", ["withdraw_consent"]),
    ("ru", "прекратите рассылку, не хочу больше получать рекламу", ["objection"]),
]

NEAR_MISSES = [
    ("uk", "видаліть будь ласка урок на завтра, не встигаю"),
    ("uk", "не можу зайти в акаунт, відновіть пароль"),
    ("uk", "хочу доступ до курсу B2, я вже оплатила"),
    ("uk", "як змінити час заняття?"),
    ("uk", "надішліть рахунок за березень"),
    ("uk", "хочу поскаржитись на викладача, постійно запізнюється"),
    ("en", "Please delete my lesson on Friday, I can't make it."),
    ("en", "I want access to my course, it says locked."),
    ("en", "How do I reset my password?"),
    ("en", "Can you send me the invoice for March?"),
    ("en", "Cancel my booking for tomorrow please."),
    ("ru", "удалите урок на пятницу, я заболел"),
    ("ru", "не могу войти в аккаунт, помогите"),
]


@pytest.mark.parametrize(("language", "text", "kinds"), POSITIVES)
def test_requests_are_understood_in_each_language(
    language: str, text: str, kinds: list[str]
) -> None:
    found = classify(text, channel="telegram")
    assert found.language == language
    assert found.kinds == [k for k in KINDS if k in kinds]
    assert found.is_privacy_request
    for kind in found.kinds:  # every kind says why, with words from the message
        assert found.evidence[kind].lower() in " ".join(text.split()).lower()


@pytest.mark.parametrize(("language", "text"), NEAR_MISSES)
def test_ordinary_support_is_not_a_privacy_request(language: str, text: str) -> None:
    found = classify(text, channel="telegram")
    assert found.language == language
    assert found.kinds == []
    assert not found.is_privacy_request
    assert not found.automated


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello! Видаліть мій акаунт будь ласка", "uk"),
        ("Добрий день, удалите мои данные пожалуйста", "ru"),
        ("Привіт, вибачте що турбую, хочу удалить свой акаунт, бо вже не займаюсь", "uk"),
        ("dobryi den, vydalit bud laska mii akaunt", "uk"),
        ("zdravstvuyte, udalite moi dannye pozhaluysta", "ru"),
        ("Hi there, please delete my account. Дякую!", "en"),
    ],
)
def test_mixed_surzhyk_and_transliterated_messages(text: str, language: str) -> None:
    found = classify(text, channel="telegram")
    assert found.language == language
    assert found.kinds == ["erasure"]


def test_the_quoted_old_request_does_not_decide_the_kind() -> None:
    reply = (
        "Дякую, все отримала.\n\n"
        "пн, 10 бер. 2025 р. о 09:14 Ірина <irina@example.com> пише:\n"
        "> Прошу видалити мої персональні дані та акаунт.\n"
    )
    assert classify(reply, "Re: Видалення даних").kinds == []


def test_a_new_request_above_a_quoted_reminder_is_understood() -> None:
    reply = (
        "Please delete my account and all my data, I am leaving.\n\n"
        "Best regards,\nTom Baker\n\n"
        "On Mon, Mar 10, 2025 at 9:14 AM JustSchool <support@justschool.me> wrote:\n"
        "> Reminder: your lesson is tomorrow at 10:00.\n"
    )
    found = classify(reply, "Re: Lesson reminder")
    assert found.kinds == ["erasure"]
    assert "Reminder" not in found.text
    assert found.identifiers.names == ["Tom Baker"]


def test_outlook_quoted_block_is_ignored() -> None:
    reply = (
        "Спасибо, все понятно.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n"
        "To: me\nSubject: Re: удаление\n\nУдалите мои данные, пожалуйста.\n"
    )
    assert classify(reply).kinds == []


BOUNCE = (
    "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you that "
    "your message could not be delivered to one or more recipients.\n\n<olena@example.com>: "
    "host mx said: 550 5.1.1 User unknown\n\n--- original message ---\nPlease delete my data."
)


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Undelivered Mail Returned to Sender", BOUNCE),
        ("Автоматична відповідь", "Я у відпустці до 20 березня, відповім після повернення."),
        ("Out of Office", "I am currently out of the office and will be back on Monday."),
        ("Автоответ", "Я в отпуске до понедельника. Автоматический ответ."),
        (
            "Our March newsletter",
            "New courses this spring! You're receiving this because you subscribed. "
            "Click here to unsubscribe.",
        ),
    ],
)
def test_automated_mail_is_never_a_request(subject: str, text: str) -> None:
    found = classify(text, subject)
    assert found.automated
    assert found.automated_reason
    assert found.kinds == []


def test_headers_mark_automated_mail_even_when_the_text_does_not() -> None:
    found = classify("Please delete my data", "Hello", headers={"Auto-Submitted": "auto-replied"})
    assert found.automated
    assert found.kinds == []
    assert not classify(
        "Please delete my data", "Hello", headers={"Auto-Submitted": "no"}
    ).automated


def test_identity_details_are_extracted() -> None:
    found = classify(
        "Добрий день! Мене звати Олена Коваль, прошу видалити мій акаунт. "
        "Пошта Olena.Koval@Example.com, телефон 067 123 45 67, номер договору 2024-1187.\n\n"
        "З повагою,\nОлена Коваль\n+380 (50) 765-43-21",
        "Видалення",
    )
    assert found.identifiers.emails == ["olena.koval@example.com"]
    assert found.identifiers.phones == ["+380671234567", "+380507654321"]
    assert found.identifiers.names == ["Олена Коваль"]
    assert "2024-1187" in found.identifiers.accounts
    contract = found.contract("m1")
    assert contract == {
        "id": "m1",
        "language": "uk",
        "kinds": ["erasure"],
        "is_privacy_request": True,
        "identity": {
            "emails": ["olena.koval@example.com"],
            "phones": ["+380671234567", "+380507654321"],
            "names": ["Олена Коваль"],
        },
        "automated": False,
    }


def test_third_party_requester_and_the_person_they_act_for() -> None:
    found = classify(
        "I am an attorney acting on behalf of Maria Lopez. Please provide all records you "
        "hold about her.",
        "Records request",
    )
    assert found.kinds == ["third_party_access"]
    assert found.identifiers.third_party is not None
    assert found.identifiers.third_party.role == "attorney"
    assert found.identifiers.third_party.on_behalf_of == "Maria Lopez"


def test_a_ccpa_revocation_of_permission_to_sell_is_an_opt_out() -> None:
    text = "I am a California resident. I revoke your permission to sell or share my information."
    assert classify(text).kinds == ["opt_out_sale"]
    gdpr = "Under the GDPR I revoke your permission to sell or share my information."
    assert classify(gdpr).kinds == ["withdraw_consent"]


def test_conditional_threats_and_negations_are_not_requests() -> None:
    assert (
        classify(
            "If you do not answer within a month, I will lodge a complaint with the authority."
        ).kinds
        == []
    )
    assert classify("Please don't delete my account, I just want to pause lessons.").kinds == []


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "😀🙏🔥", "\x00\x01\x02\xff" * 100, "a" * 10, "🙂 " * 50_000],
)
def test_odd_input_gives_a_clear_result(text: str) -> None:
    found = classify(text, channel="telegram")
    assert found.language in ("uk", "en", "ru")
    assert found.kinds == []
    assert not found.automated


def test_binary_garbage_decoded_with_replacement_is_handled() -> None:
    garbage = bytes(range(256)).decode("latin-1") * 40
    found = classify(garbage)
    assert found.kinds == []


def test_a_one_megabyte_letter_is_classified() -> None:
    letter = "Please delete my account and all my personal data.\n" + ("Lorem ipsum. " * 80_000)
    assert len(letter) > 1_000_000
    found = classify(letter, "Deletion")
    assert found.kinds == ["erasure"]
    assert found.language == "en"


def test_every_family_phrase_contains_one_of_its_stems() -> None:
    """The cheap stem test must never hide a phrase: check on every phrase of the tests."""
    texts = [t for _, t, _ in POSITIVES] + [t for _, t in NEAR_MISSES]
    for family in FAMILIES:
        for phrase in family.patterns:
            for text in texts:
                for match in phrase.pattern.finditer(text.lower()):
                    assert family.may_match(match.group(0)), (family.kind, match.group(0))
                    if phrase.beginnings is not None:
                        assert match.group(0).startswith(phrase.beginnings), match.group(0)
