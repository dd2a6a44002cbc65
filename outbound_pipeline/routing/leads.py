"""Leads as they arrive: an intake payload (``/ingest/leads``, the Clay webhook) or a CSV file.

A payload's fields have aliases (``company`` or ``company_name``, ``lead_score`` or ``score``,
``organization``, ``org_id`` or ``orgId``, ``linkedin_url`` or ``linkedin_profile``, ``phone`` or
``phone_number``, ``id`` or ``external_id``); when a lead carries two of them, the first one
listed that has a value wins. Every other scalar field is kept in ``custom_fields`` as text, so
nothing a sender adds is lost. Only what makes a lead unusable is refused here (no address, a
score that is not a number); judging the address is the health gate's job.

A CSV import is all or nothing: every bad row is reported with its line number, and no lead is
returned while any row is bad.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

SOURCES = ("api", "clay", "csv")
DEFAULT_ORGANIZATION = "default"

# Field of IntakeLead -> the payload keys it is read from, the preferred one first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "company": ("company", "company_name"),
    "title": ("title",),
    "persona": ("persona",),
    "score": ("lead_score", "score"),
    "organization": ("organization", "org_id", "orgId"),
    "phone": ("phone", "phone_number"),
    "website": ("website",),
    "linkedin_url": ("linkedin_url", "linkedin_profile"),
    "external_id": ("id", "external_id"),
}
_TEXT_FIELDS = ("first_name", "last_name", "company", "title", "persona", "phone", "website",
                "linkedin_url", "external_id")
_KNOWN_KEYS = frozenset(key for keys in _ALIASES.values() for key in keys) | {"custom_fields"}
# A CSV column name, normalized (lower case, spaces and hyphens as underscores) -> payload key.
_COLUMN_KEYS = {key.lower(): key for key in _KNOWN_KEYS if key != "custom_fields"}


class LeadInputError(ValueError):
    """A lead (or a CSV file of leads) that cannot be read; ``problems`` lists each problem,
    naming the field (and in a CSV the line)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


@dataclass(frozen=True)
class IntakeLead:
    """One lead as the routing sees it; the address is stripped and lower-cased."""

    email: str
    _: KW_ONLY
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    persona: str | None = None
    score: float | None = None
    organization: str = DEFAULT_ORGANIZATION
    source: str = "api"
    phone: str | None = None
    website: str | None = None
    linkedin_url: str | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", str(self.email).strip().lower())
        organization = str(self.organization or "").strip()
        object.__setattr__(self, "organization", organization or DEFAULT_ORGANIZATION)
        if self.source not in SOURCES:
            raise LeadInputError(
                f"source must be one of {', '.join(SOURCES)}, got {self.source!r}")


def lead_from_payload(
    payload: Mapping[str, Any], source: str, organization: str | None = None
) -> IntakeLead:
    """The lead of one intake payload.

    ``organization``, when given (the organization the endpoint or file belongs to), wins over
    the payload's own; without either the lead belongs to ``default``. Raises
    :class:`LeadInputError` naming every field that is wrong: a missing or empty email, a score
    that is not a number, a text field holding a list or an object.
    """
    if not isinstance(payload, Mapping):
        raise LeadInputError(f"expected a lead object, got {type(payload).__name__}")
    if source not in SOURCES:
        raise LeadInputError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    problems: list[str] = []

    address = payload.get("email")
    if address is None:
        problems.append("email is missing")
    elif not isinstance(address, str):
        problems.append(f"email must be text, got {address!r}")
    elif not address.strip():
        problems.append("email is empty")

    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        key, value = _aliased(payload, name)
        try:
            values[name] = _text(value)
        except ValueError:
            problems.append(f"{key} must be text, got {value!r}")

    key, value = _aliased(payload, "score")
    try:
        score = _score(value)
    except ValueError:
        problems.append(f"{key} is not a number: {value!r}")
        score = None

    key, value = _aliased(payload, "organization")
    try:
        payload_organization = _text(value)
    except ValueError:
        problems.append(f"{key} must be text, got {value!r}")
        payload_organization = None

    if problems:
        raise LeadInputError("; ".join(problems), problems)
    return IntakeLead(
        str(address),
        **values,
        score=score,
        organization=_text(organization) or payload_organization or DEFAULT_ORGANIZATION,
        source=source,
        custom_fields=_custom_fields(payload),
    )


