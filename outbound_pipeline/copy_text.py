"""Plain-text views of email copy: HTML stripped, a preview, personalization variables."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

PREVIEW_CHARS = 200
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:\|[^}]*)?\}\}")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Visible text of an HTML fragment, one line per block, blank runs collapsed."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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
