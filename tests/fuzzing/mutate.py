"""Seeded PDF mutators: libFuzzer's byte mutator (via atheris) and PDF-aware operators.

Choice. The generic byte rung is libFuzzer's own mutator, ``atheris.Mutate``: atheris installs
here from a wheel (Linux x86_64, CPython 3.10-3.14) and, under ``-seed=N``, gives the same bytes
for the same input every time. ``Mutate`` only works inside ``atheris.Fuzz()``, which takes over
the process and never returns, and its random state runs on from call to call; so each call is
made in a short-lived forked helper seeded from the case's own random stream (about 25 ms), which
keeps every case reproducible from (seed, case number) alone. libFuzzer knows nothing of PDF
syntax, so the PDF-specific operators (numbers, keywords, xref offsets, /Length, names, object
references, dictionary values, content-stream operators) are written here, over regular
expressions, and are meant for the uncompressed copy of each seed (see :func:`uncompressed_copy`),
where dictionaries and content streams are plain text. hypothesis was considered and not used:
it owns the test loop, shrinks by re-running a case many times (seconds each here), and
reproduces through its own database rather than a case number. Where atheris is missing, the
byte rung falls back to a hand-written havoc operator and says so in the mutation list.
"""

from __future__ import annotations

import importlib.util
import io
import os
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

Mutation = tuple[bytes, str]
Operator = Callable[[bytes, random.Random], Mutation | None]

MAX_GROWTH = 1 << 20  # no case grows a seed by more than this (duplicated chunks, libFuzzer)
HAVE_ATHERIS = importlib.util.find_spec("atheris") is not None

# ---------------------------------------------------------------------------- helpers


def _pick(pattern: re.Pattern[bytes], data: bytes, rng: random.Random) -> re.Match[bytes] | None:
    """A match of ``pattern`` at or after a random offset, wrapping round; None if none at all."""
    if not data:
        return None
    start = rng.randrange(len(data))
    return pattern.search(data, start) or pattern.search(data, 0)


def _splice(data: bytes, start: int, end: int, new: bytes) -> bytes:
    return data[:start] + new + data[end:]


def _short(b: bytes, limit: int = 24) -> str:
    text = b[:limit].decode("latin-1").encode("unicode_escape").decode("ascii")
    return text + ("..." if len(b) > limit else "")


# ---------------------------------------------------------------------------- byte level


def flip_bytes(data: bytes, rng: random.Random) -> Mutation | None:
    """XOR 1-16 bytes at random offsets with a non-zero mask (the length is kept)."""
    if not data:
        return None
    buf = bytearray(data)
    offsets = sorted({rng.randrange(len(buf)) for _ in range(rng.randint(1, 16))})
    for at in offsets:
        buf[at] ^= rng.randint(1, 255)
    shown = ",".join(map(str, offsets[:6])) + ("..." if len(offsets) > 6 else "")
    return bytes(buf), f"flip {len(offsets)} bytes at {shown}"


def truncate(data: bytes, rng: random.Random) -> Mutation | None:
    """Cut the file short: often in its last 2 KB (the xref and trailer), else anywhere."""
    if len(data) < 2:
        return None
    if rng.random() < 0.4:
        cut = rng.randrange(max(1, len(data) - 2048), len(data))
    else:
        cut = rng.randrange(1, len(data))
    return data[:cut], f"truncate to {cut} of {len(data)} bytes"


