"""A precompiled header for a language's compiles (bits/stdc++.h for C++), made once per
machine on the host from the system's own header, with the compile's flags.

The header is compiled from a one-line wrapper into `<dir>/bits/stdc++.h.gch`, alone in its
folder: a compile with `-I <dir>` finds the .gch first and uses it; were it ever refused
(other flags), the compiler goes on to the system header, as without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .languages import Language

logger = logging.getLogger(__name__)


def folder(base: Path, language: Language) -> Path | None:
    """The folder holding the language's precompiled header beside the sandbox's `base`
    (`<base>-pch/`: never inside it, which boxes may not see), made if needed; None when the
    language has none or it cannot be made (compiles then go without)."""
    header = language.precompiled_header
    if header is None or not language.precompile:
        return None
    compiler = shutil.which(language.precompile[0])
    if compiler is None:
        return None
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256("\0".join([*language.precompile, header, version]).encode()).hexdigest()
    root = base.parent / f"{base.name}-pch"
    target = root / f"{language.id}-{key[:16]}"
    if (target / f"{header}.gch").exists():
        return target
    try:
        root.mkdir(mode=0o755, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as work:
            wrapper = Path(work) / "wrapper.h"
            wrapper.write_text(f"#include <{header}>\n")
            made = Path(work) / "made"
            (made / header).parent.mkdir(parents=True)
            done = subprocess.run(
                [*language.precompile, str(wrapper), "-o", str(made / f"{header}.gch")],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                logger.warning("cannot precompile %s: %s", header, done.stderr.strip())
                return None
            for path in (made, *made.rglob("*")):
                path.chmod(0o755 if path.is_dir() else 0o644)
            os.replace(made, target)  # atomic: two graders making it at once both succeed
    except OSError as exc:
        if (target / f"{header}.gch").exists():
            return target
        logger.warning("cannot precompile %s: %s", header, exc)
        return None
    return target
