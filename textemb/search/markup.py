"""Markup to plain text (HTML pages, MediaWiki wikitext), in time linear in the input.

Documents are data: a page of 90 KB of ``<a `` or a wiki article full of unclosed ``<ref>`` must
not take minutes. So these are small scanners built on ``str.find`` and on regexes that cannot
backtrack (no nested or adjacent quantifiers that can match the same characters, every character
class stops at the next delimiter), and every "find the closing part" search either moves the scan
past what it found or, when nothing is found, ends the scan (or is remembered, so it is never
repeated): each character is looked at a bounded number of times.
"""

from __future__ import annotations

import html as _html
import re

_BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre",
                    "td"})
_HIDDEN = frozenset({"noscript", "template"})  # parsed, but their text is not shown
_RAW = frozenset({"script", "style"})  # raw text up to the closing tag, never shown
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)")
_RAW_END = {name: re.compile("</" + name, re.IGNORECASE) for name in _RAW}


def html_to_text(page: str) -> tuple[str | None, str]:
    """``(title, visible text)`` of an HTML page: scripts/styles dropped, blocks become newlines.

    A tag or comment left open at the end of the page swallows the rest of it, as in a browser.
    """
    parts: list[str] = []
    title: list[str] = []
    hidden, in_title, pos, n = 0, False, 0, len(page)
    while pos < n:
        i = page.find("<", pos)
        i = n if i < 0 else i
        if i > pos:
            (title if in_title else parts if not hidden else []).append(_html.unescape(page[pos:i]))
        if i >= n:
            break
        if page.startswith("<!--", i):
            j = page.find("-->", i + 4)
            pos = n if j < 0 else j + 3
            continue
        m = _TAG.match(page, i)
        if m is None:
            if page.startswith(("<!", "<?"), i):  # doctype, processing instruction, CDATA
                j = page.find(">", i)
                pos = n if j < 0 else j + 1
            else:  # a lone "<" is text
                (title if in_title else parts if not hidden else []).append("<")
                pos = i + 1
            continue
        j = page.find(">", m.end())
        if j < 0:
            break
        pos = j + 1
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag in _RAW:
            if not closing:
                end = _RAW_END[tag].search(page, pos)
                k = page.find(">", end.end()) if end else -1
                pos = n if k < 0 else k + 1
        elif tag in _HIDDEN:
            hidden = max(0, hidden + (-1 if closing else 1))
        elif tag == "title":
            in_title = not closing
        elif tag in _BLOCK:
            parts.append("\n")
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parts))
    text = "\n".join(line for line in (x.strip() for x in text.split("\n")) if line).strip()
    return " ".join("".join(title).split()) or None, text


# --------------------------------------------------------------------------- MediaWiki
_BLOCK_TAGS = ("ref", "math", "gallery", "timeline", "score", "syntaxhighlight")
_BLOCK_OPEN = re.compile(r"<(" + "|".join(_BLOCK_TAGS) + r")(?![A-Za-z0-9])([^<>]*)>", re.IGNORECASE)
_BLOCK_CLOSE = {name: re.compile(r"</" + name + r"[ \t]*>", re.IGNORECASE) for name in _BLOCK_TAGS}
_NESTED = [(re.compile(r"\{\{[^{}]*\}\}"), ""), (re.compile(r"\{\|[^{}]*?\|\}", re.DOTALL), "")]
_WIKI_SUBS = [
    (re.compile(r"<[^<>\n]+>"), ""),
    (re.compile(r"\[\[(?:File|Image|Category|Media|[a-z]{2,3}(?:-[a-z]+)?):"
                r"[^\[\]]*(?:\[\[[^\[\]]*\]\][^\[\]]*)*\]\]", re.IGNORECASE), ""),
    (re.compile(r"\[\[[^\[\]|]*\|([^\[\]]*)\]\]"), r"\1"),
    (re.compile(r"\[\[([^\[\]]*)\]\]"), r"\1"),
    (re.compile(r"\[https?://[^\s\[\]]+ ([^\[\]]*)\]"), r"\1"),
    (re.compile(r"\[https?://[^\[\]]*\]"), ""),
    (re.compile(r"'{2,}"), ""),
    (re.compile(r"^=+[^\n]*$", re.MULTILINE), lambda m: _heading(m.group(0))),
    (re.compile(r"^[*#:;]+[ \t]*", re.MULTILINE), ""),
    (re.compile(r"^[ \t]*\|[^\n]*$", re.MULTILINE), ""),
    (re.compile(r"__[A-Z]+__"), ""),
]


def _heading(line: str) -> str:
    """``== Title ==`` -> ``Title`` (a line without closing ``=`` is left alone)."""
    t = line.rstrip()
    return t.strip("=").strip() if t.endswith("=") else line


def _drop_comments(text: str) -> str:
    out, pos = [], 0
    while True:
        i = text.find("<!--", pos)
        if i < 0:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:i])
        j = text.find("-->", i + 4)
        if j < 0:  # an unclosed comment runs to the end
            return "".join(out)
        pos = j + 3


def _drop_blocks(text: str) -> str:
    """Remove ``<ref .../>``, ``<ref>...</ref>``, ``<math>...</math>`` ...; an unclosed tag alone is dropped."""
    out, pos = [], 0
    closes: dict[str, tuple[int, re.Match | None]] = {}  # tag -> (searched from, next closing tag or None)
    while True:
        m = _BLOCK_OPEN.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:m.start()])
        pos = m.end()
        if m.group(2).rstrip().endswith("/"):
            continue
        name = m.group(1).lower()
        cached = closes.get(name)
        if cached is None or (cached[1] is not None and cached[1].start() < pos):
            cached = closes[name] = (pos, _BLOCK_CLOSE[name].search(text, pos))
        if cached[1] is not None:  # else: nothing closes it anywhere after: keep the content
            pos = cached[1].end()


def strip_wiki_markup(raw: str) -> str:
    """Plain text of wikitext: templates, tables, refs, files and categories removed, links unwrapped."""
    text = _drop_blocks(_drop_comments(_html.unescape(raw)))
    for pattern, repl in _NESTED:  # innermost first, until nothing nested is left (at most 20 linear passes)
        for _ in range(20):
            text, n = pattern.subn(repl, text)
            if not n:
                break
    for pattern, repl in _WIKI_SUBS:
        text = pattern.sub(repl, text)
    text = text.replace("{{", "").replace("}}", "")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", text)
    return text.strip()
