"""GitHub Actions workflow commands and step outputs, as pure functions that return text.

Nothing here prints or writes files; `bot.actions.main` does. Escaping follows `@actions/core`
(the runner undoes exactly these escapes), outputs use the multiline ``name<<DELIMITER`` form
of `$GITHUB_OUTPUT` with a random delimiter.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping


def escape_data(text: str) -> str:
    """Escape a workflow command's message (after the last ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``file=...,line=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """``::name k=v,k=v::message``, escaped; properties that are None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def add_mask(secret: str) -> str:
    return command("add-mask", secret)


def group(title: str) -> str:
    return command("group", title)


def endgroup() -> str:
    return command("endgroup")


def warning(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    return command("warning", message, file=file, line=line, title=title)


def format_output(name: str, value: str, delimiter: str | None = None) -> str:
    """One `$GITHUB_OUTPUT` entry in the multiline form, safe for any value."""
    delimiter = delimiter or f"ghadelimiter_{uuid.uuid4()}"
    if not re.fullmatch(r"[A-Za-z_][\w-]*", name):
        raise ValueError(f"not a valid output name: {name!r}")
    if delimiter in value:
        raise ValueError(f"output {name!r} contains its delimiter")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def format_outputs(outputs: Mapping[str, str]) -> str:
    return "".join(format_output(name, value) for name, value in outputs.items())


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (the runner's own spelling)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
