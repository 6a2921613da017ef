"""The desk configuration: the shipped reference profiles load, and every mistake an officer
can make in the TOML file comes back as one plain "FILE: KEY: what is wrong" line."""

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from handlers.profiles import (
    DEFAULT_DATABASE_URL,
    UA_SUPERVISORY_AUTHORITY,
    ConfigError,
    DeskConfig,
    UnknownOrganisationError,
    load_config,
)

from .conftest import REFERENCE

# A small valid configuration; each error test changes one line of it.
BASE = """\
[desk]
staff_language = "en"

[organisations.acme]
legal_name = { uk = "ТОВ «Акме»", en = "Acme LLC" }
brand_names = ["Acme"]
registration_code = "12345678"
contact_email = "privacy@acme.com.ua"
regimes = ["ua"]
languages = ["uk", "en"]
default_language = "uk"
reply_language_for_ru = "uk"
timezone = "Europe/Kyiv"
refusal_needs_second_approver = false

[organisations.acme.responsible_person]
full_name = { uk = "Іваненко Іван Іванович", en = "Ivanenko Ivan Ivanovych" }
position = { uk = "директор", en = "Director" }
email = "director@acme.com.ua"

[organisations.acme.supervisory_authorities.ua.name]
uk = "Уповноважений Верховної Ради України з прав людини"
en = "Ukrainian Parliament Commissioner for Human Rights"

[[organisations.acme.mailboxes]]
address = "support@acme.com.ua"

[[organisations.acme.staff]]
telegram_user_id = 100001
full_name = { uk = "Петренко Петро Петрович", en = "Petrenko Petro Petrovych" }
role = "officer"

[[organisations.acme.staff]]
telegram_user_id = 100002
full_name = { uk = "Коваль Ольга Степанівна", en = "Koval Olha Stepanivna" }
role = "approver"
"""

GDPR_ORG = """
[organisations.eu]
legal_name = { en = "EU Ltd" }
brand_names = ["EU"]
contact_email = "privacy@eu-ltd.ie"
regimes = ["gdpr"]
languages = ["en"]
default_language = "en"
reply_language_for_ru = "en"
timezone = "Europe/Dublin"

[organisations.eu.responsible_person]
full_name = { en = "Murphy Sean" }
position = { en = "DPO" }
email = "dpo@eu-ltd.ie"

[organisations.eu.supervisory_authorities.gdpr]
name = { en = "Data Protection Commission" }

[[organisations.eu.staff]]
telegram_user_id = 200001
full_name = { en = "Murphy Sean" }
role = "admin"
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """BASE with one exact fragment replaced (fails loudly if the fragment is not there)."""
    assert old in text, old
    return text.replace(old, new, 1)


def write(tmp_path: Path, text: str, name: str = "desk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    """The lines of the ConfigError that loading ``text`` raises, with the file name as FILE."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={} if env is None else env)
    return [line.replace(str(path), "FILE", 1) for line in caught.value.problems]


# --- the shipped reference configuration --------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> DeskConfig:
    return load_config(REFERENCE, env={})


def test_reference_has_both_customers(reference: DeskConfig) -> None:
    assert set(reference.organisations) == {"justservices", "justschool"}
    assert reference.source == REFERENCE
    assert reference.database_url == DEFAULT_DATABASE_URL
    assert reference.telegram_token is None
    assert reference.calendars.ccpa_state_holidays is True
    assert reference.calendars.martial_law_in_force(date(2026, 12, 25))
    assert not reference.calendars.martial_law_in_force(date(2022, 2, 23))


def test_reference_just_services(reference: DeskConfig) -> None:
    org = reference.organisation("justservices")
    assert org.regimes == ["gdpr", "ccpa"]
    assert "en" in org.languages
    assert org.default_language == "en"
    assert org.timezone == "Europe/Dublin"
    assert org.refusal_needs_second_approver is False
    assert [m.address for m in org.mailboxes] == ["support@justservices.cc"]


