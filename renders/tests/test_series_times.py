"""Series publish instants: local wall-clock times in the creator's zone, across DST changes."""

from __future__ import annotations

import datetime as dt

import pytest

from renders.series_times import BadTimeZone, parse_time_zone, publish_instants


def _utc(instants: list[dt.datetime]) -> list[str]:
    return [moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") for moment in instants]


def test_it_keeps_nine_local_across_londons_spring_forward():
    # Clocks go forward on Sunday 28 March 2027: 09:00 GMT is 09:00Z, 09:00 BST is 08:00Z.
    instants = publish_instants(
        start_date=dt.date(2027, 3, 26), local_time=dt.time(9, 0), time_zone="Europe/London",
        every_days=1, every_hours=0, count=4,
    )  # fmt: skip
    assert _utc(instants) == ["2027-03-26 09:00", "2027-03-27 09:00", "2027-03-28 08:00", "2027-03-29 08:00"]
    assert {moment.strftime("%H:%M") for moment in instants} == {"09:00"}


def test_it_keeps_nine_local_across_new_yorks_fall_back():
    # Clocks go back on Sunday 7 November 2027: 09:00 EDT is 13:00Z, 09:00 EST is 14:00Z.
    instants = publish_instants(
        start_date=dt.date(2027, 11, 5), local_time=dt.time(9, 0), time_zone="America/New_York",
        every_days=1, every_hours=0, count=4,
    )  # fmt: skip
    assert _utc(instants) == ["2027-11-05 13:00", "2027-11-06 13:00", "2027-11-07 14:00", "2027-11-08 14:00"]
    assert [moment.strftime("%H:%M %Z") for moment in instants][1:3] == ["09:00 EDT", "09:00 EST"]


def test_it_moves_a_skipped_local_time_forward_by_the_gap():
    # 01:30 does not exist in London on 28 March 2027 (01:00 → 02:00): it becomes 02:30 BST = 01:30Z.
    [instant] = publish_instants(
        start_date=dt.date(2027, 3, 28), local_time=dt.time(1, 30), time_zone="Europe/London",
        every_days=1, every_hours=0, count=1,
    )  # fmt: skip
    assert instant.strftime("%H:%M %Z") == "02:30 BST"
    assert _utc([instant]) == ["2027-03-28 01:30"]


def test_it_takes_the_first_of_a_repeated_local_time():
    # 01:30 happens twice in New York on 7 November 2027: the first is EDT (05:30Z), not EST (06:30Z).
    instants = publish_instants(
        start_date=dt.date(2027, 11, 6), local_time=dt.time(1, 30), time_zone="America/New_York",
        every_days=1, every_hours=0, count=3,
    )  # fmt: skip
    assert _utc(instants) == ["2027-11-06 05:30", "2027-11-07 05:30", "2027-11-08 06:30"]


def test_it_adds_hours_on_the_wall_clock_too():
    # Every 12 hours from 21:00 the day before London's change: 21:00 GMT, then 09:00 BST (11 real hours later).
    instants = publish_instants(
        start_date=dt.date(2027, 3, 27), local_time=dt.time(21, 0), time_zone="Europe/London",
        every_days=0, every_hours=12, count=3,
    )  # fmt: skip
    assert [moment.strftime("%d %H:%M") for moment in instants] == ["27 21:00", "28 09:00", "28 21:00"]
    assert _utc(instants) == ["2027-03-27 21:00", "2027-03-28 08:00", "2027-03-28 20:00"]


def test_it_places_kolkata_without_dst():
    instants = publish_instants(
        start_date=dt.date(2027, 1, 1), local_time=dt.time(9, 0), time_zone="Asia/Kolkata",
        every_days=2, every_hours=0, count=2,
    )  # fmt: skip
    assert _utc(instants) == ["2027-01-01 03:30", "2027-01-03 03:30"]


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "asia/kolkata", "../etc/passwd", "UTC" * 30])
def test_it_refuses_names_that_are_not_iana_zones(name):
    with pytest.raises(BadTimeZone):
        parse_time_zone(name)


def test_it_refuses_an_interval_of_nothing():
    with pytest.raises(ValueError, match="at least one hour"):
        publish_instants(
            start_date=dt.date(2027, 1, 1), local_time=dt.time(9, 0), time_zone="UTC", every_days=0, every_hours=0,
            count=2,
        )  # fmt: skip
