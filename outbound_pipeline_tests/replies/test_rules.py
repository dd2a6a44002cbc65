"""Each rule on its own: what fires it in four languages, what must not, and the facts it
extracts (return dates, referred people)."""

from __future__ import annotations

from datetime import date

import pytest

from outbound_pipeline.replies.cleaning import clean_reply
from outbound_pipeline.replies.rules import apply_rules, referred_person, return_date

RECEIVED = date(2026, 3, 10)  # a Tuesday


def rule_of(text: str, subject: str | None = None):
    cleaned = clean_reply(text)
    return apply_rules(cleaned.text, subject, RECEIVED)


@pytest.mark.parametrize("text,subject", [
    ("Delivery Status Notification (Failure)\n\nAddress not found. 550 5.1.1 The email "
     "account that you tried to reach does not exist.", None),
    ("This is the mail system at host mx.example.com. I'm sorry to have to inform you that "
     "your message could not be delivered.", "Undelivered Mail Returned to Sender"),
    ("Ihre Nachricht konnte nicht zugestellt werden. Unzustellbar: Empfänger unbekannt.", None),
    ("Votre message n'a pas pu être remis. Non remis : adresse inconnue.", None),
    ("No se puede entregar el mensaje. Error en la entrega: 550 5.1.1 usuario desconocido.",
     None),
])
def test_bounce_notices_are_neutral_and_flagged(text, subject):
    match = rule_of(text, subject)
    assert (match.rule, match.category, match.is_bounce, match.is_auto_reply) == (
        "bounce_notice", "neutral", True, True)


@pytest.mark.parametrize("text", [
    "Please remove me from your list.",
    "STOP",
    "unsubscribe",
    "Don't email me again.",
    "Under GDPR, delete my data and confirm.",
    "Bitte nehmen Sie mich aus Ihrem Verteiler.",
    "Ich möchte Sie bitten, mich künftig nicht mehr anzuschreiben.",
    "Merci de me désinscrire de vos envois.",
    "Je vous prie d'effacer mes coordonnées de votre base.",
    "Por favor, darme de baja de esta lista.",
    "Quiten mi correo de su lista, no me vuelvan a escribir.",
])
def test_unsubscribe_requests(text):
    match = rule_of(text)
    assert (match.rule, match.category) == ("unsubscribe", "unsubscribe")


def test_unsubscribe_words_in_the_quoted_email_do_not_count():
    text = ("Sounds good, send the deck.\n\nOn Tue, Mar 3, 2026 at 10:14 AM Tom <t@x.io> wrote:"
            "\n> Not interested? Reply STOP to unsubscribe.")
    assert rule_of(text) is None


@pytest.mark.parametrize("text,back", [
    ("Out of office. Back on 2nd June, limited access to mails till then.", date(2026, 6, 2)),
    ("Automatic reply: I am out of the office until Friday 13 March with no access to email. "
     "For urgent matters contact sales@acme.io.", date(2026, 3, 16)),
    ("Ich bin bis zum 20.03.2026 nicht im Büro. In dringenden Fällen wenden Sie sich an "
     "Frau Weber.", date(2026, 3, 23)),
    ("Réponse automatique : je suis absente du bureau, de retour le 16 mars.",
     date(2026, 3, 16)),
    ("Respuesta automática: estoy fuera de la oficina hasta el 3 de abril.",
     date(2026, 4, 6)),
    ("Thank you for your email. I am on parental leave and will reply upon my return.", None),
])
def test_out_of_office_with_the_return_date_when_stated(text, back):
    match = rule_of(text)
    assert (match.rule, match.category, match.is_auto_reply) == (
        "out_of_office", "out_of_office", True)
    assert match.return_date == back


def test_an_auto_reply_subject_alone_is_enough():
    assert rule_of("Thanks for your message.", "Automatic reply: Quick question").category == \
        "out_of_office"


@pytest.mark.parametrize("text", [
    "I'm off on parental leave from next week, can we pick this up in the new year?",
    "Je pars en congé maternité dans deux semaines. Recontactez-moi en octobre.",
])
def test_a_person_planning_time_away_is_left_to_the_model(text):
    assert rule_of(text) is None


def test_return_dates_without_a_year_roll_over_to_the_next_one():
    assert return_date("Back on 5 January.", date(2026, 12, 20)) == date(2027, 1, 5)
    assert return_date("Back on 5 January.", date(2026, 1, 2)) == date(2026, 1, 5)
    assert return_date("I'm away for a while.", RECEIVED) is None


@pytest.mark.parametrize("text,name,email", [
    ("I left Acme in May. Please contact Maria Lopez (maria.lopez@acme.io) instead.",
     "Maria Lopez", "maria.lopez@acme.io"),
    ("Aaron Fisher has left Greenway Energy. Please direct all correspondence to Kate Morgan "
     "at kate.morgan@greenway.com.", "Kate Morgan", "kate.morgan@greenway.com"),
    ("Herr Braun ist nicht mehr bei uns. Wenden Sie sich bitte an Jana Novak.",
     "Jana Novak", None),
    ("Ya no trabajo en la empresa, escribe a compras@tienda.mx.", None, "compras@tienda.mx"),
])
def test_left_company_is_a_referral_with_the_person_to_contact(text, name, email):
    match = rule_of(text)
    assert (match.rule, match.category) == ("left_company", "referral")
    assert (match.referred_name, match.referred_email) == (name, email)


@pytest.mark.parametrize("text", [
    "I'm not the right person for this, try our Head of IT, Sven Olsen.",
    "Ich bin dafür nicht zuständig.",
    "Je ne suis pas la bonne personne pour ce sujet.",
    "No soy la persona adecuada, lo siento.",
])
def test_wrong_person_is_a_referral(text):
    match = rule_of(text)
    assert (match.rule, match.category) == ("wrong_person", "referral")


def test_the_writers_own_address_is_not_the_referred_one():
    name, email = referred_person("Mail me at me@x.io or ask Ana Ruiz at ana@x.io",
                                  own_email="me@x.io")
    assert email == "ana@x.io"


@pytest.mark.parametrize("text", [
    "Sounds interesting, can you send the deck?",
    "Let's talk Tuesday at 3pm.",
    "Not interested, thanks.",
    "What does it cost?",
    "Maybe next quarter.",
])
def test_ordinary_replies_go_to_the_model(text):
    assert rule_of(text) is None
