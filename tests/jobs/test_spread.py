import uuid
from datetime import UTC, datetime, timedelta

from capacity_service.jobs.spread import due_in_window, minute_floor, phase_seconds


def test_phase_is_stable_and_inside_the_interval() -> None:
    key = uuid.uuid4()
    assert phase_seconds(key, 900) == phase_seconds(key, 900)
    assert 0 <= phase_seconds(key, 900) < 900


def test_minute_windows_tiling_an_interval_give_each_key_exactly_one_run() -> None:
    keys = [uuid.uuid4() for _ in range(200)]
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    runs = dict.fromkeys(keys, 0)
    for minute in range(15):
        window = start + timedelta(minutes=minute)
        for key in keys:
            if due_in_window(key, 900, window, 60) is not None:
                runs[key] += 1
    assert set(runs.values()) == {1}


def test_phases_spread_keys_over_the_interval() -> None:
    keys = [uuid.uuid4() for _ in range(300)]
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    per_minute = [
        sum(1 for k in keys if due_in_window(k, 900, start + timedelta(minutes=m), 60))
        for m in range(15)
    ]
    assert max(per_minute) < 60  # 20 on average; never all at once


def test_due_delay_points_inside_the_window() -> None:
    key = uuid.uuid4()
    start = datetime(2026, 3, 1, 10, 7, tzinfo=UTC)
    for minute in range(15):
        window = start + timedelta(minutes=minute)
        delay = due_in_window(key, 900, window, 60)
        if delay is not None:
            assert timedelta(0) <= delay < timedelta(seconds=60)


def test_minute_floor_drops_seconds_and_converts_to_utc() -> None:
    value = datetime(2026, 3, 1, 10, 7, 42, 123, tzinfo=UTC)
    assert minute_floor(value) == datetime(2026, 3, 1, 10, 7, tzinfo=UTC)
