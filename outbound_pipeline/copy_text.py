"""Plain-text views of email copy: HTML stripped, a preview, personalization variables."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

PREVIEW_CHARS = 200
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:\|[^}]*)?\}\}")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "hr", "table",
               "ul", "ol", "pre", "section"}


_QUOTE_IDS = frozenset({"divrplyfwdmsg", "appendonsend",
                        "mail-editor-reference-message-container", "reply-intro"})
_QUOTE_CLASSES = ("gmail_quote", "gmail_attr", "yahoo_quoted", "moz-cite-prefix",
                  "protonmail_quote", "outlook_quote")


_QUOTE_OPENING = re.compile(
    r"<blockquote\b|<[a-z]+\b[^>]*?\b(?:class=[\"'][^\"']*(?:"
    + "|".join(_QUOTE_CLASSES) + r")|id=[\"'](?:" + "|".join(_QUOTE_IDS)
    + r")[\"']|type=[\"']cite[\"'])",
    re.IGNORECASE,
)
"""The opening tag of a quote container, found without parsing: a reply's HTML is cut there
before the (slow) parser sees it."""


class _TextExtractor(HTMLParser):
    """Visible text; with ``stop_at_quote``, nothing from the first quote container on (a
    ``blockquote``, Gmail's ``gmail_quote``, Outlook's ``divRplyFwdMsg``, ...)."""

    def __init__(self, stop_at_quote: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._stop_at_quote = stop_at_quote
        self.quote_found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.quote_found:
            return
        if self._stop_at_quote and (tag == "blockquote" or _is_quote_container(attrs)):
            self.quote_found = True
        elif tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS and not self.quote_found:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip and not self.quote_found:
            self.parts.append(data)


def _is_quote_container(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if not value:
            continue
        if name == "id" and value.lower() in _QUOTE_IDS:
            return True
        if name == "class" and any(c in value.lower() for c in _QUOTE_CLASSES):
            return True
        if name == "type" and value.lower() == "cite":
            return True
    return False


def html_to_text(html: str | None) -> str:
    """Visible text of an HTML fragment, one line per block, blank runs collapsed."""
    return _extract(html, stop_at_quote=False)[0]


def html_to_text_until_quote(html: str | None) -> tuple[str, bool]:
    """Visible text up to the first quoted-email container, and whether there was one (an
    email reply's own words; everything below the quote container is history)."""
    return _extract(html, stop_at_quote=True)


def _extract(html: str | None, stop_at_quote: bool) -> tuple[str, bool]:
    if not html:
        return "", False
    quote_found = False
    if stop_at_quote:
        opening = _QUOTE_OPENING.search(html)
        if opening is not None:
            html, quote_found = html[:opening.start()], True
    parser = _TextExtractor(stop_at_quote)
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return (re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(),
            quote_found or parser.quote_found)


def preview(text: str, chars: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat[:chars]


def personalization_variables(*texts: str | None) -> list[str]:
    """``{{first_name}}``-style variables used, in first-use order, without duplicates."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in _VARIABLE.finditer(text or ""):
            seen.setdefault(match.group(1), None)
    return list(seen)