def duplicate_chunk(data: bytes, rng: random.Random) -> Mutation | None:
    """Copy a chunk (up to 64 KB) and insert it 1-8 times, at its own end or elsewhere."""
    if not data:
        return None
    size = min(len(data), rng.choice([1, 8, 64, 512, 4096, 65536]))
    size = rng.randint(1, size)
    start = rng.randrange(len(data) - size + 1)
    chunk = data[start : start + size]
    times = rng.choice([1, 1, 1, 2, 8])
    times = max(1, min(times, MAX_GROWTH // size))
    at = start + size if rng.random() < 0.5 else rng.randrange(len(data) + 1)
    return _splice(data, at, at, chunk * times), (
        f"duplicate {size} bytes from {start} x{times} at {at}"
    )


def havoc(data: bytes, rng: random.Random) -> Mutation | None:
    """Stand-in for libFuzzer's mutator where atheris is missing: erase, insert, overwrite."""
    steps = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["erase", "insert", "overwrite"])
        at = rng.randrange(len(data) + 1)
        n = rng.randint(1, 32)
        if kind == "erase":
            data = data[:at] + data[at + n :]
        elif kind == "insert":
            data = data[:at] + bytes(rng.randrange(256) for _ in range(n)) + data[at:]
        else:
            data = data[:at] + bytes(rng.randrange(256) for _ in range(n)) + data[at + n :]
        steps.append(f"{kind} {n}@{at}")
    return data, "havoc (atheris not installed): " + ", ".join(steps)


def libfuzzer_mutate(data: bytes, seed: int, rounds: int = 1, max_size: int | None = None) -> bytes:
    """Apply libFuzzer's mutator ``rounds`` times under ``-seed=seed``, in a forked helper.

    The helper is a fork of this process that imports atheris, starts ``atheris.Fuzz()`` (which
    ``Mutate`` needs), writes the result to a pipe and exits from inside the callback; nothing of
    libFuzzer stays loaded here. Raises RuntimeError if the helper fails.
    """
    limit = max_size if max_size is not None else len(data) + 4096
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the helper
        code = 3
        try:
            os.close(read_fd)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            import atheris

            def once(_unused: bytes) -> None:
                out = data
                for _ in range(rounds):
                    out = atheris.Mutate(out, limit)
                with os.fdopen(write_fd, "wb") as fh:
                    fh.write(out)
                os._exit(0)

            args = [sys.argv[0] or "fuzz", f"-seed={seed}", "-runs=2", "-rss_limit_mb=0"]
            atheris.Setup(args, once)
            atheris.Fuzz()
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        out = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the libFuzzer helper failed (status {status})")
    return out


def libfuzzer(data: bytes, rng: random.Random) -> Mutation | None:
    """The generic byte rung: libFuzzer's mutator (flips, erase, insert, copy part, integers)."""
    if not HAVE_ATHERIS:
        return havoc(data, rng)
    seed = rng.randrange(1, 2**31)
    rounds = rng.choice([1, 1, 2, 4, 8])
    out = libfuzzer_mutate(data, seed, rounds)
    return out, f"libfuzzer -seed={seed} x{rounds}"


# ---------------------------------------------------------------------------- PDF tokens

NUMBER = re.compile(rb"(?<![\w.#/+\-])[+\-]?(?:\d+\.?\d*|\.\d+)(?![\w.])")
HUGE = [
    b"2147483648",
    b"4294967296",
    b"9223372036854775808",
    b"99999999999999999999999999",
    b"1e308",
    b"340282366920938463463374607431768211456.5",
    b"999999999.999",
]
NEGATIVE = [b"-1", b"-2147483649", b"-0", b"-99999999999", b"-0.0001"]


def huge_number(data: bytes, rng: random.Random) -> Mutation | None:
    """Replace one number token with a huge value (past 32 and 64 bits, or 1e308)."""
    m = _pick(NUMBER, data, rng)
    if m is None:
        return None
    new = rng.choice(HUGE)
    return _splice(data, m.start(), m.end(), new), (
        f"number {_short(m.group())} at {m.start()} -> {new.decode()}"
    )


def negative_number(data: bytes, rng: random.Random) -> Mutation | None:
    """Replace one number token with a negative value (or its own negation)."""
    m = _pick(NUMBER, data, rng)
    if m is None:
        return None
    own = m.group().lstrip(b"+-")
    new = rng.choice([*NEGATIVE, b"-" + own])
    return _splice(data, m.start(), m.end(), new), (
        f"number {_short(m.group())} at {m.start()} -> {new.decode()}"
    )


KEYWORDS: dict[str, re.Pattern[bytes]] = {
    "obj": re.compile(rb"(?<=\d )obj(?![A-Za-z])"),
    "endobj": re.compile(rb"(?<![A-Za-z])endobj(?![A-Za-z])"),
    "stream": re.compile(rb"(?<![A-Za-z])stream(?![A-Za-z])"),
    "endstream": re.compile(rb"(?<![A-Za-z])endstream(?![A-Za-z])"),
    "xref": re.compile(rb"(?<![A-Za-z])xref(?![A-Za-z])"),
    "trailer": re.compile(rb"(?<![A-Za-z])trailer(?![A-Za-z])"),
    "startxref": re.compile(rb"(?<![A-Za-z])startxref(?![A-Za-z])"),
    "R": re.compile(rb"(?<=\d )R(?![A-Za-z])"),
    "<<": re.compile(rb"<<"),
    ">>": re.compile(rb">>"),
}


def drop_keyword(data: bytes, rng: random.Random) -> Mutation | None:
    """Delete one obj, endobj, stream, endstream, xref, trailer, startxref, R, << or >>."""
    names = list(KEYWORDS)
    rng.shuffle(names)
    for name in names:
        m = _pick(KEYWORDS[name], data, rng)
        if m is not None:
            return _splice(data, m.start(), m.end(), b""), f"drop {name} at {m.start()}"
    return None


XREF_ENTRY = re.compile(rb"(?m)^(\d{10}) (\d{5}) n")
STARTXREF = re.compile(rb"startxref\s+(\d+)")
PREV = re.compile(rb"/(?:Prev|XRefStm)\s+(\d+)")


def break_xref(data: bytes, rng: random.Random) -> Mutation | None:
    """Point an xref entry, startxref, /Prev or /XRefStm at a wrong offset."""
    choices = [p for p in (XREF_ENTRY, STARTXREF, PREV) if p.search(data)]
    if not choices:
        return None
    pattern = rng.choice(choices)
    m = _pick(pattern, data, rng)
    assert m is not None
    old = int(m.group(1))
    new = rng.choice(
        [0, 1, old + rng.randint(1, 40), max(0, old - rng.randint(1, 40)), len(data) + 100]
        + [len(data) - 1, 9_999_999_999, rng.randrange(max(1, len(data)))]
    )
    text = str(new).zfill(10).encode() if pattern is XREF_ENTRY else str(new).encode()
    if new == old:
        text = str(old + 7).zfill(len(m.group(1))).encode()
    what = {XREF_ENTRY: "xref entry", STARTXREF: "startxref", PREV: "/Prev or /XRefStm"}[pattern]
    return _splice(data, m.start(1), m.end(1), text), (
        f"{what} at {m.start(1)}: {old} -> {text.decode()}"
    )


LENGTH = re.compile(rb"/Length\s+(\d+)(\s+\d+\s+R)?")


def break_length(data: bytes, rng: random.Random) -> Mutation | None:
    """Change a stream's /Length: shorter, longer, zero, negative, huge, or another object."""
    m = _pick(LENGTH, data, rng)
    if m is None:
        return None
    old = int(m.group(1))
    if m.group(2):  # an indirect length: point it elsewhere, or make it direct
        new = rng.choice([b"1 0 R", b"99999 0 R", str(old + 1).encode() + b" 0 R", b"0", b"-1"])
        return _splice(data, m.start(1), m.end(2), new), (
            f"/Length {old}{m.group(2).decode()} at {m.start()} -> {new.decode()}"
        )
    new_value = rng.choice(
        [0, old - 1, old + 1, old // 2, old * 2 + 100, 999_999_999, -5, old + 10_000]
    )
    if new_value == old:
        new_value = old + 3
    new = str(new_value).encode()
    return _splice(data, m.start(1), m.end(1), new), (
        f"/Length {old} at {m.start()} -> {new.decode()}"
    )


NAME = re.compile(rb"/[A-Za-z][A-Za-z0-9_.+\-]*")
RAW_NON_UTF8 = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\x80\x80", b"\xfe\xff", b"\xed\xa0\x80"]
ESCAPED_NON_UTF8 = [b"#FF", b"#C3#28", b"#E2#82", b"#80", b"#ED#A0#80", b"#C0#AF"]


def non_utf8_name(data: bytes, rng: random.Random) -> Mutation | None:
    """Put bytes that are not UTF-8 into a name: raw high bytes or #xx escapes of them."""
    m = _pick(NAME, data, rng)
    if m is None:
        return None
    raw = rng.random() < 0.5
    insert = rng.choice(RAW_NON_UTF8 if raw else ESCAPED_NON_UTF8)
    at = rng.randint(m.start() + 1, m.end())
    return _splice(data, at, at, insert), (
        f"name {_short(m.group())} at {m.start()}: insert {_short(insert)}"
    )


# ---------------------------------------------------------------------------- structure

OBJ_HEADER = re.compile(rb"(?<![\d])(\d+) (\d+) obj\b")
REF = re.compile(rb"(?<![\d.])(\d+) (\d+) R(?![A-Za-z])")
STRUCT_KEYS = [
    b"Type",
    b"Pages",
    b"Kids",
    b"Count",
    b"Parent",
    b"MediaBox",
    b"CropBox",
    b"Resources",
    b"Contents",
    b"Font",
    b"XObject",
    b"Annots",
    b"Outlines",
    b"First",
    b"Last",
    b"Next",
    b"Prev",
    b"Dest",
    b"Names",
    b"StructTreeRoot",
    b"ParentTree",
    b"K",
    b"P",
    b"Pg",
    b"StructParents",
    b"MarkInfo",
    b"Lang",
    b"PageLabels",
    b"Nums",
    b"Filter",
    b"DecodeParms",
    b"Width",
    b"Height",
    b"BitsPerComponent",
    b"ColorSpace",
    b"Subtype",
    b"Rotate",
    b"AcroForm",
    b"Fields",
    b"Encrypt",
    b"Root",
    b"Info",
    b"Title",
]
KEY = re.compile(rb"/(" + b"|".join(STRUCT_KEYS) + rb")(?![A-Za-z0-9#])")
WRONG_VALUES = [
    b"null",
    b"0",
    b"-1",
    b"/Foo",
    b"[]",
    b"<<>>",
    b"(x)",
    b"[0 0 0]",
    b"true",
    b"99999 0 R",
    b"1 0 R",
    b"[1 0 R 1 0 R]",
    b"<< /Type /Pages /Kids [] /Count 5 >>",
    b"[0 0 1e308 -1e308]",
]
CYCLE_KEYS = re.compile(
    rb"/(Parent|Kids|First|Last|Next|Prev|P|K|Pg|Pages|Outlines|StructTreeRoot|ParentTree|Dest)"
    rb"(\s*\[?\s*)(\d+) (\d+) R"
)
CONTENT_OP = re.compile(
    rb"(?<=\s)(BT|ET|q|Q|BDC|BMC|EMC|cm|Tf|Do|Tj|TJ|gs|re|W|n|Tm|Td|BI|ID|EI)(?=\s)"
)


_TOKEN = re.compile(rb"[^\s/\[\]<>()%]*")


def _value_end(data: bytes, pos: int) -> int:
    """The end of the PDF value starting at ``pos`` (after whitespace), roughly; for deletion."""
    n = len(data)
    while pos < n and data[pos : pos + 1] in b" \t\r\n\f\x00":
        pos += 1
    if pos >= n:
        return n
    two = data[pos : pos + 2]
    one = data[pos : pos + 1]
    if two == b"<<" or one == b"[":
        open_, close = (b"<<", b">>") if two == b"<<" else (b"[", b"]")
        depth, i = 0, pos
        while i < n:
            if data.startswith(open_, i):
                depth += 1
                i += len(open_)
            elif data.startswith(close, i):
                depth -= 1
                i += len(close)
                if depth == 0:
                    return i
            elif data[i : i + 1] == b"(":
                i = _string_end(data, i)
            else:
                i += 1
        return n
    if one == b"(":
        return _string_end(data, pos)
    if one == b"<":
        end = data.find(b">", pos)
        return n if end < 0 else end + 1
    ref = REF.match(data, pos)
    if ref:
        return ref.end()
    m = _TOKEN.match(data, pos + (one == b"/"))
    return m.end() if m and m.end() > pos else pos + 1


def _string_end(data: bytes, pos: int) -> int:
    depth, i, n = 0, pos, len(data)
    while i < n:
        c = data[i : i + 1]
        if c == b"\\":
            i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def delete_key(data: bytes, rng: random.Random) -> Mutation | None:
    """Remove a structural dictionary entry (/Type, /Kids, /Count, /Parent, /K, /Length...)."""
    m = _pick(KEY, data, rng)
    if m is None:
        return None
    end = _value_end(data, m.end())
    return _splice(data, m.start(), end, b""), (
        f"delete /{m.group(1).decode()} {_short(data[m.end() : end].strip())} at {m.start()}"
    )


def replace_value(data: bytes, rng: random.Random) -> Mutation | None:
    """Give a structural dictionary entry a value of the wrong type or an absurd one."""
    m = _pick(KEY, data, rng)
    if m is None:
        return None
    end = _value_end(data, m.end())
    new = rng.choice(WRONG_VALUES)
    return _splice(data, m.end(), end, b" " + new), (
        f"/{m.group(1).decode()} {_short(data[m.end() : end].strip())} at {m.start()} "
        f"-> {new.decode()}"
    )


def retarget_reference(data: bytes, rng: random.Random) -> Mutation | None:
    """Point an indirect reference at another object, a missing one, object 0 or a wrong type."""
    m = _pick(REF, data, rng)
    if m is None:
        return None
    numbers = [int(h.group(1)) for h in OBJ_HEADER.finditer(data)] or [1]
    new_num = rng.choice(
        [rng.choice(numbers), rng.choice(numbers), max(numbers) + 1000, 0, 2**31, 1]
    )
    new = f"{new_num} {m.group(2).decode()} R".encode()
    if new == m.group():
        new = f"{new_num + 1} 0 R".encode()
    return _splice(data, m.start(), m.end(), new), (
        f"reference {m.group().decode()} at {m.start()} -> {new.decode()}"
    )


def make_cycle(data: bytes, rng: random.Random) -> Mutation | None:
    """Point /Parent, /Kids, /First, /Next, /K, /P... at the object that holds it (a cycle)."""
    m = _pick(CYCLE_KEYS, data, rng)
    if m is None:
        return None
    owner = None
    for h in OBJ_HEADER.finditer(data, max(0, m.start() - 200_000), m.start()):
        owner = h
    if owner is None:
        return None
    new = owner.group(1) + b" " + owner.group(2) + b" R"
    old = data[m.start(3) : m.end()]
    if old == new:
        return None
    return _splice(data, m.start(3), m.end(), new), (
        f"/{m.group(1).decode()} {old.decode()} at {m.start()} -> {new.decode()} (itself)"
    )


def content_operator(data: bytes, rng: random.Random) -> Mutation | None:
    """Delete, repeat or swap a content-stream operator (q Q BT ET BDC EMC cm Tf Do ...)."""
    m = _pick(CONTENT_OP, data, rng)
    if m is None:
        return None
    op = m.group()
    kind = rng.choice(["delete", "repeat", "swap"])
    if kind == "delete":
        new = b""
    elif kind == "repeat":
        new = op + b"\n" + op
    else:
        new = rng.choice([b"Q", b"ET", b"EMC", b"BT", b"q", b"Do", b"Tf", b"cm", b"BI", b"EI"])
    return _splice(data, m.start(), m.end(), new), (
        f"content operator {op.decode()} at {m.start()}: {kind}"
        + (f" -> {new.decode()}" if kind == "swap" else "")
    )


# ---------------------------------------------------------------------------- campaign use

OPERATORS: dict[str, Operator] = {
    "flip": flip_bytes,
    "truncate": truncate,
    "duplicate": duplicate_chunk,
    "libfuzzer": libfuzzer,
    "huge-number": huge_number,
    "negative-number": negative_number,
    "drop-keyword": drop_keyword,
    "xref-offset": break_xref,
    "length": break_length,
    "name-bytes": non_utf8_name,
    "delete-key": delete_key,
    "replace-value": replace_value,
    "reference": retarget_reference,
    "cycle": make_cycle,
    "content-op": content_operator,
}
# Byte-level rungs weigh more on the original bytes, PDF-aware ones on the uncompressed copy.
WEIGHTS = {
    "original": {
        "flip": 8,
        "truncate": 5,
        "duplicate": 5,
        "libfuzzer": 12,
        "huge-number": 6,
        "negative-number": 5,
        "drop-keyword": 6,
        "xref-offset": 6,
        "length": 6,
        "name-bytes": 4,
        "delete-key": 3,
        "replace-value": 3,
        "reference": 3,
        "cycle": 2,
        "content-op": 1,
    },
    "uncompressed": {
        "flip": 4,
        "truncate": 2,
        "duplicate": 4,
        "libfuzzer": 5,
        "huge-number": 8,
        "negative-number": 7,
        "drop-keyword": 7,
        "xref-offset": 3,
        "length": 6,
        "name-bytes": 6,
        "delete-key": 8,
        "replace-value": 9,
        "reference": 8,
        "cycle": 6,
        "content-op": 8,
    },
}


def mutate(data: bytes, rng: random.Random, *, variant: str = "original") -> Mutation:
    """Apply one to three operators drawn by ``rng``; return the bytes and what was done.

    The same ``rng`` state and ``data`` always give the same result. An operator that finds
    nothing to act on is replaced by another draw.
    """
    weights = WEIGHTS[variant]
    names = list(weights)
    count = rng.choices([1, 2, 3], weights=[5, 3, 2])[0]
    done: list[str] = []
    limit = len(data) + MAX_GROWTH
    for _ in range(count):
        for _try in range(8):
            name = rng.choices(names, weights=[weights[n] for n in names])[0]
            result = OPERATORS[name](data, rng)
            if result is not None:
                data, what = result
                data = data[:limit]
                done.append(f"{name}: {what}")
                break
    return data, "; ".join(done)


def uncompressed_copy(path: Path, password: str = "", max_bytes: int = 3_000_000) -> bytes | None:
    """The seed saved by pikepdf with streams decoded and no object streams, or None.

    Content streams are decoded (their line endings normalised), so the PDF-aware operators
    reach dictionaries and drawing operators instead of deflate data. Where decoding every stream
    would make the copy larger than ``max_bytes`` (image-heavy files), only object streams are
    unpacked; if that is still too large, or the file does not open, there is no copy.
    """
    import pikepdf

    try:
        with pikepdf.open(path, password=password) as pdf:
            for level in (pikepdf.StreamDecodeLevel.generalized, pikepdf.StreamDecodeLevel.none):
                out = io.BytesIO()
                pdf.save(
                    out,
                    compress_streams=False,
                    stream_decode_level=level,
                    object_stream_mode=pikepdf.ObjectStreamMode.disable,
                    normalize_content=level is pikepdf.StreamDecodeLevel.generalized,
                    deterministic_id=True,
                    encryption=False,
                )
                if out.tell() <= max_bytes:
                    return out.getvalue()
    except Exception:  # noqa: BLE001 - a seed that qpdf cannot rewrite has no copy
        return None
    return None
