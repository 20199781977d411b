"""Podio time, both ways, in one place: Podio's "YYYY-MM-DD HH:MM:SS" (UTC where Podio says
so), the ISO 8601 a flow gives and is given, and the Date header of an answer."""

from __future__ import annotations

import calendar
import email.utils
import re
import time
from datetime import UTC, datetime

PODIO_FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def epoch(text: str) -> int:
    """Podio's UTC "YYYY-MM-DD HH:MM:SS" as whole seconds since the epoch."""
    return calendar.timegm(time.strptime(text[:19], PODIO_FORMAT))


def podio_time(seconds: int) -> str:
    """Seconds since the epoch as Podio's UTC "YYYY-MM-DD HH:MM:SS"."""
    return time.strftime(PODIO_FORMAT, time.gmtime(seconds))


def podio_utc(moment: datetime) -> str:
    """An aware date-time as Podio's UTC "YYYY-MM-DD HH:MM:SS"."""
    return moment.astimezone(UTC).strftime(PODIO_FORMAT)


def iso_utc(text: object) -> str | None:
    """Podio's UTC "YYYY-MM-DD HH:MM:SS" as ISO 8601 with Z."""
    return f"{str(text).replace(' ', 'T')}Z" if text else None


def is_day(text: str) -> bool:
    """A date alone, YYYY-MM-DD."""
    return DAY.fullmatch(text) is not None


def moment(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware date-time: a date is its midnight in UTC, and
    a date-time without a zone is UTC. ValueError when it is neither."""
    if is_day(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_header(value: str | None) -> int:
    """Podio's clock, from an answer's Date header, in seconds; 0 when there is none."""
    if not value:
        return 0
    return int(email.utils.parsedate_to_datetime(value).timestamp())