def test_reference_justschool(reference: DeskConfig) -> None:
    org = reference.organisation("justschool")
    assert org.regimes == ["ua"]
    assert org.languages == ["uk", "en"]
    assert org.default_language == "uk"
    assert org.reply_language_for_ru == "uk"
    assert org.timezone == "Europe/Kyiv"
    assert org.registration_code == "3369314596"
    assert set(org.brand_names) == {"JustSchool", "JustSmart"}
    assert [m.address for m in org.mailboxes] == [
        "support@justschool.me",
        "support@justsmart.com.ua",
    ]
    assert org.responsible_person.full_name["uk"] == "Фурманенко Ігор Русланович"
    assert org.legal_name["en"] == "Private Entrepreneur Furmanenko Igor Ruslanovych"
    assert org.refusal_needs_second_approver is True
    assert sum(member.can_approve for member in org.staff) >= 2


def test_reference_authority_per_regime(reference: DeskConfig) -> None:
    school = reference.organisation("justschool")
    assert set(school.supervisory_authorities) == {"ua"}
    commissioner = school.supervisory_authority("ua")
    assert dict(commissioner.name) == dict(UA_SUPERVISORY_AUTHORITY)
    assert commissioner.website == "https://ombudsman.gov.ua"

    services = reference.organisation("justservices")
    assert set(services.supervisory_authorities) == {"gdpr", "ccpa"}
    dpc = services.supervisory_authority("gdpr")
    assert dpc.name["en"] == "Data Protection Commission (Ireland)"
    assert dpc.website == "https://www.dataprotection.ie"
    cppa = services.supervisory_authority("ccpa")
    assert cppa.name["en"] == "California Privacy Protection Agency"
    assert cppa.name["uk"].startswith("Агентство із захисту приватності Каліфорнії")
    assert cppa.website == "https://cppa.ca.gov"

    with pytest.raises(KeyError, match="not under regime 'ua'"):
        services.supervisory_authority("ua")


def test_reference_staff_have_full_names_in_every_language(reference: DeskConfig) -> None:
    for org in reference.organisations.values():
        assert org.staff
        for member in org.staff:
            assert member.telegram_user_id > 0
            for language in org.languages:
                assert len(member.full_name[language].split()) >= 2
    justschool = reference.organisation("justschool")
    for member in justschool.staff:  # Ukrainian notices need the ПІБ: three parts
        assert len(member.full_name["uk"].split()) == 3


def test_reference_needs_no_secrets_and_names_none() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip().lstrip("# ")
        assert key not in {"password", "telegram_token", "encryption_key"}, line


def test_organisation_for_mailbox_ignores_case(reference: DeskConfig) -> None:
    school = reference.organisation_for_mailbox("SUPPORT@JustSmart.com.ua")
    assert school is not None
    assert school.id == "justschool"
    assert reference.organisation_for_mailbox(" Support@JustSchool.ME ") is school
    services = reference.organisation_for_mailbox("support@justservices.cc")
    assert services is not None
    assert services.id == "justservices"
    assert reference.organisation_for_mailbox("someone@justschool.me") is None


def test_unknown_organisation_lists_known_ids(reference: DeskConfig) -> None:
    with pytest.raises(UnknownOrganisationError) as caught:
        reference.organisation("justshcool")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, ConfigError)
    assert str(caught.value) == (
        "unknown organisation 'justshcool' (configured: justschool, justservices)"
    )


def test_staff_member_lookup(reference: DeskConfig) -> None:
    org = reference.organisation("justschool")
    member = org.staff_member(100102)
    assert member is not None
    assert member.role == "approver"
    assert org.staff_member(100001) is None  # staff of the other organisation


def test_reply_language(reference: DeskConfig) -> None:
    school = reference.organisation("justschool")
    services = reference.organisation("justservices")
    assert school.reply_language("ru") == "uk"
    assert school.reply_language("en") == "en"
    assert services.reply_language("ru") == "en"
    assert services.reply_language("uk") == "uk"
    assert services.reply_language("de") == "en"
    assert school.name_in("uk").startswith("Фізична особа-підприємець")


# --- where the file comes from and what the environment overrides -------------------------


