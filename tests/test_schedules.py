"""When the background job runs: crontab as cron reads it, intervals, flags over environment."""

from __future__ import annotations

import pytest

from enricher.config import build_schedule
from enricher.errors import ConfigError
from enricher.schedules import Schedule, apscheduler_crontab, format_duration


@pytest.mark.parametrize(
    ("crontab", "expected"),
    [
        ("0 */6 * * *", "0 */6 * * *"),
        ("30 6 * * 1", "30 6 * * mon"),  # cron's 1 is Monday; APScheduler 3's would be Tuesday
        ("0 6 * * 0", "0 6 * * sun"),
        ("0 6 * * 7", "0 6 * * sun"),
        ("0 6 * * 1-5", "0 6 * * mon,tue,wed,thu,fri"),
        ("0 6 * * 5-7", "0 6 * * sun,fri,sat"),
        ("0 6 * * sat-sun", "0 6 * * sun,sat"),
        ("0 6 * * */2", "0 6 * * sun,tue,thu,sat"),
        ("0 6 * * 1,3", "0 6 * * mon,wed"),
        ("0 6 * * MON-FRI/2", "0 6 * * mon,wed,fri"),
        ("0 6 * * 0-7", "0 6 * * *"),
    ],
)
def test_weekdays_mean_what_they_mean_in_cron(crontab: str, expected: str) -> None:
    assert apscheduler_crontab(crontab) == expected


@pytest.mark.parametrize(
    ("crontab", "message"),
    [
        ("0 6 * *", "expected five fields"),
        ("0 6 * * 8", "'8' is not 0-7"),
        ("0 6 * * 5-2", "runs backwards"),
        ("0 6 * * */0", "step must be at least 1"),
    ],
)
def test_bad_crontabs_are_explained(crontab: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apscheduler_crontab(crontab)


def test_durations_read_back_as_written() -> None:
    assert [format_duration(s) for s in (21600, 90, 1, 0.5, 86400 + 60)] == [
        "6h", "1m30s", "1s", "0.5s", "1d1m",
    ]  # fmt: skip


def test_default_is_every_six_hours_with_a_run_at_start() -> None:
    schedule = build_schedule({}, {})
    assert (schedule.every_s, schedule.cron, schedule.run_now, schedule.timezone) == (
        21600, None, True, "UTC",
    )  # fmt: skip
    assert schedule.describe() == "every 6h"


def test_flags_win_over_the_environment() -> None:
    env = {"ENRICHER_CRON": "0 3 * * *"}
    assert build_schedule({}, env) == Schedule(cron="0 3 * * *", every_s=None)
    assert build_schedule({"every": "15m"}, env).every_s == 900
    assert build_schedule({"every": "30s", "run-now": False}, {}).run_now is False


@pytest.mark.parametrize(
    ("flags", "env", "message"),
    [
        ({"cron": "0 * * * *", "every": "1h"}, {}, "--cron and --every"),
        ({}, {"ENRICHER_CRON": "0 * * * *", "ENRICHER_EVERY": "1h"}, "ENRICHER_CRON and"),
        ({"every": "0s"}, {}, "--every: must be more than zero"),
        ({}, {"ENRICHER_EVERY": "soon"}, "ENRICHER_EVERY: expected a duration"),
    ],
)
def test_contradictions_and_bad_values_are_errors(
    flags: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_schedule(flags, env)
