"""Precise rules for the unambiguous kinds of reply, and the facts they carry.

A rule fires only on wording that leaves no doubt, in English, German, French or Spanish; what
no rule decides goes to the trained model. Checked in this order (the first that fires wins):

1. ``bounce_notice``: a mail server's delivery failure (category ``neutral``, ``is_bounce``).
2. ``unsubscribe``: "remove me", "unsubscribe", "stop emailing", "delete my data" (GDPR)...
3. ``left_company``: the person has left / no longer works there (category ``referral``), human
   or automated, with the person to contact instead when named.
4. ``out_of_office``: an automatic reply (out of office, leave, vacation, generic
   auto-responder), with the date the person is back when it is stated.
5. ``wrong_person``: "not the right person", "not responsible for this" (``referral``).

Functions here are pure: text in, :class:`RuleMatch` out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from outbound_pipeline import clock

RULES_VERSION = "1"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    category: str
    rule: str
    evidence: str
    """The words that made the rule fire (from the cleaned text or the subject)."""
    is_auto_reply: bool = False
    is_bounce: bool = False
    return_date: date | None = None
    referred_name: str | None = None
    referred_email: str | None = None


def _rx(*patterns: str) -> re.Pattern[str]:
    """One pattern of alternatives, matched against lower-cased text (faster than
    ``re.IGNORECASE``, so every pattern is written in lower case)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# 1. Bounce notices ------------------------------------------------------------------------------

_BOUNCE = _rx(
    r"delivery status notification \(failure\)",
    r"mail delivery (?:failed|subsystem|failure)",
    r"undeliverable(?: mail)?:",
    r"undelivered mail returned to sender",
    r"message (?:was )?not delivered",
    r"delivery (?:has )?failed to (?:these|the following) recipients",
    r"(?:address|recipient) not found",
    r"\b5\.[1-7]\.\d{1,2}\b.{0,80}(?:user|mailbox|recipient|address|unknown|not exist|rejected)",
    r"\b55[0-4][ -]5\.\d\.\d",
    r"mailer-daemon@",
    r"unzustellbar",
    r"zustellung (?:ist )?fehlgeschlagen",
    r"nicht zugestellt werden",
    r"non remis",
    r"[ée]chec de (?:la )?(?:remise|livraison)",
    r"n'a pas pu être (?:remis|distribué)",
    r"no se (?:ha podido|puede|pudo) entregar",
    r"error (?:en la|de) entrega",
    r"mensaje no entregado",
)
_BOUNCE_SUBJECT = _rx(
    r"^(?:undeliverable|undelivered|delivery status notification|mail delivery failed|"
    r"returned mail|failure notice|unzustellbar|non remis|no se puede entregar)",
)

# 2. Unsubscribe --------------------------------------------------------------------------------