def test_env_overrides_win_and_token_stays_secret(tmp_path: Path) -> None:
    path = write(tmp_path, edit("[desk]\n", '[desk]\ndatabase_url = "sqlite:///file.db"\n'))
    token = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
    config = load_config(
        path,
        env={
            "PRIVACYDESK_DATABASE_URL": "postgresql+asyncpg://desk:pw@db/desk",
            "PRIVACYDESK_TELEGRAM_TOKEN": token,
            "PRIVACYDESK_ENCRYPTION_KEY": "k" * 32,
        },
    )
    assert config.database_url == "postgresql+asyncpg://desk:pw@db/desk"
    assert isinstance(config.telegram_token, SecretStr)
    assert config.telegram_token.get_secret_value() == token
    assert config.encryption_key is not None
    for shown in (repr(config), str(config), config.model_dump_json()):
        assert token not in shown
        assert "k" * 32 not in shown


def test_file_database_url_used_without_env(tmp_path: Path) -> None:
    path = write(tmp_path, edit("[desk]\n", '[desk]\ndatabase_url = "sqlite:///file.db"\n'))
    assert load_config(path, env={}).database_url == "sqlite:///file.db"
    assert load_config(path, env={"PRIVACYDESK_DATABASE_URL": ""}).database_url == (
        "sqlite:///file.db"
    )


def test_database_url_defaults_to_sqlite_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE), env={})
    assert config.database_url == "sqlite+aiosqlite:///var/privacydesk.sqlite3"
    assert config.staff_language == "en"
    assert [period.start for period in config.calendars.martial_law] == [date(2022, 2, 24)]


def test_config_path_from_env(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    config = load_config(env={"PRIVACYDESK_CONFIG": str(path)})
    assert config.source == path
    assert set(config.organisations) == {"acme"}


def test_config_path_falls_back_to_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BASE, name="privacydesk.toml")
    monkeypatch.chdir(tmp_path)
    assert load_config(env={}).source == Path("privacydesk.toml")


def test_no_config_anywhere_says_how_to_point_at_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(env={})
    assert caught.value.problems == [
        "environment: PRIVACYDESK_CONFIG: not set, and there is no privacydesk.toml in the "
        "current directory; set PRIVACYDESK_CONFIG to the configuration file "
        "(profiles/reference.toml is the shipped example)"
    ]


def test_mailbox_password_comes_from_the_named_variable(tmp_path: Path) -> None:
    text = edit(
        'address = "support@acme.com.ua"\n',
        'address = "support@acme.com.ua"\nimap_host = "imap.acme.com.ua"\n'
        'password_env = "ACME_MAIL_PASSWORD"\n',
    )
    mailbox = load_config(write(tmp_path, text), env={}).organisation("acme").mailboxes[0]
    assert mailbox.login == "support@acme.com.ua"
    assert mailbox.imap_port == 993
    assert mailbox.processed_folder == "PrivacyDesk/Processed"
    secret = mailbox.password({"ACME_MAIL_PASSWORD": "s3cret"})
    assert secret is not None
    assert secret.get_secret_value() == "s3cret"
    assert mailbox.password({}) is None


def test_several_organisations_and_gdpr_holidays(tmp_path: Path) -> None:
    text = BASE + edit(
        'timezone = "Europe/Dublin"\n',
        'timezone = "Europe/Dublin"\ngdpr_holiday_country = "ie"\n',
        GDPR_ORG,
    )
    config = load_config(write(tmp_path, text), env={})
    assert config.organisation("eu").gdpr_holiday_country == "IE"
    assert config.organisation("eu").zone.key == "Europe/Dublin"


def test_peacetime_is_an_empty_list(tmp_path: Path) -> None:
    text = edit("[desk]\n", "[calendars]\nmartial_law = []\n\n[desk]\n")
    config = load_config(write(tmp_path, text), env={})
    assert not config.calendars.martial_law_in_force(date(2026, 1, 1))


UA_GDPR = edit(
    'regimes = ["ua"]',
    'regimes = ["ua", "gdpr"]',
    BASE
    + """
[organisations.acme.supervisory_authorities.gdpr]
name = { uk = "Комісія із захисту даних Ірландії", en = "Data Protection Commission (Ireland)" }
website = "https://www.dataprotection.ie"
""",
)


