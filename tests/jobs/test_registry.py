import pytest

from capacity_service.jobs.registry import TASK_MODULES, load_registry


def test_every_task_module_loads_with_unique_entrypoints() -> None:
    registry = load_registry()
    names = [t.entrypoint for t in registry.tasks]
    assert "availability.refresh" in names
    assert len(names) == len(set(names))
    assert {s.entrypoint for s in registry.schedules} <= set(names)
    assert TASK_MODULES


def test_a_schedule_without_its_task_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity_service.availability.tasks as tasks

    monkeypatch.setattr(tasks, "TASKS", [])
    with pytest.raises(RuntimeError, match="no task declares"):
        load_registry(("capacity_service.availability.tasks",))
