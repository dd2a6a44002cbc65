"""From a stored reply body to the prospect's own words.

A reply as the platform stores it is usually HTML and carries the whole thread: the prospect's
few lines, then a signature, sometimes a legal footer, and the quoted email it answers (whose
"quick call?" or "reply STOP" would mislead any classifier). :func:`clean_reply` removes, in
order:

1. HTML: tags, styles and scripts; quote containers (Gmail ``gmail_quote``, ``blockquote``,
   Outlook's ``divRplyFwdMsg``, Apple and Thunderbird citations) and everything after them.
2. Quoted history in plain text: the first reply header ("On ... wrote:", "Am ... schrieb",
   "Le ... a écrit", "El ... escribió", Outlook "From:/Von:/De:" blocks, "-----Original
   Message-----") and everything below, and any remaining ``>`` lines. Headers and signatures
   are found by the maintained ``mail-parser-reply`` library (English, German, French, Spanish).
3. Signatures ("Best regards", "Mit freundlichen Grüßen", "Cordialement", "Saludos", ``-- ``)
   and "Sent from my iPhone" lines.
4. Legal and confidentiality footers.

The original body is always kept beside the cleaned text; :func:`body_hash` is the SHA-256 of
the cleaned text, the deduplication key of seed 000.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from mailparser_reply.parser import EmailMessage

from outbound_pipeline.copy_text import html_to_text_until_quote

LANGUAGES = ("en", "de", "fr", "es")

_LOOKS_LIKE_HTML = re.compile(r"<(?:html|body|div|p|br|span|table|blockquote|a|font|b|i)\b[^>]*>",
                              re.IGNORECASE)
_SENT_FROM = re.compile(
    r"^\s*(?:sent from my|sent from outlook|get outlook for|sent via|sent with|"
    r"von meinem|gesendet von|gesendet mit|"
    r"envoy[ée] (?:de|depuis) mon|envoy[ée] (?:de|depuis) (?:outlook|l'application)|"
    r"enviado desde mi|enviado desde|obtener outlook para)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
_FOOTER_TOPIC = re.compile(
    r"confidential|privileged|disclaimer|vertraulich|confidentiel|confidencial|"
    r"intended (?:solely |only )?for|bestimmt für|destiné|destinado",
    re.IGNORECASE,
)
_FOOTER_LEGALESE = re.compile(
    r"recipient|addressee|in error|notify|delete|destroy|disclos|prohibited|"
    r"empfänger|irrtümlich|löschen|vernichten|untersagt|"
    r"destinataire|erreur|supprimer|détruire|interdit|"
    r"destinatario|por error|elimin|borr|prohibid",
    re.IGNORECASE,
)
_ENVIRONMENT_NOTE = re.compile(
    r"consider the environment before printing|denken sie an die umwelt|"
    r"pensez à l'environnement|antes de imprimir",
    re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_QUOTE_HEADERS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|forwarded message|weitergeleitete nachricht)\s*-{2,}|_{10,}|"
    r"on .{4,120}(?:wrote|schrieb|a écrit|escribió)\s*:?|"
    r"am .{4,120}schrieb.*:|le .{4,120}a [ée]crit\s*:|el .{4,120}escribi[óo]\s*:|"
    r"(?:from|von|de)\s*:\s*.+\n\s*(?:sent|gesendet|envoy[ée]|enviado|date|datum|fecha)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class CleanedReply:
    """A reply body cleaned for reading and classification."""

    text: str
    """The prospect's own words: no HTML, quoted history, signature or legal footer."""
    original: str
    """The body exactly as stored."""
    was_html: bool = False
    removed_quote: bool = False
    removed_signature: bool = False
    removed_footer: bool = False

    @property
    def body_hash(self) -> str:
        return body_hash(self.text)


def body_hash(text: str) -> str:
    """SHA-256 (hex) of a cleaned reply text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def looks_like_html(body: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(body))


@lru_cache(maxsize=1)
def _reply_patterns() -> dict[str, re.Pattern[str]]:
    """The library's header, signature and disclaimer patterns for our languages, compiled
    once (it would otherwise rebuild them for every message)."""
    template = EmailMessage(text="", languages=list(LANGUAGES))
    return {"_header_regex": template.HEADER_REGEX,
            "_signature_regex": template.SIGNATURE_REGEX,
            "_disclaimers_regex": template.DISCLAIMERS_REGEX}


def _latest_reply(text: str):
    """The library's first (newest) reply fragment of the text, or None."""
    replies = EmailMessage(text=text, languages=list(LANGUAGES), **_reply_patterns()).read()
    return replies.replies[0] if replies.replies else None