def test_authority_per_regime(tmp_path: Path) -> None:
    org = load_config(write(tmp_path, UA_GDPR), env={}).organisation("acme")
    assert org.regimes == ["ua", "gdpr"]
    assert dict(org.supervisory_authority("ua").name) == dict(UA_SUPERVISORY_AUTHORITY)
    assert org.supervisory_authority("ua").website is None
    gdpr = org.supervisory_authority("gdpr")
    assert gdpr.name == {
        "uk": "Комісія із захисту даних Ірландії",
        "en": "Data Protection Commission (Ireland)",
    }
    assert gdpr.website == "https://www.dataprotection.ie"
    with pytest.raises(KeyError, match=r"'acme' is not under regime 'ccpa' \(regimes: ua, gdpr\)"):
        org.supervisory_authority("ccpa")


# --- each mistake becomes exactly one plain line ------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert caught.value.problems == [f"{path}: file not found"]
    with pytest.raises(ConfigError) as caught:
        load_config(env={"PRIVACYDESK_CONFIG": str(path)})
    assert caught.value.problems == [f"{path}: file not found (named by PRIVACYDESK_CONFIG)"]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    assert caught.value.problems == [f"{tmp_path}: cannot read the file: it is a directory"]
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"x = 1\n\xff\xfe")
    with pytest.raises(ConfigError) as caught:
        load_config(binary, env={})
    assert caught.value.problems == [
        f"{binary}: cannot read the file: not UTF-8 text (bad byte at offset 6)"
    ]


def test_broken_toml_keeps_line_and_column(tmp_path: Path) -> None:
    assert problems(tmp_path, edit('regimes = ["ua"]', 'regimes = ["ua"')) == [
        "FILE: invalid TOML: Unclosed array (at line 10, column 1)"
    ]
    assert problems(tmp_path, edit('brand_names = ["Acme"]', "brand_names = Acme")) == [
        "FILE: invalid TOML: Invalid value (at line 6, column 15)"
    ]


def test_missing_key(tmp_path: Path) -> None:
    text = edit('contact_email = "privacy@acme.com.ua"\n', "")
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.contact_email: missing required key"
    ]


def test_wrong_type(tmp_path: Path) -> None:
    text = edit("telegram_user_id = 100001", 'telegram_user_id = "100001"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.staff[0].telegram_user_id: expected an integer, got a string"
    ]
    text = edit("refusal_needs_second_approver = false", 'refusal_needs_second_approver = "no"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.refusal_needs_second_approver: expected true or false, "
        "got a string"
    ]


def test_unknown_regime(tmp_path: Path) -> None:
    text = edit('regimes = ["ua"]', 'regimes = ["ua", "gdrp"]')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.regimes[1]: unknown regime 'gdrp' "
        "(expected one of: ua, gdpr, ccpa)"
    ]


def test_unknown_language_and_role(tmp_path: Path) -> None:
    text = edit('languages = ["uk", "en"]', 'languages = ["uk", "ru"]')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.languages[1]: unknown language 'ru' (expected one of: uk, en)"
    ]
    text = edit('role = "officer"', 'role = "boss"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.staff[0].role: unknown role 'boss' "
        "(expected one of: officer, approver, admin)"
    ]
    text = edit('position = { uk = "директор", en = "Director" }', 'position = { ru = "директор" }')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.responsible_person.position.ru: unknown language 'ru' "
        "(expected one of: uk, en)"
    ]
    # a wrong key with a wrong value: one line about the key, not a second about the value
    text = BASE + "[organisations.acme.supervisory_authorities.ua.name.de]\n"
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.ua.name.de: unknown language 'de' "
        "(expected one of: uk, en)"
    ]


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    text = edit('timezone = "Europe/Kyiv"', 'time_zone = "Europe/Kyiv"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.timezone: missing required key",
        "FILE: organisations.acme.time_zone: unknown key (did you mean 'timezone'?)",
    ]
    text = edit('address = "support@acme.com.ua"', 'adress = "support@acme.com.ua"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.mailboxes[0].address: missing required key",
        "FILE: organisations.acme.mailboxes[0].adress: unknown key (did you mean 'address'?)",
    ]
    text = edit("[desk]\n", "[desk]\nstaff_lang = 'uk'\n")
    assert problems(tmp_path, text) == [
        "FILE: desk.staff_lang: unknown key (did you mean 'staff_language'?)"
    ]
    assert problems(tmp_path, "[organisation.acme]\n" + BASE) == [
        "FILE: organisation: unknown key (did you mean 'organisations'?)"
    ]


