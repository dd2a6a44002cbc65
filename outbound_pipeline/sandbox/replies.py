"""Realistic reply text for the sandbox world.

A reply is assembled from a greeting, the core message for its kind, a closing, a signature,
sometimes a legal footer, and (usually) the quoted email it answers. English dominates; some
replies are German, French or Spanish. English replies sometimes carry typos, because real
inboxes do and reply classification must cope with them.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from outbound_pipeline.replies.categories import CATEGORIES

REPLY_KINDS: tuple[str, ...] = CATEGORIES
"""What a reply means; the world maps each kind to a lead category."""

KIND_WEIGHTS: tuple[float, ...] = (17, 10, 12, 9, 7, 13, 8, 18, 6)

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")

_COUNTRY_LANGUAGE = {
    "Germany": "de", "Austria": "de", "Switzerland": "de",
    "France": "fr", "Belgium": "fr",
    "Spain": "es", "Mexico": "es", "Argentina": "es",
}


@dataclass(frozen=True, slots=True)
class Person:
    """The lead who replies."""

    first_name: str
    last_name: str
    email: str
    title: str
    company: str
    phone: str


@dataclass(frozen=True, slots=True)
class SentEmail:
    """The email being answered."""

    sender_name: str
    sender_email: str
    subject: str
    text: str
    time: datetime


@dataclass(frozen=True, slots=True)
class ReplyText:
    """A composed reply: the lead's own words and the quoted email below them."""

    kind: str
    language: str
    subject: str
    own: str
    """What the lead wrote: greeting, message, signature and any legal footer."""
    quote_style: str | None
    """``"gmail"`` (attribution line, ``> `` lines), ``"outlook"`` (header block) or None."""
    quote_header: str
    quote_lines: tuple[str, ...]
    referred_name: str | None = None
    referred_email: str | None = None
    return_date: date | None = None

    @property
    def text(self) -> str:
        """The reply as plain text, quoted history included."""
        if self.quote_style == "gmail":
            quoted = "\n".join(f"> {line}" if line else ">" for line in self.quote_lines)
            return f"{self.own}\n\n{self.quote_header}\n\n{quoted}"
        if self.quote_style == "outlook":
            body = "\n".join(self.quote_lines)
            return f"{self.own}\n\n{_OUTLOOK_RULE}\n{self.quote_header}\n\n{body}"
        return self.own

    @property
    def html(self) -> str:
        """The HTML an inbox stores for this reply."""
        own = "<br>".join(html.escape(line) for line in self.own.split("\n"))
        body = f'<div dir="ltr">{own}</div>'
        quoted = "<br>".join(html.escape(line) for line in self.quote_lines)
        header = "<br>".join(html.escape(line) for line in self.quote_header.split("\n"))
        if self.quote_style == "gmail":
            body += (
                f'<br><div class="gmail_quote"><div class="gmail_attr">{header}</div>'
                '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;'
                f'border-left:1px #ccc solid;padding-left:1ex">{quoted}</blockquote></div>'
            )
        elif self.quote_style == "outlook":
            body += (
                f'<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg">{header}'
                f"</div><br><div>{quoted}</div>"
            )
        return body


_OUTLOOK_RULE = "________________________________"


def choose_kind(rng: random.Random) -> str:
    """A reply kind with realistic frequencies (objections and auto-replies are common)."""
    return rng.choices(REPLY_KINDS, KIND_WEIGHTS)[0]


def choose_language(rng: random.Random, country: str) -> str:
    """Mostly English; leads in German, French or Spanish speaking countries often answer in
    their own language (about 12% of replies overall)."""
    native = _COUNTRY_LANGUAGE.get(country)
    if native and rng.random() < 0.5:
        return native
    if rng.random() < 0.02:
        return rng.choice(LANGUAGES[1:])
    return "en"


# Words and names -------------------------------------------------------------------------------

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_WEEKDAYS_SHORT = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}
_MONTHS_SHORT_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                    "Nov", "Dec")

