"""PDF names, operators and strings as text, whatever bytes they hold; text folded for matching."""

from __future__ import annotations

import re
import unicodedata

import pikepdf

# Every combining mark Unicode has (accents, and the extended and supplementary blocks).
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Compatibility-decompose (ligatures, full-width forms), drop accents, casefold.

    The one folding of text for matching: the deny list, the pseudonym, the letter's signs.

    Args:
        text: Any text.

    Returns:
        The folded text: "ﬁancé" becomes "fiance".
    """
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


_UTF8_BOM = b"\xef\xbb\xbf"


def pdf_text(value: object) -> str:
    """Return a PDF name, operator, string or dictionary key as printable text, never failing.

    pikepdf decodes names and operators as UTF-8 and raises ``UnicodeDecodeError`` when they
    are not (a font name in a legacy CJK encoding, a damaged content stream); it hands out
    such dictionary keys with surrogate escapes, which fail again once printed. Here:

    * a name (``/Foo``) or an operator gives the same text as ``str()`` when its bytes are
      UTF-8 and printable; any other byte is written as a PDF name escape ``#xx``
      (``/#CB#CE#CC#E5`` for a GBK font name);
    * a dictionary key, the ``str`` that ``Dictionary.keys()`` and ``items()`` give, is
      escaped the same way, so a key and the same name read as a value give the same text;
    * a string gives ``str()`` when pikepdf can decode it, else its bytes as UTF-8 with
      U+FFFD for what is not;
    * ``bytes`` are escaped like a name's bytes; anything else gives ``str()``, or its type
      when even that fails.

    Compare names as names (``value == pikepdf.Name.Foo``) or as ``bytes``; this text is for
    showing and for lookups keyed by it.

    Args:
        value: The object, usually a :class:`pikepdf.Name`, a content-stream operator or a
            :class:`pikepdf.String`.

    Returns:
        The text, with no surrogates and no unprintable characters in a name or operator.
    """
    try:
        if isinstance(value, str):
            return _escape(_clean(value, "surrogateescape").encode("utf-8", "surrogateescape"))
        if isinstance(value, bytes | bytearray):
            return _escape(bytes(value))
        if isinstance(value, pikepdf.Name | pikepdf.Operator):
            return _escape(bytes(value))
        if isinstance(value, pikepdf.String):
            return _string(value)
        return _clean(str(value))
    except Exception:  # whatever pikepdf raises, this must not fail: the type is the last resort
        return f"<{type(value).__name__}>"


def _escape(raw: bytes) -> str:
    """The bytes as UTF-8 text, each invalid or unprintable byte written as ``#xx``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if text.isprintable():
            return text
    out: list[str] = []
    for char in raw.decode("utf-8", "surrogateescape"):
        if "\udc80" <= char <= "\udcff":
            out.append(f"#{ord(char) - 0xDC00:02X}")
        elif char.isprintable():
            out.append(char)
        else:
            out.extend(f"#{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def _string(value: pikepdf.String) -> str:
    try:
        return _clean(str(value))
    except UnicodeDecodeError:
        raw = bytes(value)
        return raw.removeprefix(_UTF8_BOM).decode("utf-8", "replace")


def _clean(text: str, errors: str = "strict") -> str:
    """The text with each surrogate that ``errors`` cannot encode replaced by U+FFFD."""
    try:
        text.encode("utf-8", errors)
    except UnicodeEncodeError:
        kept = range(0xDC80, 0xDD00) if errors == "surrogateescape" else range(0)
        return "".join(
            "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF and ord(c) not in kept else c for c in text
        )
    return text


__all__ = ["pdf_text"]
