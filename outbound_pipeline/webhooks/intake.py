"""Lead intake payloads (``/ingest/leads`` and the Clay webhook ``/ingest/clay``).

A body is one lead object, a list of them, or ``{"leads": [...]}``. The receiver refuses a body
with any malformed lead (nothing of it is stored) and names the lead and the field. Judging the
lead itself (syntax of the address, disposable domains, duplicates, routing) is the health gate's
job downstream: a lead with a doubtful address still lands, so it can be recorded as blocked with
its reason instead of disappearing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outbound_pipeline.webhooks.events import Event, canonical_json, email, first, text

MAX_LEADS_PER_REQUEST = 1000
_NUMBER_FIELDS = ("lead_score", "score")
_TEXT_FIELDS = ("persona", "first_name", "last_name", "company", "company_name", "title",
                "source", "organization", "org_id", "linkedin_url", "phone", "website")


class IntakeError(ValueError):
    """A lead intake body that cannot be accepted; the message names the lead and field."""


def leads_of(payload: Any) -> list[Mapping[str, Any]]:
    if isinstance(payload, Mapping) and isinstance(payload.get("leads"), list):
        leads = payload["leads"]
    elif isinstance(payload, list):
        leads = payload
    elif isinstance(payload, Mapping):
        leads = [payload]
    else:
        raise IntakeError("expected a lead object, a list of leads or {\"leads\": [...]}")
    if not leads:
        raise IntakeError("no leads in the body")
    if len(leads) > MAX_LEADS_PER_REQUEST:
        raise IntakeError(f"at most {MAX_LEADS_PER_REQUEST} leads per request, got {len(leads)}")
    for index, lead in enumerate(leads):
        where = f"lead {index}" if len(leads) > 1 else "lead"
        if not isinstance(lead, Mapping):
            raise IntakeError(f"{where}: expected an object")
        address = lead.get("email")
        if not isinstance(address, str) or not address.strip():
            raise IntakeError(f"{where}: field `email` is required (a string)")
        for name in _NUMBER_FIELDS:
            value = lead.get(name)
            if value is not None and (isinstance(value, bool) or not _is_number(value)):
                raise IntakeError(f"{where}: field `{name}` must be a number, got {value!r}")
        for name in _TEXT_FIELDS:
            value = lead.get(name)
            if value is not None and not isinstance(value, str | int | float):
                raise IntakeError(f"{where}: field `{name}` must be text")
    return list(leads)


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def parse(payload: Any, source: str) -> list[tuple[Event, Mapping[str, Any]]]:
    """One ``lead_intake`` event per lead, each with its own lead object as payload;
    ``source`` is ``api`` or ``clay``."""
    events = []
    for lead in leads_of(payload):
        raw_email = str(lead["email"]).strip()
        event = Event(
            platform="intake",
            event_type="lead_intake",
            raw_event_type=source,
            lead_external_id=text(first(lead.get("id"), lead.get("external_id"))),
            # A doubtful address is kept as given so the health gate can judge it.
            lead_email=email(raw_email) or raw_email.lower(),
            identity_extra=(canonical_json(lead),),
        )
        events.append((event, lead))
    return events
