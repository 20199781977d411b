from __future__ import annotations

import pytest

from podio_component.errors import InputError
from podio_component.settings import Environment, RetrySettings, environment
from podio_component.validation import parse
from tests.helpers import SetEnv


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_retry_settings_take_the_documented_defaults(blank: object) -> None:
    settings = parse(RetrySettings, {"retries": blank, "retriesDelay": blank})
    assert (settings.retries, settings.retries_delay_ms) == (5, 10_000)


def test_missing_retry_settings_take_the_defaults() -> None:
    assert parse(RetrySettings, {}).retries == 5


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", 0), (0, 0), ("3", 3), (" 7 ", 7), (10, 10), (4.0, 4)]
)
def test_retries_accept_whole_numbers_as_digits_or_numbers(raw: object, expected: int) -> None:
    assert parse(RetrySettings, {"retries": raw}).retries == expected


@pytest.mark.parametrize(
    "raw",
    [
        "five",
        "1.5",
        "-1",
        "11",
        True,
        [3],
        {"n": 1},
        "nan",
        "inf",
        10**400,
        "9" * 400,
        "1_0",
        "١٢",
        "+3",
        "3e0",
        1.5,
    ],
)
def test_bad_retries_name_the_field_echo_the_value_and_say_what_is_expected(raw: object) -> None:
    with pytest.raises(InputError) as caught:
        parse(RetrySettings, {"retries": raw})
    assert caught.value.field == "retries"
    assert str(caught.value).startswith("Invalid retries: got ")
    assert "expected a whole number from 0 to 10" in str(caught.value)


@pytest.mark.parametrize("raw", ["soon", "-5", "300001", "1_000", "٣٠٠"])
def test_bad_retries_delay_names_the_field(raw: str) -> None:
    with pytest.raises(InputError, match=r"Invalid retriesDelay: got .*expected a whole number"):
        parse(RetrySettings, {"retriesDelay": raw})


def test_environment_defaults_point_at_podio() -> None:
    env = environment()
    assert env.api_url == "https://api.podio.com"
    assert (env.connect_timeout, env.read_timeout, env.max_retry_wait) == (10.0, 60.0, 60.0)


def test_environment_reads_overrides_with_decimals(setenv: SetEnv) -> None:
    setenv("PODIO_API_URL", "http://127.0.0.1:9999/")
    setenv("PODIO_READ_TIMEOUT", "2.5")
    env = environment()
    assert (env.api_url, env.read_timeout) == ("http://127.0.0.1:9999", 2.5)


def test_the_environment_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    first = environment()
    monkeypatch.setenv("PODIO_READ_TIMEOUT", "2.5")
    assert environment() is first


@pytest.mark.parametrize(
    "url",
    [
        "http://api.podio.com",  # cleartext to a remote host would expose the token
        "ftp://api.podio.com",
        "api.podio.com",
        "https://api.podio.com/?x=1",
    ],
)
def test_unsafe_api_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="Invalid PODIO_API_URL: got "):
        parse(Environment, {"PODIO_API_URL": url})


def test_an_api_url_with_a_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(InputError, match="Invalid PODIO_API_URL") as caught:
        parse(Environment, {"PODIO_API_URL": "https://user:hunter22@api.podio.com"})
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize("value", ["fast", "1_0", "nan", "0", "-1", "\u0661"])
def test_a_bad_timeout_names_its_variable(setenv: SetEnv, value: str) -> None:
    with pytest.raises(InputError, match="Invalid PODIO_CONNECT_TIMEOUT: got "):
        setenv("PODIO_CONNECT_TIMEOUT", value)
