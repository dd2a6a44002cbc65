"""Webhook payloads in every shape platform-apis.md documents, for the tests."""

from __future__ import annotations

from typing import Any

SMARTLEAD_COMMON: dict[str, Any] = {
    "webhook_id": 91, "webhook_name": "all events", "sl_email_lead_id": 5001,
    "sl_email_lead_map_id": 7001, "from_email": "sam@sender.io", "to_email": "Lead@Acme.com",
    "to_name": "Lea Lead", "subject": "Quick question", "campaign_id": 301,
    "campaign_name": "Q4 outbound", "campaign_status": "ACTIVE", "sequence_number": 2,
    "client_id": None, "app_url": "https://app.smartlead.ai/app/master-inbox",
    "description": "", "metadata": {"webhook_created_at": "2026-01-05T10:00:00.000Z"},
}
SENT_MESSAGE = {"message_id": "<s-1@sender.io>", "html": "<p>Hi Lea</p>", "text": "Hi Lea",
                "time": "2026-03-02T09:15:00.123456+00:00"}


def smartlead(event_type: str, stats_id: str = "st-1", deprecated: bool = False,
              **extra: Any) -> dict[str, Any]:
    """One Smartlead event; ``deprecated`` uses only the deprecated time (and reply) fields."""
    body = {**SMARTLEAD_COMMON, "event_type": event_type, "stats_id": stats_id,
            "sent_message": SENT_MESSAGE}
    moment = {"EMAIL_SENT": "2026-03-02T09:15:00.123456+00:00",
              "EMAIL_OPEN": "2026-03-02T10:00:00.000001+00:00",
              "EMAIL_LINK_CLICK": "2026-03-02T10:05:00+00:00",
              "EMAIL_REPLY": "2026-03-02T11:30:00.5+00:00",
              "EMAIL_BOUNCE": "2026-03-02T09:16:00+00:00",
              "LEAD_UNSUBSCRIBED": "2026-03-02T12:00:00+00:00",
              "LEAD_CATEGORY_UPDATED": "2026-03-02T12:30:00+00:00"}[event_type]
    deprecated_time = {"EMAIL_SENT": "time_sent", "EMAIL_OPEN": "time_opened",
                       "EMAIL_LINK_CLICK": "time_clicked", "EMAIL_REPLY": "time_replied"}
    if deprecated and event_type in deprecated_time:
        body[deprecated_time[event_type]] = moment
    else:
        body["event_timestamp"] = moment
        if event_type in deprecated_time:
            body[deprecated_time[event_type]] = moment
    if event_type == "EMAIL_LINK_CLICK":
        body["link_details"] = [{"url": "https://acme.example/pricing", "clicks": 1}]
    if event_type == "EMAIL_REPLY":
        body["sl_lead_email"] = "lead@acme.com"
        body["stats_thread_id"] = "thread-9"
        if deprecated:
            body.update(reply_body="<div>Sounds good, call me Tuesday</div>",
                        preview_text="Sounds good, call me Tuesday",
                        message_id="<r-1@acme.com>")
        else:
            body["reply_message"] = {"message_id": "<r-1@acme.com>",
                                     "html": "<div>Sounds good, call me Tuesday</div>",
                                     "text": "Sounds good, call me Tuesday", "time": moment}
    if event_type == "EMAIL_BOUNCE":
        body.update(is_bounced=True, bounce_message={"reason": "550 mailbox unavailable"})
    if event_type == "LEAD_CATEGORY_UPDATED":
        body.update(lead_id=5001,
                    lead_category={"old_id": None, "old_name": None, "new_id": 1,
                                   "new_name": "Interested"},
                    lead_data={"email": "lead@acme.com", "first_name": "Lea"},
                    history=[])
    body.update(extra)
    return body


def replyio(event_type: str = "email_replied", dotted: bool = False) -> dict[str, Any]:
    if dotted:  # seed 002's older names
        event_type = {"email_replied": "email.replied", "email_sent": "email.sent"}[event_type]
    return {
        "event": {"date": "2026-03-02T11:30:00Z", "id": "3f1c2a9e-0000-4000-8000-00000000a001",
                  "type": event_type, "user_id": 11, "team_id": 12, "subscription_id": 13},
        "contact_fields": {"id": 88, "email": "Pat@Globex.com", "first_name": "Pat"},
        "sequence_fields": {"id": 4021, "name": "Globex CFOs", "step_number": 1},
        "reply_reason": "Interested",
        "email_fields": {"subject": "Re: numbers", "text": "Yes, send details"},
    }


def lemlist(event_type: str = "emailsReplied") -> dict[str, Any]:
    return {
        "_id": "act_abc123", "type": event_type, "createdAt": "2026-03-02T11:30:00.000Z",
        "isFirst": True, "leadId": "lea_77", "campaignId": "cam_55", "sequenceId": "seq_1",
        "sequenceStep": 0, "totalSequenceStep": 3, "campaignName": "Initech",
        "sendUserEmail": "ann@sender.io", "leadFirstName": "Bo", "leadLastName": "Li",
        "leadEmail": "bo@initech.com", "leadCompanyName": "Initech", "emailId": "em_9",
        "emailTemplateId": "tpl_1", "emailTemplateName": "first", "messageId": "<l-1@x>",
        "sequenceTested": False, "text": "Not now, ping me in Q3",
    }


def unipile_message(wrapped: bool = False) -> dict[str, Any]:
    body = {
        "account_id": "acc_1", "account_type": "LINKEDIN", "event": "message_received",
        "chat_id": "chat_9", "timestamp": "2026-03-02T11:30:00.000Z", "webhook_name": "msgs",
        "message_id": "msg_42", "message": "Happy to chat next week",
        "sender": {"attendee_id": "att_1", "attendee_name": "Kim Ko",
                   "attendee_provider_id": "ACoAAB123", "attendee_profile_url": "https://x"},
        "attendees": [],
    }
    return {"data": body} if wrapped else body


def unipile_relation() -> dict[str, Any]:
    return {"event": "new_relation", "account_id": "acc_1", "user_full_name": "Kim Ko",
            "user_provider_id": "ACoAAB123", "user_public_identifier": "kim-ko",
            "user_profile_url": "https://www.linkedin.com/in/kim-ko"}
