"""When each item of a series is published: local wall-clock times in the creator's time zone.

A series is scheduled as a creator thinks of it: "from 1 March, every day at 09:00, Europe/London".
Each item's local date and time are computed first, on the wall clock (item n is the start plus n
intervals of days and hours, added to the local date and time, never to a UTC instant), and only
then turned into an instant with `zoneinfo`. So a daily 09:00 series stays at 09:00 local when the
clocks change, and its UTC instants move by the hour instead.

Local times that a DST change makes odd are resolved by one documented rule (Python's `fold=0`):
- a time that does not exist (the hour skipped when clocks go forward, e.g. 01:30 on the last
  Sunday of March in London) moves forward by the length of the gap: 01:30 becomes 02:30 BST;
- a time that happens twice (the hour repeated when clocks go back, e.g. 01:30 on the first
  Sunday of November in New York) is the first of the two: 01:30 EDT, not 01:30 EST.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_TIME_ZONE_CHARS = 64


class BadTimeZone(ValueError):
    """Not an IANA time zone name this server knows."""


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA name the server's tz database knows, sorted (for the studio's time zone list)."""
    return tuple(sorted(available_timezones()))


def parse_time_zone(name: str) -> ZoneInfo:
    """The zone for an IANA name such as `Asia/Kolkata`; BadTimeZone with a message otherwise."""
    if not isinstance(name, str) or not name or len(name) > MAX_TIME_ZONE_CHARS or name not in time_zone_names():
        raise BadTimeZone(f"{name!r} is not a time zone name; use an IANA name such as Asia/Kolkata or Europe/London.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTimeZone(f"{name!r} is not a time zone this server knows.") from None


def local_moment(
    *, start_date: dt.date, local_time: dt.time, every_days: int, every_hours: int, position: int
) -> dt.datetime:
    """Item `position`'s naive local date and time: the start plus `position` intervals, on the wall clock."""
    start = dt.datetime.combine(start_date, local_time.replace(tzinfo=None))
    return start + position * dt.timedelta(days=every_days, hours=every_hours)


def resolve_local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A naive local time as an aware instant in `zone`, by the module's rule for skipped and repeated times.

    `fold=0` is that rule: in a gap the offset before the change applies (so the instant lands
    after the gap, by its length); in an overlap the first occurrence is taken.
    """
    aware = moment.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC so a time in a gap reads as the wall-clock time it really is.
    return aware.astimezone(dt.UTC).astimezone(zone)


def publish_instants(
    *,
    start_date: dt.date,
    local_time: dt.time,
    time_zone: str,
    every_days: int,
    every_hours: int,
    count: int,
) -> list[dt.datetime]:
    """The first `count` publish instants, aware in the series' zone (`.astimezone(dt.UTC)` for UTC)."""
    if every_days < 0 or every_hours < 0 or every_days == every_hours == 0:
        raise ValueError("The interval must be at least one hour.")
    zone = parse_time_zone(time_zone)
    return [
        resolve_local(
            local_moment(
                start_date=start_date,
                local_time=local_time,
                every_days=every_days,
                every_hours=every_hours,
                position=position,
            ),
            zone,
        )
        for position in range(count)
    ]
