"""Text files as Windows programs save them: read by their byte order mark, or refused.

Notepad's "Unicode" and Excel's "Unicode Text" are UTF-16 with a byte order mark; read as
UTF-8 or Windows-1252, every other byte is a NUL and nothing in the file means what it says.
The deny list, the manifest and the action plan's YAML and CSV files are read here alike.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    # UTF-32's marks first: UTF-32 LE's starts with UTF-16 LE's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Control characters that no text file holds: tab, line breaks, vertical tab and form feed
#: (Word's manual line and page breaks) are text; NUL and the rest are not.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class NotPlainText(ValueError):
    """The file is not text: once decoded, it holds NUL bytes or other control characters."""

    def __init__(self, line: int | None) -> None:
        super().__init__("not a plain text file" + (f" (line {line})" if line else ""))
        self.line = line
        """The line of the first control character, or ``None`` when the file holds NULs
        (a binary file, or text in an encoding not recognised)."""

    def where(self) -> str:
        """``" (line 3 holds a control character)"``, or nothing for a file of NUL bytes."""
        return f" (line {self.line} holds a control character)" if self.line else ""


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no byte order mark, told by its NULs: English text has one every other byte."""
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2 or len(data) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd * 10 >= pairs * 3 and even * 20 <= pairs:
        codec = "utf-16-le"
    elif even * 10 >= pairs * 3 and odd * 20 <= pairs:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def decode_text(data: bytes, *, fallback: str | None = None) -> str:
    """Decode a text file's bytes: by its byte order mark, as UTF-16 by its NULs, else UTF-8.

    Args:
        data: The file's bytes.
        fallback: The codec to read a file that is not UTF-8 with (``"cp1252"``, as Notepad's
            "ANSI" saves), characters it cannot read replaced; ``None`` to raise instead.

    Returns:
        The text, without its byte order mark.

    Raises:
        NotPlainText: The text holds NUL bytes or other control characters (a binary file, a
            word processor's document, or an encoding not recognised), or the byte order mark
            is not followed by the text it announces.
        UnicodeDecodeError: The file is not UTF-8 and no ``fallback`` is given.
    """
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise NotPlainText(None) from None
            break
    guessed = False
    if text is None and b"\x00" in data:
        text = _utf16_without_bom(data)
        guessed = text is not None
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if fallback is None:
                raise
            text = data.decode(fallback, errors="replace")
    control = _CONTROL.search(text)
    if control is not None:
        # A file of NULs, or one only guessed to be UTF-16, has no lines to speak of.
        whole = guessed or "\x00" in text
        raise NotPlainText(None if whole else len((text[: control.start()] + "x").splitlines()))
    return text


__all__ = ["NotPlainText", "decode_text"]