_COLLEAGUE_FIRST = (
    "Maria", "Daniel", "Priya", "Tom", "Sofia", "Lukas", "Hannah", "Marco", "Aisha", "Ben",
    "Claire", "Javier", "Nina", "Oliver", "Rachel", "Samir", "Elena", "Chris", "Julia", "Kenji",
)
_COLLEAGUE_LAST = (
    "Lopez", "Becker", "Nair", "Walsh", "Rossi", "Hoffmann", "Fischer", "Moreau", "Khan",
    "Sullivan", "Dubois", "Garcia", "Novak", "Brennan", "Cohen", "Haddad", "Petrova", "Ito",
)
_COLLEAGUE_TITLES = (
    "Head of Sales", "VP Revenue Operations", "Director of Marketing", "Head of Growth",
    "CFO", "COO", "IT Director", "Head of Procurement", "Sales Operations Manager",
    "Director of Demand Generation",
)
_COMPETITORS = (
    "Apollo", "ZoomInfo", "Outreach", "Salesloft", "Clearbit", "Cognism", "Lusha", "Gong",
    "Bill.com", "Tipalti", "Ramp", "KnowBe4", "Gusto", "Rippling",
)

# Core messages per kind and language ------------------------------------------------------------
# Placeholders: {sender_first} {topic} {company} {weekday} {time} {month} {return_date}
# {ref_name} {ref_first} {ref_email} {ref_title} {competitor} {seats} {my_email} {calendar}

