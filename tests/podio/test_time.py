"""Podio time both ways, at the edges of the calendar and of daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from podio_component.podio.time import (
    date_header,
    epoch,
    largest_offset,
    local_time,
    moment,
    podio_time,
    podio_utc,
)


def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_a_year_below_1000_keeps_its_four_digits_both_ways() -> None:
    assert podio_time(seconds("0999-03-04 05:06:07")) == "0999-03-04 05:06:07"
    assert epoch("0999-03-04 05:06:07") == seconds("0999-03-04 05:06:07")
    assert podio_utc(datetime(12, 1, 1, tzinfo=UTC)) == "0012-01-01 00:00:00"


def test_times_beyond_what_podio_holds_are_kept_inside_it() -> None:
    assert podio_time(seconds("0001-01-01 00:00:00") - 10**9) == "0001-01-02 00:00:00"
    assert podio_time(seconds("9999-12-31 12:00:00")).startswith("9999-12-30")


def test_a_conversion_that_leaves_the_calendar_is_an_overflow_not_a_wrong_date() -> None:
    east = timezone(timedelta(hours=5))
    with pytest.raises(OverflowError):
        podio_utc(datetime(1, 1, 1, 2, tzinfo=east))


def test_the_hour_a_clock_turns_back_names_two_instants() -> None:
    new_york = ZoneInfo("America/New_York")
    first = seconds("2026-11-01 05:30:00")  # 01:30 EDT
    second = seconds("2026-11-01 06:30:00")  # 01:30 EST, the same text
    assert local_time(first, new_york) == ("2026-11-01 01:30:00", False)
    assert local_time(second, new_york) == ("2026-11-01 01:30:00", False)
    assert local_time(seconds("2026-11-01 07:30:00"), new_york) == ("2026-11-01 02:30:00", True)


def test_a_zones_largest_distance_from_utc_over_a_year() -> None:
    now = seconds("2026-12-01 00:00:00")
    assert largest_offset(ZoneInfo("Europe/London"), now) == 3600
    assert largest_offset(ZoneInfo("Asia/Kolkata"), now) == 5 * 3600 + 1800
    assert largest_offset(ZoneInfo("UTC"), now) == 0


@pytest.mark.parametrize("header", ["", "tomorrow", "Mon, 99 Foo 2026 25:61:61 GMT", None])
def test_a_date_header_that_cannot_be_read_counts_as_none(header: str | None) -> None:
    assert date_header(header) == 0


def test_a_date_alone_is_its_midnight_in_utc_and_a_bare_date_time_is_utc() -> None:
    assert moment("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert moment("2026-12-01T09:30:00") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="month"):
        moment("2026-13-45")
