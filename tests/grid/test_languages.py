"""Each shipped language: its file loads, its self-test compiles in a box and runs right,
and a program that does not compile is the learner's compile error, not ours."""

from __future__ import annotations

from importlib import resources

import pytest

from iguazu.errors import ConfigError
from iguazu.grid import languages as languages_module
from iguazu.grid import pch
from iguazu.grid.build import build, run
from iguazu.grid.languages import Language, language, languages
from iguazu.sandbox import MIB, Sandbox, Status

SELFTEST = {"c": "c.c", "cpp": "cpp.cpp", "python": "python.py", "java": "java.java"}
BROKEN = {
    "c": b"int main(void) { return x; }\n",
    "cpp": b"int main() { std::vector<int> v; }\n",
    "python": b"def main(:\n    pass\n",
    "java": b"public class Main { public static void main(String[] a) { int x = ; } }\n",
}


def selftest(ident: str) -> bytes:
    folder = resources.files(languages_module.__package__).joinpath("languages", "selftest")
    return folder.joinpath(SELFTEST[ident]).read_bytes()


def test_the_four_languages_are_shipped_each_with_a_self_test() -> None:
    assert sorted(languages()) == sorted(SELFTEST)
    for ident in SELFTEST:
        assert selftest(ident)


@pytest.mark.parametrize("ident", sorted(SELFTEST))
def test_the_self_test_compiles_and_runs_in_the_sandbox(sandbox: Sandbox, ident: str) -> None:
    lang = language(ident)
    built = build(sandbox, lang, selftest(ident))
    assert built.ok, built.output
    limits = lang.limits(time_ms=2000, memory_kb=65536)
    report = run(sandbox, built, stdin=b"1 2 3\n-4 1000000000000\n", limits=limits)
    assert report.status is Status.OK, (report.message, report.stderr[-2000:])
    assert report.stdout == b"1000000000002 5\n"


@pytest.mark.parametrize("ident", sorted(BROKEN))
def test_a_program_that_does_not_compile_is_a_compile_error(sandbox: Sandbox, ident: str) -> None:
    built = build(sandbox, language(ident), BROKEN[ident])
    assert not built.ok and not built.internal
    assert "error" in built.output.lower(), built.output


def test_limits_are_scaled_per_language() -> None:
    java = language("java").limits(time_ms=1000, memory_kb=65536)
    assert (java.cpu_time, java.memory) == (2.0, (64 + 192) * MIB)
    c = language("c").limits(time_ms=1000, memory_kb=65536)
    assert (c.cpu_time, c.wall_time, c.memory) == (1.0, 3.0, 64 * MIB)


def test_an_unknown_language_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown language 'cobol'; known: c, cpp, java, python"):
        language("cobol")


@pytest.mark.parametrize(
    "text, problem",
    [
        ('id = "x"\nname = "X"\nsource = "x"\n', "'run'"),
        ('id = "x"\nname = "X"\nsource = "x"\nrun = ["x"]\ncolour = 1\n', "unknown fields colour"),
        ("id = \n", "x.toml"),
    ],
)
def test_a_wrong_language_file_is_named_with_its_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match="language file x.toml") as caught:
        languages_module._parse("x.toml", text)
    assert problem in str(caught.value)
    assert isinstance(
        languages_module._parse("y.toml", 'id="y"\nname="Y"\nsource="y"\nrun=["y"]'), Language
    )


def test_cpp_compiles_against_the_precompiled_bits_header(sandbox: Sandbox) -> None:
    source = b"#include <bits/stdc++.h>\nint main() { std::cout << std::gcd(12, 18) << '\\n'; }\n"
    built = build(sandbox, language("cpp"), source)
    assert built.ok, built.output
    folder = next(sandbox.base_dir.parent.glob(f"{sandbox.base_dir.name}-pch/cpp-*"))
    assert (folder / "bits" / "stdc++.h.gch").stat().st_size > 1_000_000
    report = run(
        sandbox, built, stdin=b"", limits=language("cpp").limits(time_ms=1000, memory_kb=65536)
    )
    assert report.stdout == b"6\n"


def test_a_broken_precompiled_header_is_made_again_not_blamed_on_learners(
    sandbox: Sandbox,
) -> None:
    source = b"#include <bits/stdc++.h>\nint main() { std::cout << 1 << '\\n'; }\n"
    assert build(sandbox, language("cpp"), source).ok
    gch = next(sandbox.base_dir.parent.glob(f"{sandbox.base_dir.name}-pch/cpp-*/bits/stdc++.h.gch"))
    with open(gch, "r+b") as f:
        f.truncate(1000)
    pch._checked.clear()  # as a new grading process would start
    built = build(sandbox, language("cpp"), source)
    assert built.ok, built.output
    assert gch.stat().st_size > 1_000_000
