"""Personalization of LinkedIn notes and messages: ``{{ name }}`` placeholders.

A template is text with placeholders ``{{ first_name }}`` (spaces inside the braces optional).
Names are letters, digits and underscores, not starting with a digit, and are looked up
case-insensitively (``{{ First_Name }}`` reads the variable ``first_name``). A placeholder may
carry a fallback, ``{{ company | your team }}``, used when the variable is missing or blank.

Rendering never sends a broken message: a variable that is missing or blank and has no fallback
raises :class:`MissingVariableError` instead of producing "Hi ," or "Hi {{first_name}}". Values
are turned into text and stripped of surrounding whitespace. There is no escape for a literal
``{{``; a lone ``{`` or ``}`` is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_OPEN = "{{"
_CLOSE = "}}"
_NAME = re.compile(r"[a-z_][a-z0-9_]*", re.IGNORECASE)


class TemplateError(ValueError):
    """A template that cannot be rendered; ``position`` is the index in the template of the
    faulty placeholder (None when the problem is not about one place)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class MissingVariableError(TemplateError):
    """A placeholder without fallback whose variable is missing or blank. ``variable`` names
    it; ``available`` lists the variables that do have a value."""

    def __init__(self, variable: str, available: Iterable[str], position: int | None = None
                 ) -> None:
        self.variable = variable
        self.available: tuple[str, ...] = tuple(sorted(available))
        shown = ", ".join(self.available) or "none"
        super().__init__(
            f"the template needs {{{{ {variable} }}}} but the variable {variable!r} is missing "
            f"or blank (variables with a value: {shown})", position)


@dataclass(frozen=True)
class _Placeholder:
    name: str
    fallback: str | None
    position: int


def render(template: str, variables: Mapping[str, object]) -> str:
    """The template with every placeholder replaced by its variable's value (as text,
    stripped), or by its fallback when the value is missing or blank.

    Raises :class:`MissingVariableError` for the first placeholder that has neither, and
    :class:`TemplateError` for a template that is not valid (see :func:`check`)."""
    values = _values(variables)
    pieces: list[str] = []
    for part in _parse(template):
        if isinstance(part, str):
            pieces.append(part)
        elif values.get(part.name):
            pieces.append(values[part.name])
        elif part.fallback is not None:
            pieces.append(part.fallback)
        else:
            available = [name for name, value in values.items() if value]
            raise MissingVariableError(part.name, available, part.position)
    return "".join(pieces)


def variables_in(template: str) -> set[str]:
    """The (lower-cased) names a lead must have a value for: the placeholders without a
    fallback."""
    return {part.name for part in _placeholders(template) if part.fallback is None}


def check(template: str) -> None:
    """Raise :class:`TemplateError` (with the position) when the template is not valid: a
    ``{{`` never closed, a ``}}`` never opened, an invalid name or an empty fallback."""
    _parse(template)


def minimum_length(template: str) -> int:
    """The fewest characters a rendering of the template can have: its literal text plus one
    character per placeholder (a value or fallback is never blank). A template without
    placeholders renders to exactly this length."""
    parts = _parse(template)
    return sum(len(part) if isinstance(part, str) else 1 for part in parts)


def _placeholders(template: str) -> list[_Placeholder]:
    return [part for part in _parse(template) if isinstance(part, _Placeholder)]


def _parse(template: str) -> list[str | _Placeholder]:
    """The template as literal text and placeholders, in order."""
    if not isinstance(template, str):
        raise TemplateError(f"a template must be text, got {type(template).__name__}")
    parts: list[str | _Placeholder] = []
    position = 0
    while True:
        opening = template.find(_OPEN, position)
        closing = template.find(_CLOSE, position)
        if closing != -1 and (opening == -1 or closing < opening):
            raise TemplateError(f"'}}}}' at position {closing} has no matching '{{{{'", closing)
        if opening == -1:
            parts.append(template[position:])
            break
        end = template.find(_CLOSE, opening + len(_OPEN))
        nested = template.find(_OPEN, opening + len(_OPEN))
        if end == -1 or (nested != -1 and nested < end):
            raise TemplateError(f"'{{{{' at position {opening} is never closed with '}}}}'",
                                opening)
        parts.append(template[position:opening])
        parts.append(_placeholder(template[opening + len(_OPEN):end], opening))
        position = end + len(_CLOSE)
    return [part for part in parts if part != ""]


def _placeholder(inside: str, position: int) -> _Placeholder:
    """The placeholder written ``{{inside}}`` at ``position``."""
    name, bar, fallback = inside.partition("|")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise TemplateError(
            f"invalid variable name {name!r} at position {position}: use letters, digits and "
            "underscores, not starting with a digit", position)
    if bar and not fallback.strip():
        raise TemplateError(
            f"the fallback of {{{{ {name} }}}} at position {position} is empty; drop the '|' "
            "or write a fallback text", position)
    return _Placeholder(name.lower(), fallback.strip() if bar else None, position)


def _values(variables: Mapping[str, object]) -> dict[str, str]:
    """The variables by lower-cased name, as stripped text ("" for None). When two names differ
    only in case, the lower-case one wins, else the first."""
    values: dict[str, str] = {}
    for key, value in variables.items():
        name = str(key).lower()
        if name in values and key != name:
            continue
        values[name] = "" if value is None else str(value).strip()
    return values