_CORE: dict[str, dict[str, tuple[str, ...]]] = {
    "interested": {
        "en": (
            "This is timely - we've been talking about {topic} internally for a few weeks. "
            "Can you send over a bit more detail and rough pricing?",
            "Yes, interested. What does onboarding look like for a team our size?",
            "Sounds interesting. Send me some info and I'll take a look this week.",
            "We're actually evaluating options for {topic} right now, so I'd like to see how "
            "you compare.",
            "Open to learning more. Who else in our space are you working with?",
            "sure, happy to hear more",
            "Good timing, {sender_first}. What we have today isn't working and I'd like to see "
            "what you've got.",
            "I'd be open to a pilot if the numbers hold up. Do you have a case study you can "
            "share?",
            "Yes please send more info. I'll loop in my team if it looks like a fit.",
        ),
        "de": (
            "Klingt interessant. Können Sie mir ein paar weitere Informationen und eine grobe "
            "Preisübersicht schicken?",
            "Ja, das Thema {topic} ist bei uns gerade aktuell. Was wären die nächsten Schritte?",
        ),
        "fr": (
            "Ça m'intéresse. Pouvez-vous m'envoyer plus d'informations ainsi que vos tarifs ?",
            "Oui, c'est un sujet pour nous en ce moment. Quelles seraient les prochaines "
            "étapes ?",
        ),
        "es": (
            "Me interesa. ¿Me puede enviar más información y precios?",
            "Sí, es un tema que estamos viendo ahora mismo. ¿Cuáles serían los siguientes "
            "pasos?",
        ),
    },
    "meeting_request": {
        "en": (
            "Happy to chat. Does {weekday} at {time} work? Otherwise send me a link and I'll "
            "grab a slot.",
            "Let's do it - I'm free {weekday} afternoon. Send an invite to this address.",
            "Sure, 20 minutes next week works. Please include my colleague {ref_name} "
            "({ref_email}) on the invite.",
            "Can we talk {weekday} at {time}? I have a hard stop after 30 minutes.",
            "Yes - let's find 15 min. I'm pretty open Tuesday and Wednesday next week.",
            "Ok let's talk. Mornings are best for me. Here's my calendar: {calendar}",
            "I'd like to see a demo. Can you do {weekday} {time}?",
        ),
        "de": (
            "Gerne, lassen Sie uns sprechen. Passt Ihnen {weekday} um {time}?",
            "Schicken Sie mir gerne eine Einladung für nächste Woche, Dienstag oder Mittwoch "
            "geht bei mir.",
        ),
        "fr": (
            "Avec plaisir, échangeons. Êtes-vous disponible {weekday} à {time} ?",
            "D'accord pour un appel la semaine prochaine. Envoyez-moi une invitation.",
        ),
        "es": (
            "Claro, hablemos. ¿Le va bien el {weekday} a las {time}?",
            "Perfecto, envíeme una invitación para la próxima semana.",
        ),
    },
    "question": {
        "en": (
            "What does pricing look like for about {seats} users?",
            "How is this different from {competitor}? We tried them last year and it didn't "
            "stick.",
            "Do you integrate with HubSpot? That's a hard requirement for us.",
            "Is this GDPR compliant? A lot of our customers are in the EU.",
            "Where did you get my email address?",
            "Can you send a one-pager? I need to forward it to our CFO before we'd take a call.",
            "How long does implementation usually take, and who on our side needs to be "
            "involved?",
            "Quick question - is there a minimum contract length?",
        ),
        "de": (
            "Wie unterscheidet sich Ihr Angebot von {competitor}?",
            "Ist Ihre Lösung DSGVO-konform und wo werden die Daten gehostet?",
        ),
        "fr": (
            "Quelle est la différence avec {competitor} ?",
            "Vos données sont-elles hébergées en Europe ? C'est un point bloquant pour nous.",
        ),
        "es": (
            "¿En qué se diferencia de {competitor}?",
            "¿Cuánto tiempo lleva la implementación?",
        ),
    },
    "not_now": {
        "en": (
            "Not a priority this quarter. Try me again in {month}.",
            "We just signed a 12-month contract with another vendor. Reach out closer to "
            "renewal, maybe {month}.",
            "Budget is frozen until next quarter. Feel free to follow up then.",
            "Bad timing - we're in the middle of a reorg. Circle back in a few months?",
            "Maybe later this year. Not something we can look at right now.",
            "Interesting but no bandwidth at the moment. Ping me in {month}.",
        ),
        "de": (
            "Aktuell kein Thema für uns. Melden Sie sich gerne im {month} wieder.",
            "Wir haben gerade erst einen Vertrag mit einem anderen Anbieter abgeschlossen. "
            "Vielleicht nächstes Jahr.",
        ),
        "fr": (
            "Ce n'est pas la priorité pour le moment. Recontactez-moi en {month}.",
            "Nous venons de signer avec un autre prestataire, peut-être l'année prochaine.",
        ),
        "es": (
            "Ahora mismo no es prioridad. Escríbame de nuevo en {month}.",
            "Acabamos de firmar con otro proveedor. Quizás el año que viene.",
        ),
    },
    "referral": {
        "en": (
            "I'm not the right person for this. You'll want to speak with {ref_name}, our "
            "{ref_title} - {ref_email}.",
            "This would be {ref_first}'s area. I've copied them here: {ref_email}",
            "I moved to a different role last month. {ref_name} ({ref_email}) took over "
            "{topic}, best to contact them directly.",
            "Wrong person, sorry. Try {ref_name}, {ref_title}.",
            "Not me - {ref_name} handles this. {ref_email}",
        ),
        "de": (
            "Dafür bin ich nicht zuständig. Bitte wenden Sie sich an {ref_name} ({ref_email}).",
            "Das Thema liegt bei {ref_name}, {ref_title}: {ref_email}",
        ),
        "fr": (
            "Je ne suis pas la bonne personne. Contactez plutôt {ref_name} ({ref_email}).",
            "C'est {ref_name}, {ref_title}, qui gère ce sujet : {ref_email}",
        ),
        "es": (
            "No soy la persona indicada. Le sugiero contactar con {ref_name} ({ref_email}).",
            "Esto lo lleva {ref_name}, {ref_title}: {ref_email}",
        ),
    },
    "out_of_office": {
        "en": (
            "Thank you for your email. I am out of the office until {return_date} with limited "
            "access to email. For urgent matters please contact {ref_email}.",
            "I'm currently on vacation and will be back on {return_date}. I'll respond to your "
            "message when I return.",
            "Hi, I'm out on parental leave until {return_date}. Your email will not be "
            "forwarded. For anything urgent, reach out to {ref_name} at {ref_email}.",
            "I am attending a conference and will return on {return_date}. Responses will be "
            "delayed.",
            "Automatic reply: I'm away until {return_date}.",
        ),
        "de": (
            "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {return_date} nicht im "
            "Büro und habe keinen Zugriff auf meine E-Mails. In dringenden Fällen wenden Sie "
            "sich bitte an {ref_email}.",
            "Ich bin bis zum {return_date} im Urlaub. Ihre E-Mail wird nicht weitergeleitet.",
        ),
        "fr": (
            "Merci pour votre message. Je suis absent(e) jusqu'au {return_date} inclus, avec "
            "un accès limité à mes e-mails. Pour toute urgence, merci de contacter {ref_email}.",
            "Je suis en congés jusqu'au {return_date}. Je vous répondrai à mon retour.",
        ),
        "es": (
            "Gracias por su mensaje. Estaré fuera de la oficina hasta el {return_date}, con "
            "acceso limitado al correo. Para temas urgentes, contacte con {ref_email}.",
            "Estoy de vacaciones hasta el {return_date}. Responderé a mi regreso.",
        ),
    },
    "unsubscribe": {
        "en": (
            "Please remove me from your list.",
            "unsubscribe",
            "Stop emailing me.",
            "Take me off this list. This is the third email.",
            "Please remove {my_email} from all future communications.",
            "Not interested, please don't contact me again.",
            "REMOVE",
        ),
        "de": ("Bitte nehmen Sie mich aus Ihrem Verteiler.", "Bitte keine weiteren E-Mails."),
        "fr": ("Merci de me retirer de votre liste de diffusion.", "Désinscription, merci."),
        "es": ("Por favor, elimíneme de su lista.", "No me envíen más correos, gracias."),
    },
    "not_interested": {
        "en": (
            "Not interested, thanks.",
            "No thank you. We handle this in-house.",
            "We already use {competitor} and we're happy with it.",
            "Thanks but this isn't a fit for us.",
            "We're a small team, this is way more than we need.",
            "Pass.",
            "Appreciate the note but we're all set on {topic}.",
            "No thanks. We looked at a few tools like this last year and decided against it.",
        ),
        "de": (
            "Kein Interesse, danke.",
            "Danke, aber wir sind mit {competitor} zufrieden.",
        ),
        "fr": ("Pas intéressé, merci.", "Merci, mais nous avons déjà une solution en interne."),
        "es": ("No me interesa, gracias.", "Gracias, pero ya trabajamos con {competitor}."),
    },
    "neutral": {
        "en": (
            "Thanks.",
            "Got it.",
            "Received, will share with the team.",
            "Who is this?",
            "?",
            "Thanks for the note, {sender_first}. I'll keep it in mind.",
            "Forwarding to my colleague.",
        ),
        "de": ("Danke für die Info.", "Habe ich erhalten, ich gebe es intern weiter."),
        "fr": ("Merci pour l'information.", "Bien reçu."),
        "es": ("Gracias por la información.", "Recibido."),
    },
}