def test_bad_email(tmp_path: Path) -> None:
    text = edit('contact_email = "privacy@acme.com.ua"', 'contact_email = "privacy.acme.com.ua"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.contact_email: not a valid e-mail address "
        "'privacy.acme.com.ua': "
        "An email address must have an @-sign."
    ]


def test_unknown_time_zone(tmp_path: Path) -> None:
    text = edit('timezone = "Europe/Kyiv"', 'timezone = "Europe/Kyiw"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.timezone: unknown time zone 'Europe/Kyiw' "
        "(expected an IANA name such as Europe/Kyiv; did you mean 'Europe/Kyiv'?)"
    ]


def test_duplicate_staff_id(tmp_path: Path) -> None:
    text = edit("telegram_user_id = 100002", "telegram_user_id = 100001")
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.staff[1].telegram_user_id: duplicate telegram_user_id 100001 "
        "(already used by staff[0])"
    ]


def test_staff_id_must_be_positive(tmp_path: Path) -> None:
    text = edit("telegram_user_id = 100002", "telegram_user_id = 0")
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.staff[1].telegram_user_id: must be greater than 0, got 0"
    ]


def test_duplicate_regime(tmp_path: Path) -> None:
    text = edit('regimes = ["ua"]', 'regimes = ["ua", "ua"]')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.regimes[1]: duplicate regime 'ua'"
    ]


def test_default_language_must_be_offered(tmp_path: Path) -> None:
    text = edit('languages = ["uk", "en"]', 'languages = ["uk"]')
    text = edit('reply_language_for_ru = "uk"', 'reply_language_for_ru = "en"', text)
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.reply_language_for_ru: 'en' is not one of languages (uk)"
    ]


def test_every_language_needs_a_text(tmp_path: Path) -> None:
    text = edit(
        'legal_name = { uk = "ТОВ «Акме»", en = "Acme LLC" }', 'legal_name = { uk = "ТОВ «Акме»" }'
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.legal_name.en: missing required key (every text needs an "
        "entry for 'en' because languages lists uk, en)"
    ]


def test_ua_needs_ukrainian(tmp_path: Path) -> None:
    text = edit('languages = ["uk", "en"]', 'languages = ["en"]')
    text = edit('default_language = "uk"', 'default_language = "en"', text)
    text = edit('reply_language_for_ru = "uk"', 'reply_language_for_ru = "en"', text)
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.languages: must include 'uk' for regime 'ua' (notices under "
        "Law 2297-VI go out in Ukrainian and name the official by ПІБ)"
    ]


def test_ua_supervisory_authority_is_the_commissioner(tmp_path: Path) -> None:
    text = edit(
        'uk = "Уповноважений Верховної Ради України з прав людини"',
        'uk = "Уповноважений державний орган з питань захисту персональних даних"',
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.ua.name.uk: must be 'Уповноважений "
        "Верховної Ради України з прав людини' for regime 'ua' (Law 2297-VI Art. 18(1))"
    ]
    # also when the organisation is under another regime as well
    text = edit(
        'uk = "Уповноважений Верховної Ради України з прав людини"',
        'uk = "Комісія із захисту даних Ірландії"',
        UA_GDPR,
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.ua.name.uk: must be 'Уповноважений "
        "Верховної Ради України з прав людини' for regime 'ua' (Law 2297-VI Art. 18(1))"
    ]


def test_every_regime_needs_its_authority(tmp_path: Path) -> None:
    text = edit('regimes = ["ua"]', 'regimes = ["ua", "gdpr"]')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.gdpr: missing required key (regimes "
        "lists 'gdpr': name the authority that hears complaints under it, for its refusal and "
        '"no action" notices)'
    ]
    text = edit(
        "[organisations.acme.supervisory_authorities.ua.name]\n"
        'uk = "Уповноважений Верховної Ради України з прав людини"\n'
        'en = "Ukrainian Parliament Commissioner for Human Rights"\n',
        "",
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities: missing required key"
    ]


def test_authority_for_a_regime_not_listed(tmp_path: Path) -> None:
    text = edit('regimes = ["ua", "gdpr"]', 'regimes = ["ua"]', UA_GDPR)
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.gdpr: regime 'gdpr' is not in "
        "regimes (ua); remove this table or add 'gdpr' to regimes"
    ]
    text = BASE + '[organisations.acme.supervisory_authorities.gdrp]\nname = { en = "DPC" }\n'
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authorities.gdrp: unknown regime 'gdrp' "
        "(expected one of: ua, gdpr, ccpa)"
    ]


