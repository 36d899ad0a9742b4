"""Where the CLI finds its settings: `--config`, else $IGUAZU_CONFIG, else ./iguazu.toml;
$IGUAZU_DATABASE_URL and $IGUAZU_DATA_DIR override the file."""

from __future__ import annotations

import os
from pathlib import Path

from ..settings import Settings


def load_settings(config: Path | None = None, **overrides: object) -> Settings:
    path = config or Path(os.environ.get("IGUAZU_CONFIG", "iguazu.toml"))
    env = {
        "database_url": os.environ.get("IGUAZU_DATABASE_URL"),
        "data_dir": os.environ.get("IGUAZU_DATA_DIR"),
        "api_token": os.environ.get("IGUAZU_TOKEN"),
    }
    return Settings.from_file(
        path, **{**env, **{k: v for k, v in overrides.items() if v is not None}}
    )