_UNSUBSCRIBE = _rx(
    r"unsubscribe\b",
    r"remove (?:me|us|my (?:e-?mail|address|name|details|contact))\b",
    r"take (?:me|us|my (?:e-?mail|address|name)) off\b",
    r"(?:opt|opting) (?:me )?out\b",
    r"stop (?:e-?mailing|emailing|contacting|messaging|writing|sending|spamming)\b",
    r"(?:do not|don'?t|never) (?:e-?mail|contact|message|write to) (?:me|us)\b",
    r"delete (?:my|all my|our) (?:data|details|personal|information|contact|e-?mail)",
    r"no (?:more|further) (?:e-?mails|emails|messages|contact)\b",
    r"not (?:to )?(?:contact|e-?mail) me (?:again|anymore|any more)\b",
    r"^\s*(?:stop|unsubscribe|remove|opt out)[\s.!]*$",
    # German
    r"abmelden\b|melden sie mich ab\b|meld(?:e|et) mich ab\b",
    r"austragen\b|tragen sie mich\b.{0,30}\baus\b",
    r"(?:aus|von) (?:ihrem|ihrer|deinem|deiner|eurem|dem|der) "
    r"(?:verteiler|liste|mailingliste|newsletter)",
    r"keine (?:weiteren |e-?mails? |nachrichten |kontaktaufnahmen? )*"
    r"(?:e-?mails?|nachrichten|kontaktaufnahmen?|werbung) mehr\b",
    r"keine weiteren (?:e-?mails?|nachrichten|kontaktaufnahmen?)\b",
    r"(?:nicht mehr|nie wieder|künftig nicht|zukünftig nicht) (?:zu )?"
    r"(?:kontaktieren|anschreiben|anzuschreiben|anmailen|anzumailen|schreiben)\b",
    r"löschen sie (?:meine|bitte meine|umgehend meine)",
    r"meine daten\b.{0,40}\blöschen\b",
    r"widerspreche\b.{0,60}\b(?:nutzung|verarbeitung|werbung)",
    # French
    r"d[ée]sinscri",
    r"d[ée]sabonn",
    r"retirez[- ](?:moi|mon adresse|mes coordonnées)",
    r"supprim(?:ez|er)[- ](?:moi|mon adresse|mes (?:données|coordonnées))",
    r"ne (?:plus|jamais) (?:me )?(?:contacter|écrire|recontacter|solliciter)\b",
    r"ne me (?:contactez|écrivez|sollicitez|recontactez) plus\b",
    r"arr[êe]tez (?:de m'|vos )(?:écrire|envoyer|contacter|e-?mails|messages|relances)",
    r"(?:me|nous) retir(?:er|iez|ez) de (?:votre|vos) (?:liste|fichier|base|séquence|mailing)",
    r"effac(?:er|ez) (?:mes|nos) (?:coordonnées|données)",
    # Spanish
    r"dar(?:me|nos)? de baja\b|den(?:me)? de baja\b|d[ée]n(?:me)? de baja\b",
    r"b[oó]rr(?:en|ar|a|e)(?:me)? (?:mis|nuestros) datos\b|mis datos\b.{0,40}\bborr",
    r"elimin(?:en|ar|e|a)(?:me)? (?:de (?:su|vuestra|la) (?:lista|base)|mis datos|mi correo)",
    r"sac(?:arme|adme|quenme|ame)\b.{0,30}\b(?:lista|base)",
    r"qu[ií]t(?:en|e|ar)(?:me)? de (?:su|vuestra|la|sus) (?:lista|base)",
    r"no (?:me )?(?:vuelvan?|vuelvas) a (?:escribir|contactar|enviar)",
    r"dejen de (?:escribir|enviar|contactar)",
)

# 3 and 5. Referral -----------------------------------------------------------------------------

_LEFT_COMPANY = _rx(
    r"\bno longer (?:with|at|works? (?:at|for|with|here)|employed|part of|in this role|"
    r"in the company)\b",
    r"\bhas left (?!a |an |you |me |us a|the message|the meeting|the call)",
    r"\bthis (?:e-?mail )?(?:address|mailbox|inbox|account) is no longer (?:active|in use|valid)",
    r"\b(?:i|she|he) (?:have |has )?left (?:the company|\w+ (?:in|on|last|at the end))",
    r"\bi(?:'m| am) no longer\b",
    r"\bnicht mehr (?:bei|für|im unternehmen|in der firma|tätig|beschäftigt)\b",
    r"\bhat (?:das unternehmen|die firma|uns) verlassen\b",
    r"\b(?:habe|hat) .{0,30}verlassen\b",
    r"\bne (?:fait|fais|travaille) plus (?:partie|chez|pour|au sein)\b",
    r"\bn'est plus (?:chez|dans|au sein|en poste|employ)",
    r"\ba quitt[ée] (?:l'entreprise|la société|le groupe|\w+)\b",
    r"\bsuite (?:au|à son) départ\b|\bn'est plus (?:active|utilisée|valide)",
    r"\bj'ai quitt[ée]\b",
    r"\bya no (?:trabaj[ao]|forma parte|est[aá] en|pertenece)\b",
    r"\bdej[óo] (?:la empresa|la compañía|de trabajar)\b",
)
_WRONG_PERSON = _rx(
    r"\b(?:not|no longer) the (?:right|correct|best|appropriate|relevant) "
    r"(?:person|contact|guy|one)\b",
    r"\bwrong (?:person|contact|guy|department)\b",
    r"\bi(?:'m| am) not (?:responsible|in charge|the decision|involved)\b",
    r"\bnot (?:my|in my) (?:area|department|remit|responsibility)\b",
    r"\bnicht (?:der|die) (?:richtige|passende|zuständige)n? ansprechp",
    r"\bnicht (?:zuständig|verantwortlich)\b",
    r"\bfalsche[rn]? ansprechp",
    r"\bpas la (?:bonne|personne) (?:personne|concernée|adéquate)",
    r"\bpas (?:le bon|la bonne) interlocut",
    r"\bne (?:suis|m'occupe) pas (?:en charge|responsable|de ce sujet|de ces sujets)",
    r"\bno soy (?:la persona|el contacto|quien) (?:adecuad|indicad|correct|encargad|responsable)",
    r"\bno (?:me encargo|soy responsable|llevo) (?:de|el tema)",
)