_GREETINGS = {
    "en": ("Hi {sender_first},", "Hey {sender_first} -", "{sender_first},", "", "Hello,",
           "Hi there,", "Thanks {sender_first}."),
    "de": ("Hallo {sender_first},", "Guten Tag,", "Hallo,"),
    "fr": ("Bonjour {sender_first},", "Bonjour,"),
    "es": ("Hola {sender_first},", "Buenos días,", "Hola,"),
}
_CLOSINGS = {
    "en": ("Thanks,", "Best,", "Cheers,", "Regards,", "Best regards,", "", "-"),
    "de": ("Viele Grüße", "Beste Grüße", "Mit freundlichen Grüßen"),
    "fr": ("Cordialement,", "Bien à vous,", "Bonne journée,"),
    "es": ("Saludos,", "Un saludo,", "Atentamente,"),
}
_FOOTERS = {
    "en": (
        "CONFIDENTIALITY NOTICE: This e-mail and any attachments are intended solely for the "
        "addressee(s) and may contain confidential or privileged information. If you are not "
        "the intended recipient, please notify the sender and delete this message.",
        "This message is for the designated recipient only. Any unauthorized review, use or "
        "distribution is prohibited.",
        "Please consider the environment before printing this email.",
    ),
    "de": (
        "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn "
        "Sie nicht der richtige Adressat sind, informieren Sie bitte sofort den Absender und "
        "vernichten Sie diese E-Mail.",
    ),
    "fr": (
        "Ce message et ses pièces jointes sont confidentiels et établis à l'attention "
        "exclusive de leurs destinataires.",
    ),
    "es": (
        "Este mensaje y sus archivos adjuntos son confidenciales y están dirigidos "
        "exclusivamente a su destinatario.",
    ),
}
_AFTERTHOUGHTS = {
    "en": ("Thanks for reaching out.", "Appreciate the persistence.",
           "PS - please keep this short, I get a lot of these.", "Hope that helps."),
    "de": ("Danke für Ihre Nachricht.",),
    "fr": ("Merci de votre message.",),
    "es": ("Gracias por escribir.",),
}
_AUTO_SUBJECT = {
    "en": ("Automatic reply: {subject}", "Out of Office: {subject}", "Re: {subject}"),
    "de": ("Abwesenheitsnotiz: {subject}", "Automatische Antwort: {subject}"),
    "fr": ("Réponse automatique : {subject}", "Absence : {subject}"),
    "es": ("Respuesta automática: {subject}",),
}


