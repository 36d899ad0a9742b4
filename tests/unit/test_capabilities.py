"""Capability names, where jobs and agents declare them: models.capabilities(), Job.requires
and command jobs at registry load, and the settings (agent_capabilities, the grading queue,
what the platform's own jobs are handed)."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from iguazu.errors import ConfigError
from iguazu.jobs import JobRegistry
from iguazu.models import MAX_CAPABILITIES, Queue, capabilities
from iguazu.settings import DEFAULT_QUEUES, Settings


def job_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> str:
    """A job module of the test's own, importable by name, as a user writes one."""
    name = f"capjobs_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text("import iguazu\n\n" + textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def command(**over: object) -> dict[str, object]:
    """A command job as a [[jobs.commands]] table of the settings file reads."""
    return {"family": "shell", "name": "grade", "argv": ["true"], **over}


# -- models.capabilities ------------------------------------------------------------------


def test_capabilities_come_back_sorted_and_without_repeats() -> None:
    assert capabilities(["sandbox", "gpu", "sandbox", "a-1", "b_2"]) == (
        "a-1",
        "b_2",
        "gpu",
        "sandbox",
    )
    assert capabilities([]) == ()
    assert capabilities(iter(["x9"])) == ("x9",)


@pytest.mark.parametrize(
    "bad", ["Sandbox", "GPU", "with space", " sandbox", "sandbox\n", "", "x" * 33, "9lives", "é"]
)
def test_a_malformed_capability_name_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        capabilities(["sandbox", bad])
    assert repr(bad) in str(caught.value)


def test_a_name_of_32_characters_is_the_longest_accepted() -> None:
    assert capabilities(["x" * 32]) == ("x" * 32,)


@pytest.mark.parametrize("bad", [5, None, b"sandbox", 1.5])
def test_a_capability_that_is_not_a_string_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(ValueError) as caught:
        capabilities(["sandbox", bad])  # type: ignore[list-item]
    assert repr(bad) in str(caught.value)


def test_more_than_eight_capabilities_are_refused_and_eight_are_not() -> None:
    names = [f"c{i}" for i in range(MAX_CAPABILITIES + 1)]
    assert MAX_CAPABILITIES == 8
    assert capabilities(names[:8]) == tuple(names[:8])
    assert capabilities([*names[:8], "c0"]) == tuple(names[:8])  # a repeat is not a ninth
    with pytest.raises(ValueError, match="more than 8 capabilities"):
        capabilities(names)


def test_a_lone_string_is_refused_or_taken_as_one_name() -> None:
    try:
        found = capabilities("sandbox")
    except ValueError:
        return
    assert found == ("sandbox",)


# -- jobs ---------------------------------------------------------------------------------


def test_a_job_class_requiring_a_malformed_capability_fails_the_registry_load_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = job_module(
        tmp_path,
        monkeypatch,
        """
        class Grade(iguazu.Job):
            family = "school"
            requires = ("Sandbox",)

            def run(self, parameters):
                pass
        """,
    )
    with pytest.raises(ConfigError) as caught:
        JobRegistry.load([module])
    assert "school/grade" in str(caught.value)
    assert "'Sandbox'" in str(caught.value)


def test_a_job_class_requiring_too_many_capabilities_fails_the_registry_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = job_module(
        tmp_path,
        monkeypatch,
        """
        class Greedy(iguazu.Job):
            requires = tuple(f"c{i}" for i in range(9))

            def run(self, parameters):
                pass
        """,
    )
    with pytest.raises(ConfigError, match=r"job capjobs_\w+/greedy requires more than 8"):
        JobRegistry.load([module])


def test_a_job_class_gets_its_requirements_sorted_and_a_plain_one_requires_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = job_module(
        tmp_path,
        monkeypatch,
        """
        class Render(iguazu.Job):
            family = "studio"
            requires = ["sandbox", "gpu", "gpu"]
            platform = True

            def run(self, parameters):
                pass


        class Plain(iguazu.Job):
            family = "studio"

            def run(self, parameters):
                pass
        """,
    )
    registry = JobRegistry.load([module])
    render, plain = registry.get("studio", "render"), registry.get("studio", "plain")
    assert (render.requires, render.platform) == (("gpu", "sandbox"), True)
    assert (plain.requires, plain.platform) == ((), False)


def test_a_job_class_requiring_a_bare_string_is_refused_or_requires_that_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = job_module(
        tmp_path,
        monkeypatch,
        """
        class Grade(iguazu.Job):
            family = "school"
            requires = ("sandbox")

            def run(self, parameters):
                pass
        """,
    )
    try:
        registry = JobRegistry.load([module])
    except ConfigError:
        return
    assert registry.get("school", "grade").requires == ("sandbox",)


def test_a_command_job_from_the_settings_gets_its_requirements() -> None:
    registry = JobRegistry.load(
        commands=[
            command(requires=["sandbox", "gpu", "sandbox"]),
            command(name="plain"),
            command(name="none", requires=[]),
        ]
    )
    assert registry.get("shell", "grade").requires == ("gpu", "sandbox")
    assert registry.get("shell", "plain").requires == ()
    assert registry.get("shell", "none").requires == ()


def test_a_command_job_requiring_a_malformed_capability_fails_the_load_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        JobRegistry.load(commands=[command(requires=["sandbox", "Has Space"])])
    assert "shell/grade" in str(caught.value) and "'Has Space'" in str(caught.value)


def test_a_command_job_requiring_a_bare_string_is_refused_or_requires_that_name() -> None:
    try:
        registry = JobRegistry.load(commands=[command(requires="sandbox")])
    except ConfigError:
        return
    assert registry.get("shell", "grade").requires == ("sandbox",)


