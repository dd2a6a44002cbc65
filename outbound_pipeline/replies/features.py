"""What the reply model sees of a text: words, word pairs, word stems and cues.

The text is lower-cased and stripped of accents, then split into words (``?`` and ``!`` count
as words). Each text yields:

- every word and every pair of neighbouring words;
- ``>stem``: the first five letters of each longer word, so "interessiert", "interessant"
  and "interested" share evidence and a typo late in a word does not lose it;
- ``#cue`` features: whether the reply uses words of a kind that decides categories in every
  language (asking for a meeting, naming a day or time, a "no interest" phrase, a later
  timing, asking for material, thanks, a bare acknowledgement, a question word first, ...),
  and a length bucket. The cue lists are the model's multilingual vocabulary: a cue learned
  from English examples carries over to a German reply that uses the German words.

Everything is a dictionary lookup per word, so a reply costs microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STEM_LENGTH = 5
OPENING_WORDS = 3
"""Question words and acknowledgements count among the first words after a greeting."""

# Cue vocabularies. A word ending in ``*`` matches every word starting with it; entries with a
# space are phrases of two or three words. All lower case, without accents.
CUES: dict[str, tuple[str, ...]] = {
    "meeting": (
        "call", "calls", "meeting*", "meet", "demo*", "zoom", "teams", "calendly", "calendar*",
        "kalender*", "slot*", "termin*", "telefonat*", "anruf*", "anrufen", "gesprach*",
        "treffen", "rendez", "rdv", "appel*", "appelez", "visio*", "echange*", "reunion*",
        "llamada*", "videollamada*", "agenda*", "creneau*", "horario*", "cita", "llamame",
        "llamar*", "llamen*", "llamenme", "phone", "ruf", "rufen*", "webex", "walkthrough",
        "book a", "hop on", "jump on", "catch up", "set up", "vorbeikommen", "besprechen",
        "kennenlernen", "entretien*", "rencontre*", "voyons", "hablamos", "hablemos",
        "conversemos", "platicar", "charlar",
    ),
    "day_or_time": (
        "monday", "tuesday", "wednesday", "thursday", "friday", "montag*", "dienstag*",
        "mittwoch*", "donnerstag*", "freitag*", "lundi", "mardi", "mercredi", "jeudi",
        "vendredi", "lunes", "martes", "miercoles", "jueves", "viernes", "tomorrow", "morgen",
        "demain", "manana", "am", "pm", "uhr", "vormittag*", "nachmittag*", "matin", "apres midi",
        "tarde", "next week", "nachste woche", "semaine prochaine", "proxima semana",
        "semana que viene", "this week", "diese woche", "cette semaine", "esta semana",
    ),
    "no_interest": (
        "not interested", "no interest", "kein interesse", "keinerlei interesse", "kein bedarf",
        "nicht interessiert", "pas interesse", "pas interesses", "aucun interet",
        "pas besoin", "pas de besoin", "no me interesa", "no nos interesa", "no interesa",
        "no estamos interesados", "sin interes", "no thanks", "no thank", "nein danke",
        "non merci", "no gracias", "we ll pass", "we will pass", "pass on", "not for us",
        "nicht fur uns", "pas pour nous", "no es para nosotros", "not a fit", "no fit",
        "nope", "no need", "kein thema", "brauchen wir nicht", "brauchen keine",
        "n avons pas besoin", "no necesitamos", "not needed", "nicht notig", "pas necessaire",
        "ne donnerons pas suite", "verzichten", "declinamos", "decline", "declinons",
        "in house", "inhouse", "en interne", "internamente", "already have", "already use",
        "already using", "bereits", "schon einen", "deja un", "deja une", "ya tenemos",
        "ya contamos", "happy with", "zufrieden", "satisfaits", "contentos",
    ),
    "later": (
        "later", "spater", "plus tard", "mas adelante", "mas tarde", "quarter", "quartal*",
        "trimestre", "q1", "q2", "q3", "q4", "h2", "budget*", "presupuesto*", "next year",
        "nachstes jahr", "nachsten jahr", "annee prochaine", "l annee prochaine",
        "proximo ano", "ano que viene", "months", "monate*", "monaten", "mois", "meses",
        "circle back", "check back", "reach out again", "ping me", "recontact*", "wieder melden",
        "melden sie sich", "meldet euch", "revenez", "retomar", "retomemos", "vuelve a",
        "not now", "not right now", "derzeit", "aktuell", "momentan",
        "im moment", "zurzeit", "pas le moment", "pour l instant", "actuellement",
        "por ahora", "de momento", "timing", "zeitpunkt",
        "renewal", "contract", "vertrag*", "contrat*", "contrato*", "freeze", "frozen",
        "eingefroren", "gele", "congelado",
    ),
    "month": (
        "january", "february", "march", "april", "june", "july", "august", "september",
        "october", "november", "december", "januar", "februar", "marz", "juni", "juli",
        "oktober", "dezember", "janvier", "fevrier", "mars", "avril", "juin", "juillet",
        "aout", "septembre", "octobre", "novembre", "decembre", "enero", "febrero", "marzo",
        "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre",
        "diciembre",
    ),
    "material": (
        "send", "sende*", "schick*", "zusenden", "envoy*", "envoie*", "envia*", "enviar*",
        "envie*", "mandame", "manda*", "deck", "brochure", "info", "infos", "information*",
        "informacion", "informaciones", "details", "detail", "unterlagen", "documentation",
        "doc", "docs", "plaquette", "tarif*", "pricing", "price*", "preis*", "precio*",
        "cotizacion", "material*", "presentation*", "presentacion*", "case study",
        "case studies", "one pager", "overview", "ubersicht", "referenz*", "reference*",
        "referencia*", "video", "whitepaper", "more about", "mehr uber", "en savoir plus",
        "mas sobre", "learn more",
    ),
    "positive": (
        "interesting", "interested", "intrigued", "interessant*", "spannend*", "interesante*",
        "interesse", "interesa", "interesado*", "gerne", "gern", "volontiers", "plaisir",
        "gusto", "sure", "yes", "yep", "yeah", "ja", "oui", "si", "claro", "sounds good",
        "sounds great", "sounds interesting", "looks good", "klingt gut", "klingt spannend",
        "why not", "warum nicht", "pourquoi pas", "por que no", "buena pinta", "love to",
        "would love", "keen", "curious", "neugierig", "curieux", "curiosidad", "great",
        "genial", "super", "perfekt", "parfait", "perfecto", "bueno", "tres bien",
    ),
    "colleague": (
        "colleague*", "cc", "cced", "cc ing", "looping", "loop in", "kolleg*", "collegue*",
        "companer*", "team", "equipo", "equipe", "forward*", "weitergeleitet", "weiterleiten",
        "transfere", "transmis", "reenvi*", "boss", "chef*", "jefe*", "manager",
    ),
    "thanks": (
        "thanks", "thank", "thx", "ty", "merci", "danke*", "dank", "gracias", "cheers",
    ),
    "question_word": (
        "how", "what", "which", "who", "where", "why", "when", "does", "do you", "is it",
        "is this", "are you", "can you", "could you", "wie", "was", "welche*", "wer", "warum",
        "wo", "wann", "gibt es", "habt ihr", "haben sie", "konnen sie", "ist das", "comment",
        "quel*", "qui", "pourquoi", "est ce", "combien", "avez vous", "pouvez vous", "como",
        "que", "cual*", "cuanto*", "quien*", "por que", "tienen", "hay", "puede", "pueden",
    ),
    "who_are_you": (
        "who are you", "who is this", "how did you get", "where did you get", "wer sind sie",
        "woher haben sie", "woher habt ihr", "qui etes vous", "comment avez vous eu",
        "ou avez vous", "quien eres", "quienes son", "de donde sacaron", "como consiguio",
        "como consiguieron", "gdpr", "dsgvo", "rgpd",
    ),
    "acknowledge": (
        "ok", "okay", "noted", "received", "got it", "will do", "erhalten", "notiert",
        "bien recu", "recibido", "entendido", "vale", "d accord", "alles klar", "understood",
        "roger", "k", "thumbs up",
    ),
}

_WORDS = re.compile(r"\w+|[?!]")


def _index() -> tuple[dict[str, set[str]], dict[str, set[str]], tuple[int, ...]]:
    exact: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    for cue, entries in CUES.items():
        for entry in entries:
            if entry.endswith("*"):
                prefixes.setdefault(entry[:-1], set()).add(cue)
            else:
                exact.setdefault(entry, set()).add(cue)
    return exact, prefixes, tuple(sorted({len(p) for p in prefixes}))


_EXACT, _PREFIXES, _PREFIX_LENGTHS = _index()
_TRIGRAM_STARTS = frozenset(k.split()[0] for k in _EXACT if k.count(" ") == 2)
_FIRST_WORD_CUES = frozenset({"question_word", "acknowledge"})
"""Cues that count only at the opening of the reply (:data:`OPENING_WORDS`)."""
_GREETINGS = frozenset({
    "hi", "hello", "hey", "dear", "hallo", "guten", "tag", "lieber", "liebe", "sehr",
    "geehrter", "geehrte", "moin", "servus", "gruezi", "bonjour", "salut", "madame",
    "monsieur", "hola", "buenos", "buenas", "dias", "estimado", "estimada", "herr", "frau",
})
_TIME_TOKEN = re.compile(r"^\d{1,2}(?:h\d{0,2}|uhr|am|pm)$")


@lru_cache(maxsize=4096)
def _cues_of_word(word: str) -> frozenset[str]:
    found = set(_EXACT.get(word, ()))
    for length in _PREFIX_LENGTHS:
        if len(word) >= length:
            found |= _PREFIXES.get(word[:length], set())
    if _TIME_TOKEN.match(word):
        found.add("day_or_time")
    return frozenset(found)


def _accent_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c))
        if base != char and base:
            table[code] = base
    return table


_ACCENTS = _accent_table()


def normalize(text: str) -> str:
    """Lower case, no accents (``é`` -> ``e``; ``ß`` kept)."""
    lower = text.lower()
    return lower if lower.isascii() else lower.translate(_ACCENTS)


def features(text: str) -> list[str]:
    """The feature strings of one cleaned reply (the analyzer of the model's vectorizer)."""
    words = _WORDS.findall(normalize(text))
    out = list(words)
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    out += pairs
    out += [f">{w[:STEM_LENGTH]}" for w in words if len(w) > STEM_LENGTH]

    cues: set[str] = set()
    for word in words:
        cues |= _cues_of_word(word)
    for pair in pairs:
        cues |= _EXACT.get(pair, set())
    for i in range(len(words) - 2):
        if words[i] in _TRIGRAM_STARTS:
            cues |= _EXACT.get(f"{words[i]} {words[i + 1]} {words[i + 2]}", set())
    start = 0
    while start < len(words) and (words[start] in _GREETINGS or not words[start].isalpha()):
        start += 1
    opening: set[str] = set()
    for i in range(start, min(start + OPENING_WORDS, len(words))):
        opening |= _cues_of_word(words[i])
        if i + 1 < len(words):
            opening |= _EXACT.get(f"{words[i]} {words[i + 1]}", set())
    cues -= _FIRST_WORD_CUES
    cues |= opening & _FIRST_WORD_CUES
    out += [f"#{cue}" for cue in sorted(cues)]
    n = len(words)
    out.append("#short" if n <= 5 else "#medium" if n <= 25 else "#long")
    if "?" in words:
        out.append("#asks")
    return out