def test_old_single_authority_key_says_it_was_renamed(tmp_path: Path) -> None:
    old = "[organisations.acme.supervisory_authority.name]"
    assert problems(
        tmp_path, edit("[organisations.acme.supervisory_authorities.ua.name]", old)
    ) == [
        "FILE: organisations.acme.supervisory_authority: renamed to "
        "supervisory_authorities.<regime> (one table with name and optional website for each "
        "regime in regimes); write [organisations.acme.supervisory_authorities.ua] instead"
    ]
    text = edit(
        "[organisations.eu.supervisory_authorities.gdpr]",
        "[organisations.eu.supervisory_authority]",
        GDPR_ORG,
    )
    text = edit('regimes = ["gdpr"]', 'regimes = ["gdpr", "ccpa"]', text)
    assert problems(tmp_path, BASE + text) == [
        "FILE: organisations.eu.supervisory_authority: renamed to "
        "supervisory_authorities.<regime> (one table with name and optional website for each "
        "regime in regimes); write [organisations.eu.supervisory_authorities.gdpr] and "
        "[organisations.eu.supervisory_authorities.ccpa] instead"
    ]
    # next to the new key it is still refused, and not silently ignored
    text = BASE + '[organisations.acme.supervisory_authority]\nname = { en = "x" }\n'
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.supervisory_authority: renamed to "
        "supervisory_authorities.<regime> (one table with name and optional website for each "
        "regime in regimes); write [organisations.acme.supervisory_authorities.ua] instead"
    ]


def test_ua_registration_code(tmp_path: Path) -> None:
    text = edit('registration_code = "12345678"', 'registration_code = "1234"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.registration_code: '1234' is neither an EDRPOU code "
        "(8 digits) nor an RNOKPP (10 digits)"
    ]


def test_full_name_needs_surname_and_first_name(tmp_path: Path) -> None:
    text = edit('uk = "Петренко Петро Петрович"', 'uk = "Петро"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.staff[0].full_name.uk: 'Петро' is not a full name: give at "
        "least surname and first name (for Ukrainian notices the ПІБ: surname, first name, "
        "patronymic)"
    ]


def test_second_approver_needs_two_approvers(tmp_path: Path) -> None:
    text = edit("refusal_needs_second_approver = false", "refusal_needs_second_approver = true")
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.refusal_needs_second_approver: needs at least two staff "
        "members with role 'approver' or 'admin' (found 1), or no refusal could ever be approved"
    ]


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    text = edit("[desk]\n", '[desk]\ntelegram_token = "123:abc"\n')
    assert problems(tmp_path, text) == [
        "FILE: desk.telegram_token: secrets never go in this file; set the environment "
        "variable PRIVACYDESK_TELEGRAM_TOKEN instead"
    ]
    text = edit(
        'address = "support@acme.com.ua"\n',
        'address = "support@acme.com.ua"\npassword = "hunter2"\n',
    )
    lines = problems(tmp_path, text)
    assert lines == [
        "FILE: organisations.acme.mailboxes[0].password: passwords never go in this file; put "
        "it in an environment variable and give that variable's name in password_env"
    ]
    assert "hunter2" not in "\n".join(lines)
    text = edit("[desk]\n", '[desk]\ndatabase_url = "postgresql://desk:hunter2@db/desk"\n')
    lines = problems(tmp_path, text)
    assert lines == [
        "FILE: desk.database_url: contains a password; keep secrets out of this file and put "
        "the whole URL in the environment variable PRIVACYDESK_DATABASE_URL"
    ]


def test_mailbox_with_server_needs_password_env(tmp_path: Path) -> None:
    text = edit(
        'address = "support@acme.com.ua"\n',
        'address = "support@acme.com.ua"\nimap_host = "imap.acme.com.ua"\n',
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.mailboxes[0].password_env: missing required key (a mailbox "
        "with a server needs the name of the environment variable that holds its password)"
    ]
    text = edit(
        'address = "support@acme.com.ua"\n',
        'address = "support@acme.com.ua"\nimap_host = "imap.acme.com.ua"\n'
        'password_env = "Hunter2"\n',
    )
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.mailboxes[0].password_env: not an environment variable name "
        "(capital letters, digits and '_', such as PRIVACYDESK_MAILBOX_PASSWORD); the password "
        "goes in that variable, never in this file"
    ]