# 4. Automatic replies --------------------------------------------------------------------------

_AUTO_REPLY = _rx(
    r"\bout of (?:the )?office\b",
    r"\b(?:automatic|automated|auto)[- ]?(?:reply|response|answer|message)\b",
    r"\bautoresponder\b",
    r"\blimited (?:access to|connectivity)\b.{0,20}(?:e-?mail|inbox)",
    r"\bthis (?:inbox|mailbox|address) is (?:no longer|not) (?:monitored|checked)",
    r"\bthank you for your (?:e-?mail|message)\b.{0,80}\b(?:will|shall) (?:respond|reply|get back)"
    r".{0,60}(?:as soon as|within|upon my return|when i return)",
    r"\babwesenheitsnotiz\b|\bautomatische antwort\b",
    r"\b(?:nicht im (?:büro|haus)|außer haus)\b",
    r"\bin dringenden fällen\b",
    r"\br[ée]ponse automatique\b|\bmessage automatique\b",
    r"\babsente? (?:du bureau|jusqu|actuellement|du \d|à partir)",
    r"\bpour toute urgence\b",
    r"\brespuesta autom[aá]tica\b|\bmensaje autom[aá]tico\b",
    r"\bfuera de (?:la )?oficina\b",
    r"\ben caso de urgencia\b|\bpara (?:asuntos|temas) urgentes\b",
)
_AWAY = _rx(
    r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?(?:away|out|on leave|on vacation|"
    r"on holiday|travell?ing|at a conference|off)\b.{0,80}\b(?:until|till|through|back|return|"
    r"limited access|no access|urgent)",
    r"\b(?:on|currently on) (?:annual |parental |maternity |paternity |sick |medical )?leave\b",
    r"\babwesenheit\b",
    r"\b(?:bin|ist|sind) (?:derzeit |aktuell |momentan |zurzeit |bis )?.{0,30}"
    r"(?:abwesend|im urlaub|in elternzeit|in mutterschutz)",
    r"\b(?:im|in) (?:urlaub|elternzeit|mutterschutz)\b.{0,80}\b(?:bis|ab|zurück|wieder|"
    r"dringend|vertretung)",
    r"\bje suis (?:actuellement )?(?:absente?|en (?:congé|congés|vacances|déplacement))\b",
    r"\ben (?:congé|congés) (?:maternité|paternité|parental|maladie)",
    r"\bde retour (?:le|au bureau|à partir)\b",
    r"\b(?:estoy|estaré|me encuentro) (?:actualmente )?(?:de vacaciones|fuera|ausente|"
    r"de baja|de permiso)\b",
    r"\b(?:baja|permiso|licencia) (?:de |por )?(?:maternidad|paternidad|médica)\b",
)
"""Being away, which a person may also write by hand ("I'm on leave from next week, can we
talk in June?"): an automatic reply only when the text asks nothing and plans nothing."""
_HUMAN_PLANS = _rx(
    r"\?",
    r"\b(?:from|starting) next week\b|\bnext week\b|\bin (?:two|2|three|3) weeks\b",
    r"\bab nächste[rm]? woche\b|\bin (?:zwei|2|drei|3) wochen\b",
    r"\bdans (?:deux|2|trois|3) semaines\b|\bla semaine prochaine\b|\bje pars\b",
    r"\bla (?:semana|próxima semana) que viene\b|\ben (?:dos|2|tres|3) semanas\b|\bme voy\b",
    r"\b(?:reach out|circle back|get back to me|ping me|follow up|remind me|let's|lets)\b",
    r"\b(?:melden sie sich|meld dich|schreiben sie mir|erinnern sie mich)\b",
    r"\b(?:recontactez|relancez|revenez vers moi|écrivez-moi)\b",
    r"\b(?:me lo recuerdas|escríbeme|recuérdame|hablamos|retomamos|contáctame)\b",
)
_AUTO_SUBJECT = _rx(
    r"^(?:automatic reply|auto(?:matic)?[- ]?reply|auto[- ]?response|out of (?:the )?office|"
    r"abwesend|abwesenheit|automatische antwort|réponse automatique|absent|"
    r"respuesta autom[aá]tica|fuera de la oficina)",
)

# Facts -----------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_NAME_WORD = r"[A-ZÄÖÜÉÈÀÁÍÓÚÑÇ][a-zäöüßéèêëàâîïôûùçáíóúñ'’-]+"
_PARTICLE = r"(?:van der|van|von|de la|de|del|da|di|le|la|du)"
_NAME = rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{1,2}}"
_HONORIFIC = (r"(?:(?:(?:der|die) )?"
              r"(?:Mr|Mrs|Ms|Dr|Herrn?|Frau|M|Mme|Mlle|Sr|Sra|Srta|Don|Doña|Ing|Mag|Prof)\.?\s+)*")
