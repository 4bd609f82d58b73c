"""Timestamps are written as DALI ISO 8601 UTC text, the same by every code path."""

import datetime as dt
import random

from soxsvo.formats.fields import format_timestamp, format_timestamps


def test_canonical_text():
    assert format_timestamp(dt.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert format_timestamp(dt.datetime(2024, 1, 2, 3, 4, 5, 7)) == "2024-01-02T03:04:05.000007"
    aware = dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert format_timestamp(aware) == "2023-12-31T22:00:00"
    assert format_timestamp(dt.date(2024, 2, 29)) == "2024-02-29"


def test_vectorised_equals_scalar_over_wide_range():
    rng = random.Random(3)
    zone = dt.timezone(dt.timedelta(hours=-7, minutes=-30))
    for tz in (None, zone):
        values = [dt.datetime(1, 1, 2, tzinfo=tz)
                  + dt.timedelta(microseconds=rng.randrange(315_000_000_000_000_000))
                  for _ in range(3000)]
        values += [dt.datetime(2024, 3, 1, 0, 0, tzinfo=tz), None]
        assert format_timestamps(values) == [
            b"" if v is None else format_timestamp(v).encode() for v in values]
