"""The one exception tree: user mistakes (exit 2) and internal failures (exit 1)."""

from __future__ import annotations

from dataclasses import dataclass


class NightcrewError(Exception):
    """Base of every error Nightcrew raises on purpose."""


@dataclass
class UserError(NightcrewError):
    """Bad input: config, recipe, arguments, repository. Exit status 2, no traceback.

    Rendered as ``file:line: field: message`` with whatever parts are known.
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


@dataclass
class CommandError(NightcrewError):
    """An external command failed where it must not; carries what ran and what it said."""

    cmd: tuple[str, ...]
    returncode: int
    output: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        tail = self.output.strip().splitlines()[-5:]
        return f"`{' '.join(self.cmd)}` exited {self.returncode}" + (
            ":\n  " + "\n  ".join(tail) if tail else ""
        )