def test_mailbox_belongs_to_one_organisation(tmp_path: Path) -> None:
    text = BASE + GDPR_ORG + '\n[[organisations.eu.mailboxes]]\naddress = "Support@acme.com.ua"\n'
    assert problems(tmp_path, text) == [
        "FILE: organisations.eu.mailboxes[0].address: already belongs to organisation 'acme'"
    ]


def test_holiday_country_and_subdivision(tmp_path: Path) -> None:
    bad_country = edit(
        'timezone = "Europe/Dublin"\n',
        'timezone = "Europe/Dublin"\ngdpr_holiday_country = "XX"\n',
        GDPR_ORG,
    )
    assert problems(tmp_path, BASE + bad_country) == [
        "FILE: organisations.eu.gdpr_holiday_country: unknown country 'XX' for public holidays "
        "(expected an ISO 3166 code that the holidays package supports, such as IE, DE or FR)"
    ]
    bad_subdiv = edit(
        'timezone = "Europe/Dublin"\n',
        'timezone = "Europe/Dublin"\ngdpr_holiday_country = "DE"\ngdpr_holiday_subdiv = "XX"\n',
        GDPR_ORG,
    )
    [line] = problems(tmp_path, BASE + bad_subdiv)
    assert line.startswith(
        "FILE: organisations.eu.gdpr_holiday_subdiv: unknown subdivision 'XX' of DE "
        "(expected one of: BB, BE, BW,"
    )
    not_gdpr = edit(
        'timezone = "Europe/Kyiv"\n', 'timezone = "Europe/Kyiv"\ngdpr_holiday_country = "UA"\n'
    )
    assert problems(tmp_path, not_gdpr) == [
        "FILE: organisations.acme.gdpr_holiday_country: only used for regime 'gdpr', which "
        "regimes does not list"
    ]


def test_organisation_id_is_the_table_name(tmp_path: Path) -> None:
    text = BASE.replace("organisations.acme", 'organisations."Acme Co"')
    assert problems(tmp_path, text) == [
        "FILE: organisations.\"Acme Co\": organisation id 'Acme Co' must be a lowercase slug: "
        "a letter, then letters, digits, '-' or '_', at most 32 characters"
    ]
    text = edit("[organisations.acme]\n", '[organisations.acme]\nid = "acme"\n')
    assert problems(tmp_path, text) == [
        "FILE: organisations.acme.id: unknown key (the organisation id is the table name, "
        "here 'acme')"
    ]


def test_no_organisations(tmp_path: Path) -> None:
    assert problems(tmp_path, '[desk]\nstaff_language = "uk"\n') == [
        "FILE: organisations: missing required key"
    ]
    assert problems(tmp_path, "organisations = {}\n") == ["FILE: organisations: must not be empty"]


def test_martial_law_periods(tmp_path: Path) -> None:
    text = edit(
        "[desk]\n",
        "[[calendars.martial_law]]\nstart = 2022-02-24\nend = 2022-01-01\n\n[desk]\n",
    )
    assert problems(tmp_path, text) == [
        "FILE: calendars.martial_law[0].end: ends before it starts (2022-02-24)"
    ]
    text = edit("[desk]\n", '[[calendars.martial_law]]\nstart = "2022-02-24"\n\n[desk]\n')
    assert problems(tmp_path, text) == [
        "FILE: calendars.martial_law[0].start: expected a date written without quotes, such as "
        "2022-02-24, got a string"
    ]


def test_bad_environment_values(tmp_path: Path) -> None:
    env = {
        "PRIVACYDESK_DATABASE_URL": "desk.sqlite3",
        "PRIVACYDESK_TELEGRAM_TOKEN": "not a token",
    }
    assert problems(tmp_path, BASE, env) == [
        "environment: PRIVACYDESK_DATABASE_URL: not a database URL (expected e.g. "
        "sqlite+aiosqlite:///var/privacydesk.sqlite3 or "
        "postgresql+asyncpg://desk@db.internal/privacydesk)",
        "environment: PRIVACYDESK_TELEGRAM_TOKEN: does not look like a bot token from "
        "@BotFather (digits, a colon, then letters, digits, '-' or '_')",
    ]