def compose_reply(
    rng: random.Random,
    *,
    kind: str,
    language: str,
    lead: Person,
    sent: SentEmail,
    reply_time: datetime,
    topic: str,
) -> ReplyText:
    """A full reply of ``kind`` from ``lead`` to ``sent``, received at ``reply_time``."""
    if kind not in _CORE:
        raise ValueError(f"unknown reply kind {kind!r}")
    domain = lead.email.rsplit("@", 1)[-1]
    ref_first = rng.choice(_COLLEAGUE_FIRST)
    ref_last = rng.choice(_COLLEAGUE_LAST)
    ref_email = f"{ref_first.lower()}.{ref_last.lower()}@{domain}"
    return_date = (reply_time + timedelta(days=rng.randint(3, 16))).date()
    meeting_day = reply_time.date() + timedelta(days=rng.randint(2, 8))
    if meeting_day.weekday() >= 5:
        meeting_day += timedelta(days=7 - meeting_day.weekday())
    later = reply_time.date() + timedelta(days=rng.randint(60, 200))
    values = {
        "sender_first": sent.sender_name.split()[0],
        "topic": topic,
        "company": lead.company,
        "weekday": _WEEKDAYS[language][meeting_day.weekday()],
        "time": _clock_time(rng, language),
        "month": _MONTHS[language][later.month - 1],
        "return_date": _long_date(return_date, language),
        "ref_name": f"{ref_first} {ref_last}",
        "ref_first": ref_first,
        "ref_email": ref_email,
        "ref_title": rng.choice(_COLLEAGUE_TITLES),
        "competitor": rng.choice(_COMPETITORS),
        "seats": rng.choice((5, 10, 12, 25, 40, 60, 150)),
        "my_email": lead.email,
        "calendar": f"https://calendly.com/{_slug(lead.first_name)}-{_slug(lead.last_name)}/30min",
    }
    template = rng.choice(_CORE[kind][language])
    if language == "en" and rng.random() < 0.15:
        # Slips go into the template so names and addresses filled in later stay intact.
        template = _typo(rng, template)
    core = template.format(**values)

    auto = kind == "out_of_office"
    parts: list[str] = []
    if not auto:
        greeting = rng.choice(_GREETINGS[language]).format(**values)
        if greeting:
            parts.append(greeting)
    parts.append(core)
    if not auto and len(core) > 25 and rng.random() < 0.3:
        parts.append(rng.choice(_AFTERTHOUGHTS[language]))
    if language == "en" and not auto and len(core) < 60 and rng.random() < 0.25:
        parts.append("Sent from my iPhone")
    else:
        parts.append(_signature(rng, lead, language, auto))
        if rng.random() < 0.12:
            parts.append(rng.choice(_FOOTERS[language]))

    quote_style: str | None = None
    quote_header_text = ""
    quote_lines: tuple[str, ...] = ()
    # Auto-replies rarely quote the message that triggered them.
    if not auto or rng.random() < 0.3:
        quote_lines = tuple(sent.text.splitlines())
        if language == "en" and rng.random() < 0.2:
            quote_style = "outlook"
            quote_header_text = (
                f"From: {sent.sender_name} <{sent.sender_email}>\n"
                f"Sent: {_long_datetime_en(sent.time)}\n"
                f"To: {lead.first_name} {lead.last_name} <{lead.email}>\n"
                f"Subject: {sent.subject or '(no subject)'}"
            )
        else:
            quote_style = "gmail"
            quote_header_text = quote_header(language, sent)

    base_subject = sent.subject or "(no subject)"
    if auto:
        subject = rng.choice(_AUTO_SUBJECT[language]).format(subject=base_subject)
    elif language == "de" and rng.random() < 0.5:
        subject = f"AW: {base_subject}"
    elif language == "es" and rng.random() < 0.5:
        subject = f"RE: {base_subject}"
    else:
        subject = f"Re: {base_subject}"
    referral = kind == "referral"
    return ReplyText(
        kind=kind,
        language=language,
        subject=subject,
        own="\n\n".join(parts),
        quote_style=quote_style,
        quote_header=quote_header_text,
        quote_lines=quote_lines,
        referred_name=f"{ref_first} {ref_last}" if referral else None,
        referred_email=ref_email if referral else None,
        return_date=return_date if auto else None,
    )