_NOT_NAMES = frozenset(
    """
    Head Sales Marketing Director Manager Team Our My The Please Kind Best Regards Thanks
    Thank Hello Hi Dear Office Department Procurement Purchasing Operations Finance Chief
    Officer Vice President Lead Leiter Leiterin Abteilung Einkauf Vertrieb Bitte Herr Frau
    Gruß Grüße Danke Responsable Directeur Directrice Service Achats Merci Bonjour
    Cordialement Jefe Jefa Director Directora Compras Gracias Hola Saludos Atentamente
    Equipo Kollege Kollegin Collègue Compañero Compañera Colleague CEO CTO CFO COO CMO CRO
    VP IT HR Mit Freundlichen Viele Liebe Beste Herzliche Un Une La Le El Los Las Der Die
    Das Sales Ops Revenue Growth Customer Success Support Legal Marketingleiter
    Geschäftsführer Geschäftsführerin Monday Tuesday Wednesday Thursday Friday Montag
    Dienstag Mittwoch Donnerstag Freitag Lundi Mardi Mercredi Jeudi Vendredi Lunes Martes
    Miércoles Jueves Viernes
    """.lower().split()
)
_REFER_CUE = re.compile(
    r"(?:contact|reach out to|reach|speak (?:to|with)|talk to|get in touch with|e-?mail|"
    r"write to|try|ask|forward(?:ed)? (?:this|it|your (?:e-?mail|message)) to|cc'?(?:ing|'d|ed)?|"
    r"loop(?:ing)? in|successor(?: is)?|replacement(?: is)?|colleague|"
    r"wenden sie sich (?:bitte )?an|kontaktieren sie|schreiben sie|an meine[nr]? (?:kollegen|"
    r"kollegin|nachfolger(?:in)?)|nachfolger(?:in)? ist|zuständig ist|weitergeleitet an|"
    r"ansprechpartner(?:in)? ist|"
    r"contactez|écrivez à|adressez-vous à|s'adresser à|voir avec|transféré à|collègue|"
    r"successeur|successeure|"
    r"contact(?:e|ar|en) (?:a|con)|escrib(?:e|a|ir) a|habl(?:e|a|ar) con|comun[ií]quese con|"
    r"reenviado a|compañer[oa]|sucesor[a]?|encargad[oa] es|"
    r"(?:is|ist|es|est) (?:now|jetzt|nun|ahora|maintenant|désormais)|(?:macht|übernimmt) (?:das )?"
    r"jetzt|you'll want|you want|took over|has taken over|übernommen hat|frag(?:en sie)? (?:mal )?|"
    r"probieren sie es bei|versuchen sie es bei|lead is|head is|new \w+ is|"
    r"(?:nachfolger(?:in)?|successor|sucesor(?:a)?|remplaçante?) (?:in der abteilung \w+ )?"
    r"(?:ist|is|es|est)|à la place|en su lugar|instead)[\s:,]*",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"(?:(?:our|my|the|unser(?:e[nr]?)?|mein(?:e[nr]?)?|notre|ma|mon|nuestr[oa]|mi|la|el|"
    r"le|die|der|den)\s+)?[\w' -]{0,40}?,?\s+",
    re.IGNORECASE,
)

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
    "january jan januar jänner janvier janv enero ene",
    "february feb februar février fevrier févr fevr febrero",
    "march mar märz maerz mär mars marzo",
    "april apr avril avr abril abr",
    "may mai mayo",
    "june jun juni juin junio",
    "july jul juli juillet juil julio",
    "august aug août aout agosto ago",
    "september sep sept septembre septiembre setiembre",
    "october oct oktober okt octobre octubre",
    "november nov novembre noviembre",
    "december dec dezember dez décembre decembre déc diciembre dic",
), start=1):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b(?![./]?\d)"), "dm_numeric"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|\.)?\s+(?:of\s+|de\s+)?({_MONTH})\.?"
                rf"(?:,?\s+(?:de\s+)?(\d{{4}}))?\b", re.IGNORECASE), "d_month"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?",
                re.IGNORECASE), "month_d"),
)
_BACK_CUE = _rx(
    r"\b(?:back|return(?:ing)?|returns|be in(?: the office)?|available again|in the office)"
    r"(?: to the office| to work| in the office| at my desk)?(?: on| from| starting)?"
    r"(?: \w+day,?)?\s*$",
    r"\b(?:zurück|wieder (?:im büro|erreichbar|da|verfügbar|für sie da))(?: am| ab)?"
    r"(?: \w+tag,?)?\s*$",
    r"\bab(?: dem| \w+tag,?)?\s*$",
    r"\b(?:wieder)(?: am| ab)(?: \w+tag,?)?\s*$",
    r"\bde retour(?: au bureau)?(?: le| à partir du| dès le| lundi| mardi| mercredi| jeudi|"
    r" vendredi)*\s*$",
    r"\bà partir du(?: \w+di)?\s*$",
    r"\b(?:de vuelta|regreso|regresaré|vuelvo|volveré|me reincorporo|me reincorporaré|"
    r"estaré de vuelta|estaré disponible)(?: en la oficina| a la oficina)?(?: el| a partir del)?"
    r"(?: \w+es,?)?\s*$",
    r"\ba partir del?(?: \w+es,?)?\s*$",
)
_UNTIL_CUE = _rx(
    r"\b(?:until|till|til|through|thru|to|up to and including|returning after)"
    r"(?: and including)?(?: \w+day,?)?(?: the)?\s*$",
    r"\bbis(?: einschließlich| zum| zur| am)?(?: \w+tag,?)?(?: den)?\s*$",
    r"\bjusqu'(?:au|à)(?: \w+di)?(?: le)?\s*$",
    r"\bau(?: \w+di)?\s*$",
    r"\bhasta(?: el| el día)?(?: \w+es,?)?\s*$",
    r"\bal(?: \w+es,?)?\s*$",
)