_SIGN_OFF = re.compile(
    r"^(?:(?:best|kind|warm|many)?\s*(?:regards|wishes)|best|cheers|thanks|thank you|thx|"
    r"many thanks|sincerely|yours(?: sincerely| truly)?|all the best|talk soon|"
    r"(?:mit )?(?:freundlichen|besten|herzlichen|vielen|liebe[n]?|viele|beste|schöne[n]?) "
    r"gr(?:ü|ue|u)(?:ß|ss)en?|freundliche gr(?:ü|ue)(?:ß|ss)e|gr(?:ü|ue)(?:ß|ss)e|mfg|lg|vg|"
    r"cordialement|bien (?:à vous|cordialement)|(?:bien )?amicalement|bonne (?:journée|soirée)|"
    r"(?:meilleures|sincères) salutations|salutations(?: distinguées)?|bàv|"
    r"(?:un )?saludos?(?: cordiales)?|atentamente|un abrazo|muchas gracias|gracias|"
    r"cordialmente|abrazos?)[\s,.!]*$",
    re.IGNORECASE | re.MULTILINE,
)
MAX_SIGNATURE_LINES = 10


def _cut_sign_off(text: str) -> tuple[str, bool]:
    """Drops a closing formula on its own line and the short block under it (a signature)."""
    for match in _SIGN_OFF.finditer(text):
        if match.start() == 0:
            continue
        rest = text[match.end():].strip()
        if rest.count("\n") < MAX_SIGNATURE_LINES:
            return text[:match.start()].rstrip(), True
    return text, False


_LINE_EDGES = re.compile(r"[ \t]*\n[ \t]*")


def _normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _LINE_EDGES.sub("\n", _SPACES.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _cut_at(text: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    match = pattern.search(text)
    if match is None:
        return text, False
    start = match.start()
    if start == 0 or not text[:start].strip():
        return text, False  # the whole message would go: keep it
    return text[:start].rstrip(), True


def _cut_footer(text: str) -> tuple[str, bool]:
    """Drops a legal footer: the first paragraph after the first that reads as one (a
    confidentiality topic and legal wording, or an environment note), and all after it."""
    paragraphs = text.split("\n\n")
    for i, paragraph in enumerate(paragraphs[1:], start=1):
        if _ENVIRONMENT_NOTE.search(paragraph) or (
                _FOOTER_TOPIC.search(paragraph) and _FOOTER_LEGALESE.search(paragraph)):
            return "\n\n".join(paragraphs[:i]).rstrip(), True
    return text, False


def clean_reply(body: str | None) -> CleanedReply:
    """Cleans one stored reply body; never raises on odd input (an empty body cleans to "")."""
    original = body or ""
    was_html = looks_like_html(original)
    removed_quote = False
    text = original
    if was_html:
        text, removed_quote = html_to_text_until_quote(original)
    text = _normalize(text)

    text, cut = _cut_at(text, _QUOTE_HEADERS)
    removed_quote |= cut
    removed_signature = False
    if text:
        first = _latest_reply(text)
        if first is not None and first.body:
            removed_signature = bool(first.signatures)
            removed_quote |= first.content != text.strip()
            text = first.body
    without_quotes = _QUOTED_LINE.sub("", text)
    if without_quotes.strip() and without_quotes != text:
        removed_quote = True
        text = without_quotes

    text, removed_footer = _cut_footer(text)
    text, cut = _cut_sign_off(text)
    removed_signature |= cut
    without_sent_from = _SENT_FROM.sub("", text)
    if without_sent_from != text:
        removed_signature = True
        text = without_sent_from
    return CleanedReply(
        text=_normalize(text),
        original=original,
        was_html=was_html,
        removed_quote=removed_quote,
        removed_signature=removed_signature,
        removed_footer=removed_footer,
    )
