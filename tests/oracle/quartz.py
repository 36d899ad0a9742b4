"""Drive tests/oracle/QuartzOracle.java: compile it once, run one JVM, feed it many queries."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
JARS = ("quartz2.jar", "slf4j-api.jar", "slf4j-nop.jar")
JAVA_DIR = Path("/usr/share/java")


def missing() -> str | None:
    """Why the oracle cannot run here, or None. scripts/test installs all of it."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: default-jdk-headless)"
    for jar in JARS:
        if not (JAVA_DIR / jar).exists():
            return f"{JAVA_DIR / jar} is missing (Debian: libquartz2-java)"
    return None


@dataclass(frozen=True)
class Fires:
    ok: bool
    times_ms: tuple[int, ...] = ()
    error: str = ""


class Quartz:
    def __init__(self, build_dir: Path) -> None:
        subprocess.run(
            ["javac", "-d", str(build_dir), "-cp", str(JAVA_DIR / JARS[0]),
             str(HERE / "QuartzOracle.java")],
            check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        classpath = ":".join([str(build_dir)] + [str(JAVA_DIR / j) for j in JARS])
        self._proc = subprocess.Popen(
            ["java", "-Xshare:auto", "-cp", classpath, "QuartzOracle"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip
        self.queries = 0

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)

    def ask(self, lines: Sequence[str]) -> list[str]:
        """Send many query lines, return their answers in order. A writer thread keeps both
        pipes moving, so a batch of any size cannot deadlock on full pipe buffers."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        for line in lines:
            assert "\n" not in line, line

        def write() -> None:
            assert proc.stdin is not None
            for line in lines:
                proc.stdin.write(line + "\n")
            proc.stdin.flush()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = [proc.stdout.readline().rstrip("\n") for _ in lines]
        writer.join()
        self.queries += len(lines)
        return answers

    def fires(self, queries: Sequence[tuple[str, str, int, int]]) -> list[Fires]:
        """(expression, zone, start epoch ms, n) -> up to n next fire times from Quartz."""
        answers = self.ask([f"N\t{e}\t{z}\t{ms}\t{n}" for e, z, ms, n in queries])
        return [_fires(a) for a in answers]

    def valid(self, expressions: Sequence[str]) -> list[Fires]:
        return [_fires(a) for a in self.ask([f"V\t{e}" for e in expressions])]

    def offsets(self, queries: Sequence[tuple[str, int]]) -> list[int]:
        """(zone, epoch ms) -> Java's UTC offset in seconds."""
        answers = self.ask([f"Z\t{z}\t{ms}" for z, ms in queries])
        return [int(a.split()[1]) // 1000 for a in answers]


def _fires(answer: str) -> Fires:
    if answer.startswith("OK"):
        return Fires(ok=True, times_ms=tuple(int(x) for x in answer.split()[1:]))
    if answer.startswith("ERR"):
        return Fires(ok=False, error=answer[4:])
    raise AssertionError(f"the Quartz oracle answered {answer!r}")
