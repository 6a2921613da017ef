"""Identity details a message gives about its writer: e-mails, phones, names, account numbers.

These are only what the text *says*; the identity module decides what is proven.
Phone numbers go through ``phonenumbers`` (Ukrainian numbers may be written without the
country code) and come out in E.164; e-mail addresses are validated by
``email-validator`` (syntax only, no DNS) and lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION: Final = "UA"

_DIGIT = re.compile(r"\d")
#: Stretches of text that could hold a phone number; ``phonenumbers`` parses and
#: validates each one (its own matcher over the whole text costs ten times more).
_PHONE_CANDIDATE = re.compile(r"(?<![\w/.])\+?\(?\d[\d \t().-]{5,18}\d(?![\w/])")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_NAME_WORD = r"[A-ZА-ЯІЇЄҐЁ][a-zа-яіїєґё'’ʼ-]+"
_FULL_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}}"
# Only the introduction is case-insensitive: a name starts with capitals.
_NAME_INTRO: Final = re.compile(
    rf"(?i:\bmy name is|\bI am|\bI'm|\bthis is|\bname:|\bfull name:|\bмене звати|\bя,|"
    rf"\bім'я:|\bпіб:|\bп\.і\.б\.:|\bменя зовут|\bфио:|\bимя:)[ \t]*({_FULL_NAME})"
)
_SIGN_OFF: Final = re.compile(
    r"^(?:best regards|kind regards|regards|sincerely|yours (?:sincerely|faithfully)|thanks|"
    r"thank you|cheers|best|з повагою|щиро|дякую|з найкращими побажаннями|с уважением|"
    r"спасибо|с наилучшими пожеланиями)[,.!]?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_LINE: Final = re.compile(rf"^[ \t]*({_FULL_NAME})[ \t]*,?[ \t]*$", re.MULTILINE)
# Runs on lower-cased text (IGNORECASE is slow); the value is cut from the original.
_ACCOUNT: Final = re.compile(
    r"(?:account(?: (?:no|number|id))?|customer (?:no|number|id)|student id|user id"
    r"|order|invoice|contract|\bid|номер (?:акаунт\w*|рахунку|договору|учня|замовлення)"
    r"|особов\w+ рахун\w*|договір|рахунок|замовлення|номер (?:аккаунта|счета|договора)"
    r"|счет|заказ)[ \t]*(?:no\.?|number|#|№|nr\.?)?[ \t:#№-]*([a-z]{0,4}-?\d[\da-z-]{3,19})\b"
)
_ACCOUNT_STEMS: Final = (
    "account",
    "customer",
    "student",
    "user id",
    "order",
    "invoice",
    "contract",
    " id",
    "id:",
    "id #",
    "номер",
    "рахун",
    "договір",
    "замовлення",
    "счет",
    "заказ",
)


@dataclass(frozen=True)
class ThirdParty:
    """Who asks for someone else's data, and for whom, as written."""

    role: str
    on_behalf_of: str | None = None


@dataclass(frozen=True)
class Identifiers:
    """Contact points and names found in a message."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    third_party: ThirdParty | None = None


def emails(text: str) -> list[str]:
    """Valid e-mail addresses, lower case, in order of appearance, without repeats."""
    found: list[str] = []
    if "@" not in text:
        return found
    for candidate in _EMAIL.findall(text):
        candidate = candidate.strip(".'-")
        try:
            normalised = validate_email(candidate, check_deliverability=False).normalized
        except EmailNotValidError:
            continue
        lowered = normalised.lower()
        if lowered not in found:
            found.append(lowered)
    return found


def phones(text: str, region: str = DEFAULT_REGION) -> list[str]:
    """Valid phone numbers in E.164, in order of appearance, without repeats."""
    found: list[str] = []
    for candidate in _PHONE_CANDIDATE.finditer(text):
        parsed = _phone(candidate.group(0).strip(" \t.-"), region)
        if parsed is None:
            continue
        number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if number not in found:
            found.append(number)
    return found


def _phone(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``raw`` as a phone number, or None when it is too short, an ID or not a number."""
    if len(_DIGIT.findall(raw)) < 7:
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # With "+" the writer gave the country: any possible number counts (examples and
    # new ranges are not "valid"); without it, only a valid number, not an ID.
    explicit = raw.startswith("+")
    if phonenumbers.is_valid_number(parsed) or (
        explicit and phonenumbers.is_possible_number(parsed)
    ):
        return parsed
    return None


def redact_contacts(text: str, region: str = DEFAULT_REGION) -> str:
    """``text`` with e-mail addresses as ``<e-mail>`` and phone numbers as ``<phone>``.

    Wider than ``emails``: anything shaped like an address goes, valid or not.
    """
    if "@" in text:
        text = _EMAIL.sub("<e-mail>", text)

    def phone(match: re.Match[str]) -> str:
        whole = match.group(0)
        raw = whole.strip(" \t.-")
        return whole.replace(raw, "<phone>", 1) if _phone(raw, region) is not None else whole

    return _PHONE_CANDIDATE.sub(phone, text)


def names(text: str, signature: str = "") -> list[str]:
    """Names as written: introduced ("my name is …", "ПІБ: …") or signed under a sign-off."""
    found: list[str] = []
    for match in _NAME_INTRO.finditer(text):
        _add(found, match.group(1))
    for block in (signature, text):
        for sign_off in _SIGN_OFF.finditer(block):
            following = _NAME_LINE.match(block, sign_off.end() + 1)
            if following:
                _add(found, following.group(1))
    return found


def accounts(text: str) -> list[str]:
    """Account, customer, order or contract numbers as written."""
    found: list[str] = []
    lowered = text.lower()
    if len(lowered) != len(text) or not _DIGIT.search(text):
        return found
    if not any(stem in lowered for stem in _ACCOUNT_STEMS):
        return found
    for match in _ACCOUNT.finditer(lowered):
        value = text[match.start(1) : match.end(1)]
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 10 and digits.startswith(("0", "380")):
            continue  # a phone number, reported as such
        _add(found, value)
    return found


def _add(found: list[str], value: str) -> None:
    value = " ".join(value.split())
    if value not in found:
        found.append(value)


_ON_BEHALF: Final = re.compile(
    rf"(?i:on behalf of|acting for|representing|my client|in the interests of|від імені|"
    rf"в інтересах|клієнт\w*|от имени|в интересах)[ \t:,]*"
    rf"(?:(?i:mr|mrs|ms|dr|гр|пан|пані)\.?[ \t]+)?({_FULL_NAME})"
)


def third_party(text: str, role: str | None) -> ThirdParty | None:
    """The role of a third-party requester and, when written, the person they act for."""
    if role is None:
        return None
    match = _ON_BEHALF.search(text)
    return ThirdParty(role=role, on_behalf_of=match.group(1) if match else None)


def extract(text: str, signature: str = "", *, role: str | None = None) -> Identifiers:
    """Everything this module finds in a message's new text and its signature."""
    both = f"{text}\n{signature}" if signature else text
    return Identifiers(
        emails=emails(both),
        phones=phones(both),
        names=names(text, signature),
        accounts=accounts(both),
        third_party=third_party(text, role),
    )
