"""Jobs the API tests submit (nothing runs them: no dispatcher in those tests)."""

from __future__ import annotations

import pydantic

import iguazu


class Broken(iguazu.Job):
    """Its parameter validator has a bug: the API must answer a bare 500, not a trace."""

    family = "api"
    reserved_cpu = 16
    reserved_memory = 16

    class Parameters(pydantic.BaseModel):
        value: int = 0

        @pydantic.field_validator("value")
        @classmethod
        def explode(cls, value: int) -> int:
            raise RuntimeError("secret internal detail /etc/iguazu")

    def run(self, parameters: Parameters) -> None:
        pass
