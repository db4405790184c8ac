"""Report periods: the last 7/30/90 days or custom dates, in the workspace's time zone.

A period is whole local days: "last 7 days" is today and the six days before,
from local midnight to the next local midnight, so a report read in Berlin
counts what happened on Berlin's days, daylight-saving changes included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport.errors import ValidationError

PRESETS = (7, 30, 90)
MAX_DAYS = 3660


@dataclass(frozen=True, slots=True)
class Period:
    first_day: date
    last_day: date
    start: datetime  # aware, local midnight of first_day
    end: datetime  # aware, local midnight after last_day (exclusive)
    preset: int | None  # 7, 30, 90, or None for custom dates

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def title(self) -> str:
        if self.preset:
            return f"Last {self.preset} days"
        return f"{self.first_day:%-d %b %Y} to {self.last_day:%-d %b %Y}"

    def query(self) -> str:
        """The query string that selects this period again (for links and exports)."""
        if self.preset:
            return f"period={self.preset}"
        return f"start={self.first_day.isoformat()}&end={self.last_day.isoformat()}"


def period_of(*, first_day: date, last_day: date, tz: str, preset: int | None = None) -> Period:
    zone = ZoneInfo(tz)
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    return Period(first_day, last_day, start, end, preset)


def parse_period(params: Mapping[str, str], *, tz: str, today: date) -> Period:
    """Read ``period=7|30|90`` or ``start=YYYY-MM-DD&end=YYYY-MM-DD``; default 30 days."""
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    if start or end:
        try:
            first_day = date.fromisoformat(start)
            last_day = date.fromisoformat(end) if end else today
        except ValueError:
            raise ValidationError("dates must look like 2025-03-31", field="start") from None
        if last_day < first_day:
            raise ValidationError("the end date is before the start date", field="end")
        if (last_day - first_day).days >= MAX_DAYS:
            raise ValidationError("choose a period of at most ten years", field="start")
        return period_of(first_day=first_day, last_day=last_day, tz=tz)
    raw = params.get("period", "30")
    if not raw.isdigit() or int(raw) not in PRESETS:
        raise ValidationError("period must be 7, 30 or 90 (days)", field="period")
    days = int(raw)
    return period_of(first_day=today - timedelta(days=days - 1), last_day=today, tz=tz, preset=days)