def leads_from_csv(
    text: str, source: str = "csv", organization: str | None = None
) -> list[IntakeLead]:
    """The leads of a CSV file (comma-separated, header row first).

    Column names are case-insensitive (``First Name`` reads as ``first_name``) and take the
    payload aliases; other columns become custom fields, empty cells are left out, blank lines
    are skipped. Raises :class:`LeadInputError` listing every bad row by its line number, and
    returns nothing while any row is bad; a file without an email column is refused naming
    the columns it has.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows = _numbered_rows(reader)
    try:
        _, header = next(rows)
    except StopIteration:
        raise LeadInputError("the CSV is empty: a header row is required") from None
    columns = [name.strip() for name in header]
    keys = [_column_key(name) for name in columns]
    while keys and keys[-1] is None:  # a trailing comma in the header
        keys.pop()
    named = [key for key in keys if key is not None]
    duplicates = sorted({key for key in named if named.count(key) > 1})
    if duplicates:
        raise LeadInputError(f"duplicate columns: {', '.join(duplicates)}")
    if "email" not in named:
        found = ", ".join(name for name in columns if name) or "none"
        raise LeadInputError(f"the CSV has no email column; columns found: {found}")

    leads: list[IntakeLead] = []
    problems: list[str] = []
    for line, row in rows:
        if len(row) < len(keys) or any(cell.strip() for cell in row[len(keys):]):
            problems.append(f"line {line}: {len(row)} values, the header has {len(keys)} columns")
            continue
        payload = {key: cell for key, cell in zip(keys, row, strict=False) if key is not None}
        try:
            leads.append(lead_from_payload(payload, source, organization))
        except LeadInputError as exc:
            problems.extend(f"line {line}: {problem}" for problem in exc.problems)
    if problems:
        count = len({problem.split(":", 1)[0] for problem in problems})
        rows_text = "1 bad row" if count == 1 else f"{count} bad rows"
        raise LeadInputError(
            f"{rows_text}, nothing imported:\n" + "\n".join(problems), problems)
    return leads


def to_smartlead(lead: IntakeLead) -> dict[str, Any]:
    """The lead as an item of ``lead_list`` in Smartlead's ``POST /campaigns/{id}/leads``.

    Fields without a value are left out (Smartlead needs only ``email``); title, persona and
    score travel in ``custom_fields`` next to the lead's own custom fields.
    """
    item: dict[str, Any] = {"email": lead.email}
    for key, value in (
        ("first_name", lead.first_name),
        ("last_name", lead.last_name),
        ("company_name", lead.company),
        ("phone_number", lead.phone),
        ("website", lead.website),
        ("linkedin_profile", lead.linkedin_url),
    ):
        if value:
            item[key] = value
    custom = dict(lead.custom_fields)
    if lead.title:
        custom["title"] = lead.title
    if lead.persona:
        custom["persona"] = lead.persona
    if lead.score is not None:
        custom["score"] = _number_text(lead.score)
    item["custom_fields"] = custom
    return item


def _aliased(payload: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """The first of the field's keys that has a value, and the value (or the preferred key and
    None)."""
    keys = _ALIASES[name]
    for key in keys:
        value = payload.get(key)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return key, value
    return keys[0], None


def _text(value: Any) -> str | None:
    """A stripped text value, or None when empty; numbers become text, anything else is a
    ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(value)
    return (_number_text(value) if isinstance(value, int | float) else value.strip()) or None


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(value)
    score = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(score):
        raise ValueError(value)
    return score


def _number_text(value: float) -> str:
    """``85.0`` -> ``"85"``, ``72.5`` -> ``"72.5"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return _text(value)
    return None


def _custom_fields(payload: Mapping[str, Any]) -> dict[str, str]:
    """The payload's other scalar fields (and those of a nested ``custom_fields`` object) as
    text; empty values, lists and objects are left out."""
    custom: dict[str, str] = {}
    nested = payload.get("custom_fields")
    sources = [nested] if isinstance(nested, Mapping) else []
    sources.append({k: v for k, v in payload.items() if k not in _KNOWN_KEYS})
    for fields in sources:
        for key, value in fields.items():
            text = _scalar_text(value)
            if text is not None:
                custom[str(key)] = text
    return custom


def _column_key(name: str) -> str | None:
    """The payload key of a CSV column: its alias when it names one, else the name itself (a
    custom field); None for a column without a name."""
    if not name:
        return None
    normal = re.sub(r"[\s\-]+", "_", name.lower())
    return _COLUMN_KEYS.get(normal, name)


def _numbered_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of a CSV reader with the line each starts on (1-based; a quoted
    value may span lines)."""
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise LeadInputError(f"line {reader.line_num}: {exc}") from None
        if any(cell.strip() for cell in row):
            yield line, row
        line = reader.line_num + 1
