"""Podio time, both ways, in one place: Podio's "YYYY-MM-DD HH:MM:SS" (UTC where Podio says
so, always with a 4-digit year), the ISO 8601 a flow gives and is given, a zone's local
time, and the Date header of an answer."""

from __future__ import annotations

import calendar
import email.utils
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PODIO_FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST = calendar.timegm((1, 1, 2, 0, 0, 0))  # Podio's times, kept a day inside years 1..9999
LATEST = calendar.timegm((9999, 12, 30, 23, 59, 59))


PODIO_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")


def epoch(text: str) -> int:
    """Podio's UTC "YYYY-MM-DD HH:MM:SS" as whole seconds since the epoch; ValueError for
    anything else (read for every revision and item a trigger sees: a tenth of strptime's
    cost)."""
    found = PODIO_TEXT.match(text)
    if found is None:
        raise ValueError(f"not Podio's YYYY-MM-DD HH:MM:SS: {text[:19]!r}")
    year, month, day, hour, minute, second = map(int, found.groups())
    return calendar.timegm(datetime(year, month, day, hour, minute, second).timetuple())


def _text(moment: datetime) -> str:
    """Podio's "YYYY-MM-DD HH:MM:SS" of a wall-clock time: the year always has 4 digits
    (strftime drops the zeros of a year below 1000)."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def podio_time(seconds: int) -> str:
    """Seconds since the epoch as Podio's UTC "YYYY-MM-DD HH:MM:SS" (kept inside the years
    Podio can hold)."""
    seconds = min(max(seconds, EARLIEST), LATEST)
    return _text(datetime.fromtimestamp(seconds, UTC))


def podio_utc(moment: datetime) -> str:
    """An aware date-time as Podio's UTC "YYYY-MM-DD HH:MM:SS"; OverflowError when its UTC
    form leaves the years 1..9999."""
    return _text(moment.astimezone(UTC))


def local_time(seconds: int, zone: ZoneInfo) -> tuple[str, bool]:
    """Seconds since the epoch as "YYYY-MM-DD HH:MM:SS" on the zone's clock, and whether that
    text names one instant only (False in the hour a clock turned back)."""
    seconds = min(max(seconds, EARLIEST), LATEST)
    wall = datetime.fromtimestamp(seconds, zone).replace(tzinfo=None)
    readings = {wall.replace(tzinfo=zone, fold=fold).timestamp() for fold in (0, 1)}
    return _text(wall), readings == {seconds}


def largest_offset(zone: ZoneInfo, around: int) -> int:
    """The zone's largest distance from UTC, in seconds, in the year around `around`."""
    start = datetime.fromtimestamp(min(max(around, EARLIEST), LATEST), UTC) - timedelta(days=183)
    offsets = (
        (start + timedelta(days=day)).astimezone(zone).utcoffset() or timedelta()
        for day in range(0, 367, 3)
    )
    return int(max(abs(offset.total_seconds()) for offset in offsets))


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


def task_due(text: str) -> dict[str, str]:
    """A task's due, as Podio takes it: a date alone is `due_date`; a date-time without a
    zone is the credential user's own clock, `due_date` and `due_time`; one with a zone is
    `due_on` in UTC. (An item's zone-less date-time is UTC instead: a task's due time is
    what its assignee reads on their own clock.) ValueError for anything else."""
    if is_day(text):
        datetime.fromisoformat(text)  # a real day
        return {"due_date": text}
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        return {"due_on": podio_utc(parsed)}
    clock = f"{parsed.hour:02d}:{parsed.minute:02d}"
    if parsed.second:
        clock += f":{parsed.second:02d}"
    return {"due_date": parsed.date().isoformat(), "due_time": clock}


def task_due_read(task: dict[str, object]) -> str | None:
    """A task's due, read back: the day for a task due on a day, else the UTC instant as ISO
    8601 with Z."""
    if task.get("due_date") and not task.get("due_time"):
        return str(task["due_date"])
    return iso_utc(task.get("due_on"))


def date_header(value: str | None) -> int:
    """Podio's clock, from an answer's Date header, in seconds; 0 when there is none or it
    cannot be read (a proxy's, say)."""
    if not value:
        return 0
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, OverflowError):
        return 0
