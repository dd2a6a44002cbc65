"""LinkedIn sequences: pure logic, no Dagster, no database and no HTTP.

A campaign sends one connection invitation, then messages once the invitation is accepted, each
a number of working days after the previous step, only within the campaign's working hours in
its own timezone and within the sending account's daily limits. A job calls :func:`plan` every
few minutes and sends what is due through Unipile.

- :mod:`.calendar` is the working calendar: workdays, holidays, hours, DST-safe day arithmetic.
- :mod:`.personalize` renders ``{{ name }}`` templates and refuses to send a broken message.
- :mod:`.campaign` loads and validates accounts and campaigns (YAML, or dicts stored as JSON).
- :mod:`.engine` decides, for a lead and the clock, what is due now.
"""

from __future__ import annotations

from outbound_pipeline.linkedin.calendar import CampaignError, WorkingCalendar
from outbound_pipeline.linkedin.campaign import (
    Account,
    Campaign,
    CampaignsFile,
    Step,
    account_from_dict,
    account_to_dict,
    campaign_from_dict,
    campaign_to_dict,
    load_campaigns,
)
from outbound_pipeline.linkedin.engine import (
    CONNECTED,
    FAILED,
    FINISHED,
    INVITED,
    MESSAGING,
    PENDING,
    REPLIED,
    Due,
    LeadState,
    Limits,
    Plan,
    SequenceStatus,
    Stop,
    Usage,
    Wait,
    is_terminal,
    next_action,
    plan,
)
from outbound_pipeline.linkedin.personalize import (
    MissingVariableError,
    TemplateError,
    render,
    variables_in,
)

__all__ = [
    "CONNECTED",
    "FAILED",
    "FINISHED",
    "INVITED",
    "MESSAGING",
    "PENDING",
    "REPLIED",
    "Account",
    "Campaign",
    "CampaignError",
    "CampaignsFile",
    "Due",
    "LeadState",
    "Limits",
    "MissingVariableError",
    "Plan",
    "SequenceStatus",
    "Stop",
    "Step",
    "TemplateError",
    "Usage",
    "Wait",
    "WorkingCalendar",
    "account_from_dict",
    "account_to_dict",
    "campaign_from_dict",
    "campaign_to_dict",
    "is_terminal",
    "load_campaigns",
    "next_action",
    "plan",
    "render",
    "variables_in",
]