def apply_rules(text: str, subject: str | None = None,
                received_on: date | None = None) -> RuleMatch | None:
    """The rule that decides this reply, or None when the model should.

    ``text`` is the cleaned reply; ``subject`` is consulted for bounce notices and
    auto-reply subjects; ``received_on`` resolves return dates written without a year.
    """
    lower = text.lower()
    subject = (subject or "").strip().lower()
    bounce = _BOUNCE_SUBJECT.search(subject) or _BOUNCE.search(lower)
    if bounce:
        return RuleMatch("neutral", "bounce_notice", _evidence(bounce), is_auto_reply=True,
                         is_bounce=True)
    unsubscribe = _UNSUBSCRIBE.search(lower)
    if unsubscribe:
        return RuleMatch("unsubscribe", "unsubscribe", _evidence(unsubscribe))
    left = _LEFT_COMPANY.search(lower)
    if left:
        name, email = referred_person(text)
        return RuleMatch("referral", "left_company", _evidence(left),
                         is_auto_reply=bool(_AUTO_REPLY.search(lower) or _AWAY.search(lower)),
                         referred_name=name, referred_email=email)
    auto = (_AUTO_SUBJECT.search(subject) or _AUTO_REPLY.search(lower)
            or (not _HUMAN_PLANS.search(lower) and _AWAY.search(lower)))
    if auto:
        return RuleMatch("out_of_office", "out_of_office", _evidence(auto), is_auto_reply=True,
                         return_date=return_date(text, received_on))
    wrong = _WRONG_PERSON.search(lower)
    if wrong:
        name, email = referred_person(text)
        return RuleMatch("referral", "wrong_person", _evidence(wrong),
                         referred_name=name, referred_email=email)
    return None


def _evidence(match: re.Match[str]) -> str:
    return " ".join(match.group(0).split())[:80]


