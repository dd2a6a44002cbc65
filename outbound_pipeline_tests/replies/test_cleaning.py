"""Cleaning: HTML, quoted history in four languages and two clients, signatures, footers."""

from __future__ import annotations

import hashlib

import pytest

from outbound_pipeline.replies.cleaning import body_hash, clean_reply

QUOTED = [
    # Gmail, English
    "Yes, send it over.\n\nOn Tue, Mar 3, 2026 at 10:14 AM Tom Reed <tom@reachly.io> wrote:\n"
    "> Hi Anna,\n> interested in a quick call? Reply STOP to opt out.",
    # German client
    "Yes, send it over.\n\nAm 03.03.2026 um 10:14 schrieb Tom Reed <tom@reachly.io>:\n"
    "> Hallo, Interesse an einem Termin?",
    # French client
    "Yes, send it over.\n\nLe mar. 3 mars 2026 à 10:14, Tom Reed <tom@reachly.io> a écrit :\n"
    "> Bonjour, un rendez-vous ?",
    # Spanish client
    "Yes, send it over.\n\nEl mar, 3 mar 2026 a las 10:14, Tom Reed (<tom@reachly.io>) "
    "escribió:\n> Hola, ¿una llamada?",
    # Outlook header block (Spanish labels)
    "Yes, send it over.\n\n________________________________\nDe: Tom Reed <tom@reachly.io>\n"
    "Enviado: martes, 3 de marzo de 2026 10:14\nPara: Ana\nAsunto: una llamada\n\nHola Ana",
    # Outlook, English, original message marker
    "Yes, send it over.\n\n-----Original Message-----\nFrom: Tom Reed\nSent: Tuesday\n"
    "Subject: quick call\n\nAre you interested?",
]


@pytest.mark.parametrize("body", QUOTED)
def test_quoted_history_is_removed_in_every_client_format(body):
    cleaned = clean_reply(body)
    assert cleaned.text == "Yes, send it over."
    assert cleaned.removed_quote
    assert cleaned.original == body


def test_gmail_html_keeps_the_writers_words_and_drops_the_quote_container():
    body = ('<div dir="ltr">Hi Tom,<br>Thursday works.<br><br>Best,<br>Jo</div><br>'
            '<div class="gmail_quote"><div class="gmail_attr">On Mon, Tom wrote:</div>'
            '<blockquote class="gmail_quote">Would a 15 minute call work?</blockquote></div>')
    cleaned = clean_reply(body)
    assert cleaned.text == "Hi Tom,\nThursday works."
    assert cleaned.was_html and cleaned.removed_quote and cleaned.removed_signature


def test_outlook_html_drops_everything_from_the_reply_header_block():
    body = ('<p>Nein danke.</p><hr style="display:inline-block;width:98%">'
            '<div id="divRplyFwdMsg">Von: Tom<br>Gesendet: Montag</div><div>Interesse?</div>')
    assert clean_reply(body).text == "Nein danke."


def test_entities_styles_and_invisible_characters_go():
    body = ("<html><head><style>p {color: red}</style></head><body><p>Caf&eacute;&nbsp;ok"
            "\u200b &amp; thanks</p></body></html>")
    assert clean_reply(body).text == "Café ok & thanks"


@pytest.mark.parametrize("signature", [
    "Best regards,\nAnna Weber\nHead of Ops | Acme GmbH\n+49 30 1234",
    "Mit freundlichen Grüßen\nJonas Müller\nEinkauf",
    "Freundliche Grüsse\n\nMarco Gisler\nLeiter Einkauf",
    "Cordialement,\nPauline Roche",
    "Un saludo,\nAna",
    "-- \nJohn Doe\nCTO",
    "Sent from my iPhone",
    "Von meinem iPhone gesendet",
    "Envoyé de mon iPhone",
    "Enviado desde mi iPhone",
])
def test_signatures_and_mobile_lines_are_removed(signature):
    cleaned = clean_reply(f"Not interested, thanks.\n\n{signature}")
    assert cleaned.text == "Not interested, thanks."
    assert cleaned.removed_signature


@pytest.mark.parametrize("footer", [
    "This email and any attachments are confidential and intended solely for the addressee. "
    "If you have received it in error, please notify the sender and delete it.",
    "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Empfänger "
    "sind, informieren Sie bitte den Absender und löschen Sie diese E-Mail.",
    "Ce message est confidentiel. Si vous n'en êtes pas le destinataire, merci de le "
    "supprimer.",
    "Please consider the environment before printing this email.",
])
def test_legal_footers_are_removed(footer):
    cleaned = clean_reply(f"Please call me tomorrow.\n\n{footer}")
    assert cleaned.text == "Please call me tomorrow."
    assert cleaned.removed_footer


def test_words_that_only_look_legal_stay():
    text = "Our pricing is confidential, but we are interested. Can you send the deck?"
    assert clean_reply(text).text == text


def test_a_reply_that_is_all_quote_or_empty_cleans_to_what_is_left():
    assert clean_reply(None).text == ""
    assert clean_reply("").text == ""
    assert clean_reply("   \n ").text == ""
    assert clean_reply("stop").text == "stop"


def test_body_hash_is_the_sha256_of_the_cleaned_text_so_quotes_do_not_change_it():
    a = clean_reply(QUOTED[0])
    b = clean_reply(QUOTED[1])
    assert a.body_hash == b.body_hash == body_hash("Yes, send it over.")
    assert a.body_hash == hashlib.sha256(b"Yes, send it over.").hexdigest()
