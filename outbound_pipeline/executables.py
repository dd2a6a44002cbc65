"""The programs the project starts (``dbt``, ``dagster``), found in its own Python environment.

A virtualenv's scripts sit beside its interpreter (``.venv/bin/python`` → ``.venv/bin/dbt``),
so ``.venv/bin/outbound dev`` works whether or not the virtualenv is on ``PATH``. ``PATH`` is
only the fallback, for an interpreter installed without its scripts beside it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


class ExecutableNotFoundError(FileNotFoundError):
    """A program the project starts is neither in its Python environment nor on ``PATH``."""


def environment_executable(name: str) -> str:
    """The path of the ``name`` script installed in this Python environment (beside
    ``sys.executable``), else the one ``PATH`` finds; raises :class:`ExecutableNotFoundError`
    naming both places looked at."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise ExecutableNotFoundError(
        f"the {name!r} executable was not found: looked for {beside} (beside this Python, "
        f"{sys.executable}) and on PATH ({os.environ.get('PATH', '')!r}). Create the project's "
        "environment with `make env` and run the project from it (.venv/bin/...).")


def dbt_executable() -> str:
    """The ``dbt`` the project runs (models, the dev-time manifest, ``outbound docs``)."""
    return environment_executable("dbt")
