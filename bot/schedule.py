"""Weekly slots: parse "mon 09:00 Europe/Berlin" and find a week's slot in time (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """A time of the week in a time zone, e.g. Monday 09:00 in Europe/Berlin."""

    weekday: int  # 0 = Monday
    time: dt.time
    tz: str = "UTC"

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.time:%H:%M} {self.tz}"

    def in_week_of(self, moment: dt.datetime) -> dt.datetime:
        """This slot in the (local, ISO) week that contains ``moment``."""
        zone = ZoneInfo(self.tz)
        local = moment.astimezone(zone)
        monday = local.date() - dt.timedelta(days=local.weekday())
        day = monday + dt.timedelta(days=self.weekday)
        return dt.datetime.combine(day, self.time, tzinfo=zone)


def parse_weekly_slot(text: str) -> WeeklySlot:
    """Parse ``"<weekday> <HH:MM> [<IANA zone>]"``; raise ValueError with a readable reason."""
    parts = text.split()
    if len(parts) not in (2, 3):
        raise ValueError(
            f"expected '<weekday> <HH:MM> [<time zone>]' like 'mon 09:00 UTC': {text!r}"
        )
    day = parts[0].lower()[:3]
    if day not in WEEKDAYS:
        raise ValueError(f"unknown weekday {parts[0]!r}; use one of {', '.join(WEEKDAYS)}")
    try:
        at = dt.time.fromisoformat(parts[1])
    except ValueError:
        raise ValueError(f"invalid time {parts[1]!r}; use 24-hour HH:MM") from None
    tz = parts[2] if len(parts) == 3 else "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name like Europe/Berlin") from None
    return WeeklySlot(WEEKDAYS.index(day), at.replace(second=0, microsecond=0), tz)


def iso_week(moment: dt.datetime | dt.date) -> str:
    """ISO week label such as ``2026-W48``."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"
