"""`iguazu run`: which job a name means, and reading its parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from iguazu.cli.local import find_job, read_parameters, split_words
from iguazu.errors import ConfigError, UnknownJob
from iguazu.jobs import JobRegistry

REGISTRY = JobRegistry.load(["iguazu.examples"])


def test_family_slash_name_and_a_unique_name_or_family_find_the_job() -> None:
    assert find_job(REGISTRY, "demo/hog").key == "demo/hog"
    assert find_job(REGISTRY, "hog").key == "demo/hog"
    assert find_job(REGISTRY, "mailer").key == "mailer/recommendationsEmail"
    assert find_job(REGISTRY, "sample").key == "sample/sample"


def test_a_name_that_fits_several_jobs_lists_them() -> None:
    with pytest.raises(ConfigError, match="names several jobs: demo/fail, demo/hog, demo/noop"):
        find_job(REGISTRY, "demo")


def test_an_unknown_job_lists_the_registered_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown job 'nope'; registered jobs: demo/fail"):
        find_job(REGISTRY, "nope")
    with pytest.raises(ConfigError, match="unknown job 'demo/nope'"):
        find_job(REGISTRY, "demo/nope")


def test_parameters_come_from_a_json_file_or_are_empty(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"mib": 5}')
    assert read_parameters(path) == {"mib": 5}
    assert read_parameters(None) == {}


def test_bad_parameter_files_say_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"mib": ')
    with pytest.raises(ConfigError, match=r"p.json is not valid JSON: .*line 1 column 9"):
        read_parameters(path)
    with pytest.raises(ConfigError, match="cannot read parameters from .*missing.json"):
        read_parameters(tmp_path / "missing.json")


def test_run_takes_the_job_as_submit_does_or_as_one_word(tmp_path: Path) -> None:
    params = tmp_path / "p.json"
    params.write_text("{}")
    assert split_words(["demo", "sleep", str(params)]) == ("demo/sleep", params)
    assert split_words(["demo", "sleep"]) == ("demo/sleep", None)
    assert split_words(["sample", "sample.json"]) == ("sample", Path("sample.json"))
    assert split_words(["demo/sleep"]) == ("demo/sleep", None)
    with pytest.raises(ConfigError, match="expected JOB"):
        split_words(["a", "b", "c", "d.json"])


def test_an_unknown_job_suggests_the_nearest_names() -> None:
    with pytest.raises(UnknownJob, match=r"sample/sampel; did you mean sample/sample\?"):
        REGISTRY.get("sample", "sampel")