def test_all_problems_at_once_in_plain_words(tmp_path: Path) -> None:
    text = edit('regimes = ["ua"]', 'regimes = ["ua", "gdrp"]')
    text = edit('timezone = "Europe/Kyiv"', 'timezone = "Mars/Olympus"', text)
    text = edit('email = "director@acme.com.ua"', 'email = "director"', text)
    text = edit("telegram_user_id = 100002", "telegram_user_id = -5", text)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    error = caught.value
    assert len(error.problems) == 4
    assert str(error) == "\n".join(error.problems)
    assert all(line.startswith(f"{path}: organisations.acme.") for line in error.problems)
    assert "Traceback" not in str(error)
    assert "errors.pydantic.dev" not in str(error)
    assert "Input should" not in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


# --- the deadline monitor's settings --------------------------------------------------------


def test_deadline_settings_default_to_five_and_one_working_days(
    reference: DeskConfig, tmp_path: Path
) -> None:
    for org in reference.organisations.values():
        assert org.deadlines.reminder_working_days == [5, 1]
        assert org.deadlines.digest_hour == 9
        assert org.deadlines.digest_horizon_working_days == 5
    # Left out of a profile, the section takes the same defaults.
    acme = load_config(write(tmp_path, BASE), env={}).organisation("acme")
    assert acme.deadlines == reference.organisation("justschool").deadlines


def test_deadline_settings_are_read(tmp_path: Path) -> None:
    text = BASE + (
        "\n[organisations.acme.deadlines]\n"
        "reminder_working_days = [10, 3, 1]\n"
        "digest_hour = 0\n"
        "digest_horizon_working_days = 0\n"
    )
    policy = load_config(write(tmp_path, text), env={}).organisation("acme").deadlines
    assert policy.reminder_working_days == [10, 3, 1]
    assert (policy.digest_hour, policy.digest_horizon_working_days) == (0, 0)
    # An empty list turns the reminders off; the other keys keep their defaults.
    text = BASE + "\n[organisations.acme.deadlines]\nreminder_working_days = []\n"
    policy = load_config(write(tmp_path, text), env={}).organisation("acme").deadlines
    assert policy.reminder_working_days == []
    assert (policy.digest_hour, policy.digest_horizon_working_days) == (9, 5)


def test_bad_deadline_settings(tmp_path: Path) -> None:
    section = "\n[organisations.acme.deadlines]\n"
    key = "FILE: organisations.acme.deadlines"
    assert problems(tmp_path, BASE + section + "reminder_working_days = [5, 0, 31]\n") == [
        f"{key}.reminder_working_days[1]: must be at least 1, got 0",
        f"{key}.reminder_working_days[2]: must be at most 30, got 31",
    ]
    assert problems(tmp_path, BASE + section + "reminder_working_days = [5, 1, 5]\n") == [
        f"{key}.reminder_working_days[2]: duplicate day 5 (already at reminder_working_days[0])"
    ]
    assert problems(tmp_path, BASE + section + 'reminder_working_days = ["5"]\n') == [
        f"{key}.reminder_working_days[0]: expected an integer, got a string"
    ]
    assert problems(tmp_path, BASE + section + "reminder_working_days = 5\n") == [
        f"{key}.reminder_working_days: expected an array, got an integer"
    ]
    assert problems(tmp_path, BASE + section + "digest_hour = 24\n") == [
        f"{key}.digest_hour: must be at most 23, got 24"
    ]
    assert problems(tmp_path, BASE + section + "digest_hour = -1\n") == [
        f"{key}.digest_hour: must be at least 0, got -1"
    ]
    assert problems(tmp_path, BASE + section + "digest_horizon_working_days = 31\n") == [
        f"{key}.digest_horizon_working_days: must be at most 30, got 31"
    ]
    assert problems(tmp_path, BASE + section + "reminder_days = [5, 1]\n") == [
        f"{key}.reminder_days: unknown key (did you mean 'reminder_working_days'?)"
    ]