# Return dates ----------------------------------------------------------------------------------

def _dates(text: str, received_on: date | None) -> Iterator[tuple[int, int, date]]:
    """(start, end, date) of every date written in the text."""
    seen: set[int] = set()
    for pattern, shape in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() in seen:
                continue
            parsed = _to_date(match, shape, received_on)
            if parsed is not None:
                seen.add(match.start())
                yield match.start(), match.end(), parsed


def _to_date(match: re.Match[str], shape: str, received_on: date | None) -> date | None:
    groups = match.groups()
    try:
        if shape == "ymd":
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if shape == "dm_numeric":
            first, second = int(groups[0]), int(groups[1])
            day, month = (second, first) if second > 12 >= first else (first, second)
            year = _year(groups[2])
        elif shape == "d_month":
            day, month, year = int(groups[0]), _MONTHS[groups[1].lower()], _year(groups[2])
        else:
            month, day, year = _MONTHS[groups[0].lower()], int(groups[1]), _year(groups[2])
        if year is not None:
            return date(year, month, day)
        reference = received_on or clock.today()
        candidate = date(reference.year, month, day)
        if candidate < reference - timedelta(days=14):
            candidate = date(reference.year + 1, month, day)
        return candidate
    except (ValueError, KeyError):
        return None


def _year(value: str | None) -> int | None:
    if not value:
        return None
    year = int(value)
    return year + 2000 if year < 100 else year


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def return_date(text: str, received_on: date | None = None) -> date | None:
    """The first day the writer says they are back, or None when no date is stated.

    "back on 16 March" gives 16 March; "away until Friday 13 March" gives the next working
    day, Monday 16 March. A date with neither cue counts only as the end of a range.
    """
    found = list(_dates(text, received_on))
    best: date | None = None
    for start, _end, day in sorted(found):
        before = text[max(0, start - 45):start].lower()
        if _BACK_CUE.search(before):
            return day
        if _UNTIL_CUE.search(before):
            best = best or _next_working_day(day)
    if best is None and len(found) >= 2:
        best = _next_working_day(max(day for _, _, day in found))
    return best


# Referred person -------------------------------------------------------------------------------

def referred_person(text: str, own_email: str | None = None) -> tuple[str | None, str | None]:
    """(name, email) of the person a referral points to, each None when not stated."""
    own = (own_email or "").lower()
    emails = [m for m in _EMAIL.finditer(text) if m.group(0).lower().rstrip(".") != own]
    email = emails[0].group(0).rstrip(".") if emails else None
    name = None
    if emails:
        name = _name_before(text[max(0, emails[0].start() - 60):emails[0].start()])
    if name is None:
        for cue in _REFER_CUE.finditer(text):
            after = text[cue.end():cue.end() + 80]
            name = _name_at(after)
            role = None if name else _ROLE.match(after)
            if role:  # "our Head of Sales, Maria Lopez"
                name = _name_at(after[role.end():])
            if name:
                break
    return name, email


_NAME_AT = re.compile(rf"^\s*{_HONORIFIC}({_NAME})")
_NAME_BEFORE = re.compile(rf"({_NAME})\s*(?:\(|<|\[|:|,|-|–|—|at|unter|à|a|en|an)?\s*$")


def _name_at(fragment: str) -> str | None:
    match = _NAME_AT.match(fragment)
    return _valid_name(match.group(1)) if match else None


def _name_before(fragment: str) -> str | None:
    match = _NAME_BEFORE.search(fragment)
    return _valid_name(match.group(1)) if match else None


_ROLE_WORD = re.compile(r"(?:leiter(?:in)?|manager(?:in)?|director[a]?|directeur|directrice|"
                        r"kolleg(?:e|in)|nachfolger(?:in)?|chef(?:in)?|referent(?:in)?|"
                        r"responsable|assistent(?:in)?)$", re.IGNORECASE)


def _valid_name(candidate: str) -> str | None:
    words = candidate.split()
    while words and (words[0].lower().strip(".") in _NOT_NAMES
                     or _ROLE_WORD.search(words[0])):
        words = words[1:]
    while words and words[-1].lower().strip(".") in _NOT_NAMES:
        words = words[:-1]
    capitalized = [w for w in words if w[:1].isupper()]
    if len(capitalized) < 2 or any(w.lower() in _NOT_NAMES for w in capitalized):
        return None
    return " ".join(words)
