"""Report periods are whole local days in the workspace's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from rapport.errors import ValidationError
from rapport.reports.periods import parse_period

TODAY = date(2026, 3, 31)


def test_last_seven_days_is_today_and_the_six_days_before():
    period = parse_period({"period": "7"}, tz="UTC", today=TODAY)
    assert (period.first_day, period.last_day, period.days) == (date(2026, 3, 25), TODAY, 7)
    assert period.title == "Last 7 days" and period.query() == "period=7"


def test_default_is_thirty_days():
    assert parse_period({}, tz="UTC", today=TODAY).days == 30


def test_days_start_at_local_midnight_across_a_daylight_saving_change():
    period = parse_period(
        {"start": "2026-03-29", "end": "2026-03-29"}, tz="Europe/Berlin", today=TODAY
    )
    berlin = ZoneInfo("Europe/Berlin")
    assert period.start == datetime(2026, 3, 29, tzinfo=berlin)
    assert period.end == datetime(2026, 3, 30, tzinfo=berlin)
    elapsed = period.end.astimezone(UTC) - period.start.astimezone(UTC)
    assert elapsed.total_seconds() == 23 * 3600  # the clocks went forward


def test_custom_dates_round_trip_through_the_query():
    period = parse_period({"start": "2026-01-01", "end": "2026-01-31"}, tz="UTC", today=TODAY)
    assert period.query() == "start=2026-01-01&end=2026-01-31" and period.preset is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"period": "12"}, "period"),
        ({"period": "x"}, "period"),
        ({"start": "31/01/2026"}, "start"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"start": "1990-01-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_bad_periods_are_clear_errors(params, field):
    with pytest.raises(ValidationError) as info:
        parse_period(params, tz="UTC", today=TODAY)
    assert info.value.field == field
