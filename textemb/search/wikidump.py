"""MediaWiki XML dumps read as a stream: bz2 inflated a megabyte at a time into an expat parser.

Nothing holds the whole dump: the compressed bytes are inflated in :data:`CHUNK`-sized pieces (the total
is capped), and of each ``<page>`` only its ``ns``, ``title``, first ``id`` and first revision's ``text``
are kept, each up to ``max_text`` characters: a page with a longer one is dropped (and reported), that
field's text freed as soon as it crosses the cap, so one huge ``<text>`` costs at most ``max_text``
characters of memory, never the whole inflated dump.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textemb.errors import DumpError

#: bytes inflated (and parsed) at a time
CHUNK = 1 << 20
_FIELDS = {"ns", "title", "id"}  # direct children of <page> that are kept


def bz2_chunks(data: bytes, limit: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """The inflated bytes of the first bz2 stream in ``data``, ``chunk`` bytes at a time, at most ``limit`` in all."""
    import bz2

    dec = bz2.BZ2Decompressor()
    pending, total = data, 0
    while True:
        try:
            out = dec.decompress(pending, max_length=chunk)
        except (OSError, ValueError, EOFError) as exc:
            raise DumpError(f"not a valid bz2 file ({exc})") from None
        pending = b""
        total += len(out)
        if total > limit:
            raise DumpError(f"decompresses to more than {limit:,} bytes")
        if out:
            yield out
        if dec.eof or dec.needs_input:  # the end, or a truncated stream (the XML parser then says so)
            return


class _Pages:
    """expat handlers that collect ``(page id, title, raw wikitext)`` of main-namespace, non-redirect pages."""

    def __init__(self, max_text: int | None, dropped: list[tuple[str, int]]) -> None:
        self.max_text, self.dropped = max_text, dropped
        self.stack: list[str] = []
        self.ready: list[tuple[str, str, str]] = []
        self.page: dict | None = None

    def start(self, name: str, _attrs) -> None:
        local = name.rpartition(" ")[2]
        self.stack.append(local)
        if local == "page":
            self.page = {"parts": {}, "size": {}, "redirect": False, "over": None, "done": set()}
        elif local == "redirect" and self.page is not None:
            self.page["redirect"] = True

    def _field(self) -> str | None:
        s, page = self.stack, self.page
        if page is None:
            return None
        key = s[-1] if len(s) >= 2 and s[-2] == "page" and s[-1] in _FIELDS else None
        if key is None and s[-3:] == ["page", "revision", "text"]:
            key = "text"
        return None if key is None or key in page["done"] else key

    def data(self, text: str) -> None:
        key = self._field()
        if key is None or self.page is None or self.page["over"] == key:
            return
        page = self.page
        parts = page["parts"].setdefault(key, [])
        page["size"][key] = page["size"].get(key, 0) + len(text)
        if self.max_text is not None and page["size"][key] > self.max_text:
            page["over"] = key  # the page is skipped: drop what was kept of this field, keep nothing more
            parts.clear()
            return
        parts.append(text)

    def end(self, name: str) -> None:
        key = self._field()
        if key is not None and self.page is not None:
            self.page["done"].add(key)
        local = self.stack.pop()
        if local == "page" and self.page is not None:
            self._finish(self.page)
            self.page = None

    def _finish(self, page: dict) -> None:
        got = {k: "".join(v) for k, v in page["parts"].items()}
        title = got.get("title", "")
        page_id = got.get("id") or title
        if page["over"]:
            self.dropped.append((page_id[:200] or "?", page["size"][page["over"]]))
            return
        raw = got.get("text", "")
        if (got.get("ns") or "0") != "0" or page["redirect"] or raw.lstrip().upper().startswith("#REDIRECT"):
            return
        self.ready.append((page_id, title, raw))


def iter_pages(chunks: Iterable[bytes], *, max_text: int | None = None,
               dropped: list[tuple[str, int]] | None = None) -> Iterator[tuple[str, str, str]]:
    """``(page id, title, raw wikitext)`` of each main-namespace, non-redirect page of a MediaWiki dump.

    ``chunks`` are the dump's bytes in pieces (one ``bytes`` works too). A page with a kept field over
    ``max_text`` characters is left out and listed in ``dropped`` as ``(page id, characters seen)``.
    """
    from xml.parsers import expat

    pages = _Pages(max_text, dropped if dropped is not None else [])
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = pages.start, pages.end
    parser.CharacterDataHandler = pages.data
    try:
        for chunk in [chunks] if isinstance(chunks, bytes | bytearray) else chunks:
            parser.Parse(chunk, False)
            yield from pages.ready
            pages.ready.clear()
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise DumpError(f"malformed XML ({exc})") from None
    except RecursionError:
        raise DumpError("malformed XML (nested too deeply)") from None
    yield from pages.ready