# -- settings -----------------------------------------------------------------------------


def test_agent_capabilities_default_to_found_out_and_are_kept_sorted_when_given() -> None:
    assert Settings().agent_capabilities is None
    assert Settings(agent_capabilities=()).agent_capabilities == ()
    given = Settings(agent_capabilities=("sandbox", "gpu", "gpu"))
    assert given.agent_capabilities == ("gpu", "sandbox")


@pytest.mark.parametrize("bad", [["Bad"], ["sand box"], [""], [f"c{i}" for i in range(9)]])
def test_malformed_agent_capabilities_are_a_config_error(bad: list[str]) -> None:
    with pytest.raises(ConfigError, match="agent_capabilities") as caught:
        Settings(agent_capabilities=tuple(bad))
    if len(bad) == 1:
        assert repr(bad[0]) in str(caught.value)


def test_agent_capabilities_given_as_one_string_are_refused_or_read_as_one_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "iguazu.toml"
    path.write_text('agent_capabilities = "sandbox"\n')
    try:
        settings = Settings.from_file(path)
    except ConfigError:
        return
    assert settings.agent_capabilities == ("sandbox",)


def test_the_grading_queue_is_configured_by_default_ahead_of_every_other() -> None:
    queues = {q.name: q.priority for q in DEFAULT_QUEUES}
    assert queues["grading"] == 20
    assert max(queues, key=queues.__getitem__) == "grading"
    assert {q.name for q in Settings().queues} >= {"default", "high", "low", "grading"}


def test_grading_assignments_without_a_grading_queue_is_a_config_error(tmp_path: Path) -> None:
    queues = (Queue(name="default"), Queue(name="high", priority=10))
    with pytest.raises(ConfigError, match="queue 'grading'"):
        Settings(assignments_dir=tmp_path, queues=queues)
    assert Settings(queues=queues).assignments_dir is None  # no grading: no need for it
    with_grading = (*queues, Queue(name="grading", priority=5))
    assert Settings(assignments_dir=tmp_path, queues=with_grading).assignments_dir == tmp_path


def test_a_settings_file_without_a_grading_queue_but_with_assignments_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "iguazu.toml"
    path.write_text('assignments_dir = "assignments"\n\n[queues]\ndefault = 0\nhigh = 10\n')
    with pytest.raises(ConfigError, match="queue 'grading'"):
        Settings.from_file(path)


def test_the_settings_file_gives_agent_capabilities_and_assignments_relative_to_itself(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "iguazu.toml"
    path.write_text(
        textwrap.dedent(
            """
            data_dir = "var"
            assignments_dir = "../assignments"
            webhook_secret = "shh"
            agent_capabilities = ["sandbox", "gpu"]

            [jobs]
            modules = []

            [[jobs.commands]]
            family = "shell"
            name = "render"
            argv = ["true"]
            requires = ["gpu"]
            """
        )
    )
    settings = Settings.from_file(path)
    assert settings.agent_capabilities == ("gpu", "sandbox")
    assert settings.assignments_dir == (tmp_path / "assignments").resolve()
    assert settings.data_dir == (folder / "var").resolve()
    assert settings.webhook_secret == "shh"
    assert "grading" in {q.name for q in settings.queues}
    registry = JobRegistry.load(settings.job_modules, settings.command_jobs)
    assert registry.get("shell", "render").requires == ("gpu",)


def test_a_settings_file_may_declare_no_capabilities_or_leave_them_to_be_found_out(
    tmp_path: Path,
) -> None:
    declared = tmp_path / "none.toml"
    declared.write_text("agent_capabilities = []\n")
    assert Settings.from_file(declared).agent_capabilities == ()
    silent = tmp_path / "silent.toml"
    silent.write_text('data_dir = "var"\n')
    assert Settings.from_file(silent).agent_capabilities is None
    bad = tmp_path / "bad.toml"
    bad.write_text('agent_capabilities = ["Sandbox"]\n')
    with pytest.raises(ConfigError, match="'Sandbox'"):
        Settings.from_file(bad)


def test_an_absolute_assignments_dir_is_kept_and_an_override_wins(tmp_path: Path) -> None:
    path = tmp_path / "iguazu.toml"
    path.write_text(f'assignments_dir = "{tmp_path / "from-file"}"\n')
    assert Settings.from_file(path).assignments_dir == tmp_path / "from-file"
    override = Settings.from_file(path, assignments_dir="elsewhere")
    assert override.assignments_dir == (tmp_path / "elsewhere").resolve()


def test_platform_env_holds_the_database_url_and_only_what_is_set(tmp_path: Path) -> None:
    bare = Settings(data_dir=tmp_path)
    assert bare.platform_env == {
        "IGUAZU_DATABASE_URL": f"sqlite:///{(tmp_path / 'iguazu.db').resolve()}"
    }
    full = Settings(
        data_dir=tmp_path,
        database_url="postgresql://iguazu@db.example:5432/iguazu",
        assignments_dir=tmp_path / "assignments",
        webhook_secret="shh",
    )
    assert full.platform_env == {
        "IGUAZU_DATABASE_URL": "postgresql://iguazu@db.example:5432/iguazu",
        "IGUAZU_ASSIGNMENTS_DIR": str(tmp_path / "assignments"),
        "IGUAZU_WEBHOOK_SECRET": "shh",
    }
    assert (
        "IGUAZU_WEBHOOK_SECRET" not in Settings(data_dir=tmp_path, webhook_secret="").platform_env
    )


def test_platform_env_does_not_carry_the_api_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_token="tok-123", assignments_dir=tmp_path)
    assert "tok-123" not in settings.platform_env.values()