def _signature(rng: random.Random, lead: Person, language: str, auto: bool) -> str:
    closing = rng.choice(_CLOSINGS[language])
    style = rng.random()
    if style < 0.25 and not auto:
        lines = [lead.first_name]
    elif style < 0.45 and not auto:
        lines = [f"{lead.first_name} {lead.last_name}", lead.title]
    else:
        lines = [f"{lead.first_name} {lead.last_name}", f"{lead.title} | {lead.company}"]
        if lead.phone:
            label = {"en": "M", "de": "Tel.", "fr": "Tél.", "es": "Tel."}[language]
            lines.append(f"{label}: {lead.phone}")
    if closing == "-":
        # A dash sign-off sits on the same line as the name: "- Jane".
        return "\n".join([f"- {lines[0]}", *lines[1:]])
    return "\n".join(([closing] if closing else []) + lines)


def quote_header(language: str, sent: SentEmail) -> str:
    """The client's attribution line above a quoted email, in the reply's language."""
    t = sent.time
    who = f"{sent.sender_name} <{sent.sender_email}>"
    hhmm = f"{t.hour:02d}:{t.minute:02d}"
    day_short = _WEEKDAYS_SHORT[language][t.weekday()]
    if language == "de":
        return (f"Am {day_short}, {t.day}. {_MONTHS['de'][t.month - 1]} {t.year} um {hhmm} "
                f"schrieb {who}:")
    if language == "fr":
        return (f"Le {day_short} {t.day} {_MONTHS['fr'][t.month - 1]} {t.year} à {hhmm}, "
                f"{who} a écrit :")
    if language == "es":
        return (f"El {day_short}, {t.day} {_MONTHS['es'][t.month - 1][:3]} {t.year} a las "
                f"{hhmm}, {sent.sender_name} (<{sent.sender_email}>) escribió:")
    hour12 = t.hour % 12 or 12
    ampm = "AM" if t.hour < 12 else "PM"
    return (f"On {day_short}, {_MONTHS_SHORT_EN[t.month - 1]} {t.day}, {t.year} at "
            f"{hour12}:{t.minute:02d} {ampm} {who} wrote:")


def _long_datetime_en(t: datetime) -> str:
    hour12 = t.hour % 12 or 12
    ampm = "AM" if t.hour < 12 else "PM"
    return (f"{_WEEKDAYS['en'][t.weekday()]}, {_MONTHS['en'][t.month - 1]} {t.day}, {t.year} "
            f"{hour12}:{t.minute:02d} {ampm}")


def _long_date(d: date, language: str) -> str:
    month = _MONTHS[language][d.month - 1]
    weekday = _WEEKDAYS[language][d.weekday()]
    if language == "de":
        return f"{d.day}. {month} {d.year}"
    if language == "fr":
        return f"{weekday} {d.day} {month}"
    if language == "es":
        return f"{weekday} {d.day} de {month}"
    return f"{weekday}, {month} {d.day}"


def _clock_time(rng: random.Random, language: str) -> str:
    hour = rng.choice((9, 10, 11, 13, 14, 15, 16))
    minute = rng.choice((0, 0, 30))
    if language == "en":
        suffix = "am" if hour < 12 else "pm"
        clock = f"{hour % 12 or 12}" + (f":{minute:02d}" if minute else "")
        return f"{clock}{suffix} {rng.choice(('ET', 'PT', 'CT', 'GMT'))}"
    return f"{hour}:{minute:02d}" if language != "de" else f"{hour}:{minute:02d} Uhr"


def _typo(rng: random.Random, text: str) -> str:
    """One human slip: swapped letters, a dropped apostrophe or lower-case everything."""
    roll = rng.random()
    if roll < 0.2:
        return text.lower()
    if roll < 0.4 and "'" in text:
        return text.replace("'", "", 1)
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())
