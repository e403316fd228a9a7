"""The build manifest: pydantic models and :func:`load_manifest`, which reads it from YAML."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
import shlex
import typing
import unicodedata
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from dhrbuild.atomic import strerror
from dhrbuild.dates import parse_date, uk_long_date
from dhrbuild.errors import DhrbuildError, InputError, ManifestError, combine
from dhrbuild.inputs.action_plan.read import (
    PLAN_SUFFIXES,
    SHEET_SUFFIXES,
    TABLE_SUFFIXES,
    TextDateLoader,
    load_checked_plan,
    unreadable_kind,
)
from dhrbuild.order import AnnexStyle, annex_designator, own_designator
from dhrbuild.placeholders import is_placeholder, placeholder_problem
from dhrbuild.textfile import NotPlainText, decode_text

DEFAULT_MAX_BYTES = 20_000_000
"""The Home Office limit: strictly under 20 MB, read as 20,000,000 bytes (the stricter reading)."""

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_ESCAPED = {
    "\n": ("n", "a line break"),
    "\t": ("t", "a tab"),
    "\r": ("r", "a carriage return"),
    "\x00": ("0", "a NUL character"),
    "\x07": ("a", "a bell character"),
    "\x08": ("b", "a backspace"),
    "\x0b": ("v", "a vertical tab"),
    "\x0c": ("f", "a form feed"),
    "\x1b": ("e", "an escape character"),
    "\x85": ("N", "a line break"),
    "\u2028": ("L", "a line break"),
    "\u2029": ("P", "a paragraph break"),
}
"""The characters YAML makes of a backslash escape inside double quotes: its letter, its name."""

BACKSLASH_ESCAPE = (
    "inside double quotes a backslash starts an escape; write the path with / ({fixed}) or in "
    "single quotes"
)
"""The fix of a Windows path in double quotes, whose backslashes YAML reads as escapes."""


def _control_problem(text: str) -> str | None:
    r"""What is wrong with a path that holds a control character, most likely a YAML escape.

    ``"docs\new.pdf"`` in double quotes is read as ``docs``, a line break and ``ew.pdf``: the
    path is shown as it was most likely written, with the fix.
    """
    found = next((c for c in text if c in _ESCAPED or unicodedata.category(c) == "Cc"), None)
    if found is None:
        return None
    written = "".join(
        "\\" + _ESCAPED[c][0]
        if c in _ESCAPED
        else f"\\x{ord(c):02x}"
        if unicodedata.category(c) == "Cc"
        else c
        for c in text
    )
    name = _ESCAPED[found][1] if found in _ESCAPED else "a control character"
    fixed = re.sub(r"\\+", "/", written)
    return (
        f'the path "{written}" was read with {name} in it, almost surely a backslash read as '
        f"an escape: {BACKSLASH_ESCAPE.format(fixed=fixed)}"
    )


def _resolve(value: Path, info: ValidationInfo) -> Path:
    problem = _control_problem(str(value))
    if problem is not None:
        raise ValueError(problem)
    base = (info.context or {}).get("base_dir")
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    return path.resolve()


_MISSING = "input_missing"
"""The pydantic error type of an input file that is not there: an input problem, not the
manifest's (exit code 4, and the other inputs are still checked)."""


def _input_file(value: Path, info: ValidationInfo, *, part: bool = True) -> Path:
    path = _resolve(value, info)
    if (info.context or {}).get("check_files", True):
        problem = None
        if not path.exists():
            problem = "file not found"
        elif not path.is_file():
            problem = "is a folder, not a file"
        if problem is not None:
            if part:
                raise PydanticCustomError(
                    _MISSING, "{problem}", {"path": str(path), "problem": problem}
                )
            raise ValueError(
                f"{problem}: {path} (paths are relative to the manifest's folder)" + _slashes(value)
            )
    return path


NonEmpty = Annotated[str, Field(min_length=1)]

Date = Annotated[
    dt.date,
    WithJsonSchema(
        {
            "type": "string",
            "format": "dhrbuild-date",
            "examples": ["2026-10-01", "01/10/2026", "1 October 2026"],
        }
    ),
]
"""A date as the action plan takes it: ``2026-10-01``, ``01/10/2026``, ``1 October 2026``…
(read by :func:`dhrbuild.dates.parse_date`, the one home of the date forms)."""


def _date(value: object) -> object:
    return None if value is None else parse_date(value)


def _choice(value: object, choices: tuple[str, ...]) -> object:
    """``value`` as the one of ``choices`` it names in any case (``dhr`` is ``DHR``)."""
    if isinstance(value, str):
        for choice in choices:
            if value.strip().casefold() == choice.casefold():
                return choice
    return value


def _filled_in(value: object, fix: str) -> object:
    if is_placeholder(value):
        raise ValueError(placeholder_problem(fix))
    return value


_REVIEW_FILL_IN = {
    "title": "write the title readers will see, naming the victim by the pseudonym only",
    "pseudonym": "write the pseudonym the family agreed",
    "partnership": "write the Community Safety Partnership's name (it becomes the PDF's author)",
}


class Review(_Strict):
    """Who and what the review is: the fields that reach the PDF's metadata."""

    title: NonEmpty = Field(
        description="The document title (Info /Title and XMP dc:title). Use the pseudonym only.",
        examples=["Domestic Homicide Review: the death of Alex"],
    )
    pseudonym: NonEmpty = Field(description="The pseudonym used for the victim.", examples=["Alex"])
    partnership: NonEmpty = Field(
        description="The Community Safety Partnership; becomes the PDF author.",
        examples=["Northshire Community Safety Partnership"],
    )
    language: str = Field(
        default="en-GB", description="BCP 47 language tag of the document.", examples=["en-GB"]
    )
    kind: Literal["DHR", "DARDR"] = Field(
        default="DHR",
        description="Domestic Homicide Review (DHR) or Domestic Abuse Related Death Review "
        "(DARDR).",
    )
    date: Date | None = Field(
        default=None,
        description="Publication date, written as the PDF's creation and modification date "
        "(2026-11-02, 02/11/2026 or 2 November 2026). Left out, the PDF carries no date (the "
        "build stays reproducible either way).",
    )

    @field_validator("title", "pseudonym", "partnership", mode="before")
    @classmethod
    def _not_placeholder(cls, value: object, info: ValidationInfo) -> object:
        return _filled_in(value, _REVIEW_FILL_IN[str(info.field_name)])

    @field_validator("date", mode="before")
    @classmethod
    def _uk_date(cls, value: object) -> object:
        return _date(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return _choice(value, ("DHR", "DARDR"))

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _BCP47.match(value):
            raise ValueError(f"{value!r} is not a BCP 47 language tag such as en-GB or cy-GB")
        parts = value.split("-")
        region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
        if region is not None and region.upper() == "UK":
            fixed = "-".join("GB" if p is region else p for p in parts)
            raise ValueError(
                f"{value!r}: UK is not a region code; the United Kingdom's is GB: write {fixed}"
            )
        return value


_KIND_WORDS = {
    "DHR": "Domestic Homicide Review",
    "DARDR": "Domestic Abuse Related Death Review",
}


def kind_title_warnings(review: Review) -> list[str]:
    """Warn when review.kind and the words of review.title name different kinds of review.

    Args:
        review: The manifest's review.

    Returns:
        One line naming both keys and the fix, or nothing when they agree.
    """
    title = " ".join(review.title.casefold().split())
    other = next((k for k in _KIND_WORDS if k != review.kind), review.kind)
    if _KIND_WORDS[other].casefold() not in title:
        return []
    return [
        f"review.title says '{_KIND_WORDS[other]}' but review.kind is {review.kind} "
        f"('{_KIND_WORDS[review.kind]}', the PDF's subject); set review.kind: {other}, "
        "or correct the title"
    ]


def review_date_warnings(manifest: Manifest, *, today: dt.date | None = None) -> list[str]:
    """Warn of a ``review.date`` that cannot be the publication date as written.

    ``review.date`` is the publication date, written into the PDF. It cannot precede
    ``action_plan.as_at``: the review is published after the date its plan's updates are
    current to. A date after today may be the day it will be published, but is more often a
    mistyped year, as an ``as_at`` after today is.

    Args:
        manifest: The validated manifest.
        today: Today's date (for tests); the local date if not given.

    Returns:
        One line per problem, naming both keys and the fix; nothing without a date.
    """
    date = manifest.review.date
    if date is None:
        return []
    today = today or dt.date.today()
    as_at = manifest.action_plan.as_at
    said = f"review.date {uk_long_date(date)}"
    # 02/11 read as 2 February when 2 November was meant: offered only when it fits.
    swapped = None
    if date.day <= 12 and date.day != date.month:
        swapped = date.replace(day=date.month, month=date.day)
        if not as_at <= swapped <= today:
            swapped = None
    hint = (
        f"if its day and month are swapped, write {swapped:%d/%m/%Y} ({uk_long_date(swapped)}); "
        "otherwise "
        if swapped is not None
        else ""
    )
    if date < as_at:
        return [
            f"{said} is before action_plan.as_at ({uk_long_date(as_at)}), but a review is "
            f"published after the date its action plan's updates are current to: {hint}check "
            "the year of review.date (or of as_at)"
        ]
    if date > today:
        return [
            f"{said} is after today ({uk_long_date(today)}): if the review will be published "
            f"that day, that is fine; {hint or 'otherwise '}check its year"
        ]
    return []


_GENERIC_NAME_WORDS = frozenset({
    "a", "an", "and", "the", "of", "in", "into", "for", "to", "on", "by", "with", "from", "at",
    "v", "version", "final", "draft", "drafts", "report", "reports", "publication", "publications",
    "published", "publish", "review", "reviews", "dhr", "dhrs", "dardr", "dardrs", "death",
    "deaths", "domestic", "homicide", "abuse", "related", "overview", "executive", "summary",
    "annex", "annexes", "appendix", "appendices", "action", "plan", "letter", "qa", "panel",
    "home", "office", "full", "web", "website", "online", "accessible", "copy", "signed",
    "redacted", "anonymised", "anonymized", "merged", "combined", "document", "documents", "pack",
    "output", "build", "built", "pdf", "submission", "submitted", "csp", "partnership",
    "community", "safety", "safer", "council", "borough", "city", "county", "district", "new",
    "latest", "revised", "amended", "updated", "update", "clean", "print", "printable", "dates",
    "date", "case", "ua", "pdfua", "no", "number", "public", "out", "outputs", "result", "results",
    "test", "tests", "example", "examples", "sample", "demo", "done", "check", "checks", "first",
    "second", "third", "file", "files", "temp", "tmp", "old", "main", "rev", "issue", "edition",
    "proof", "approved", "tagged", "compressed", "small", "reduced", "optimised", "optimized",
    "finalised", "finalized", "reviewed", "gov", "uk", "english", "welsh", "en", "cy", "gb",
})  # fmt: skip
"""Words of an output file's name that name no review (``dhr``, ``final``, ``v2`` is a number)."""
_MONTH_WORDS = frozenset(
    w
    for m in range(1, 13)
    for w in (
        dt.date(2000, m, 1).strftime("%B").lower(),
        dt.date(2000, m, 1).strftime("%b").lower(),
    )
) | {"sept"}


def _name_words(text: str) -> list[str]:
    """``text``'s words, folded (accents, case) as file names and pseudonyms are compared."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain.casefold())


def output_name_warnings(manifest: Manifest) -> list[str]:
    """Warn of an output file name that names some other review: a manifest copied from one.

    ``dhrbuild init`` names the output after the pseudonym (``dist/kim-publication.pdf``),
    and the submission pack and its e-mail drafts are named after the output (the web
    address the officer gives is checked against it). A name without the pseudonym
    (compared without accents or case) that holds another word, not a generic one
    (``publication``, ``dhr``, ``final``, ``v2``, a month, a word of the partnership's
    name), is most often the review it was copied from.

    Args:
        manifest: The validated manifest.

    Returns:
        One line naming output.path, the pseudonym and the name to give it, or nothing.
    """
    path = manifest.output.path
    review = manifest.review
    words = _name_words(path.stem)
    own = "".join(_name_words(review.pseudonym))
    # The pseudonym's words in a row, however they are split: d-arcy-dj for D'Arcy DJ.
    if own and any(
        "".join(words[i:j]) == own for i in range(len(words)) for j in range(i + 1, len(words) + 1)
    ):
        return []
    known = _GENERIC_NAME_WORDS | _MONTH_WORDS | set(_name_words(review.partnership))
    others = [w for w in words if w not in known and len(w) > 1 and not any(c.isdigit() for c in w)]
    if not others:
        return []
    slug = output_slug(review.pseudonym) or "publication"
    # The other word's place is the pseudonym's: northshire-dhr-alex-final.pdf, kim's.
    stem = re.sub(
        rf"(?<![^\W_]){re.escape(others[0])}(?![^\W_])",
        slug,
        path.stem,
        count=1,
        flags=re.IGNORECASE,
    )
    fixed = (
        f"{stem}{path.suffix}"
        if len(others) == 1 and stem != path.stem
        else f"{slug}-publication.pdf"
    )
    return [
        f"output.path {path.name} does not name the review's pseudonym {review.pseudonym}: did "
        "you copy this manifest from another review? The submission pack and its e-mail drafts "
        f"are named after it; name it {fixed}"
    ]


def limit_warnings(limit: int, key: str = "output.max_bytes") -> list[str]:
    """Warn of a size limit above the Home Office's: a file that passes it may be refused.

    Args:
        limit: The limit the build keeps to, in bytes.
        key: Where it was set (``output.max_bytes``, or ``--max-bytes``).

    Returns:
        One line when ``limit`` is above :data:`DEFAULT_MAX_BYTES`, else nothing.
    """
    if limit <= DEFAULT_MAX_BYTES:
        return []
    return [
        f"{key} is {limit:,} bytes, above the Home Office's limit of {DEFAULT_MAX_BYTES:,}: a "
        f"PDF of {DEFAULT_MAX_BYTES:,} bytes or more may be refused; keep it at "
        f"{DEFAULT_MAX_BYTES} unless the Home Office has agreed to a larger file"
    ]


def plan_table(value: object) -> int | None:
    """``action_plan.table`` as every reader of the manifest reads it: a number from 1.

    The manifest's model, its own check of the plan and ``dhrbuild serve`` read the value
    through this one function, so that each reads the same table of the document.

    Args:
        value: The value as written: ``2``, or ``"2"`` (quoted, or typed into a form).

    Returns:
        The table's number, counting from 1; ``None`` when the value is none (left out, or
        not a number from 1, which the manifest's model refuses).
    """
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


class ActionPlanSource(_Strict):
    """The action plan annex: a plan that dhrbuild reads and draws, or a finished PDF."""

    source: Path = Field(
        description="action-plan.yaml, .yml, .csv, a workbook (.xlsx, .xls, .ods) or the Word "
        "or OpenDocument document (.docx, .odt) whose table is the plan, drawn by dhrbuild; or "
        "a .pdf used as it is."
    )
    sheet: str | None = Field(
        default=None,
        description="The worksheet of a workbook plan (.xlsx, .xls, .ods); default the first "
        "sheet whose header row names the plan's columns.",
        examples=["Action plan"],
    )
    table: int | None = Field(
        default=None,
        description="The table of a Word or OpenDocument plan, counting the document's tables "
        "from 1; default the first whose header row names the plan's columns.",
        examples=[2],
    )
    as_at: Date = Field(
        description="The date the implementation updates are current to (2026-10-01, "
        "01/10/2026 or 1 October 2026)."
    )
    missing_updates: Literal["error", "warn"] = Field(
        default="error",
        description="What an action that is not complete and has no dated update is: "
        "an error (default) or a warning.",
    )

    @field_validator("missing_updates", mode="before")
    @classmethod
    def _severity(cls, value: object) -> object:
        return _choice(value, ("error", "warn"))

    @field_validator("as_at", mode="before")
    @classmethod
    def _as_at(cls, value: object) -> object:
        fix = "write the date the implementation updates are current to, e.g. 01/10/2026"
        return _date(_filled_in(value, fix))

    @field_validator("table", mode="before")
    @classmethod
    def _table(cls, value: object) -> object:
        number = plan_table(value)
        if value is None or number is not None:
            return number
        raise ValueError(
            f"{value!r} is not a table's number; write the number of the plan's table in the "
            "document, counting from 1 (table: 2)"
        )

    @field_validator("source")
    @classmethod
    def _source(cls, value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if path.suffix.lower() not in {*PLAN_SUFFIXES, ".pdf"}:
            raise ValueError(f"{path.name}: {unreadable_kind(path)}")
        return _input_file(value, info)

    @model_validator(mode="after")
    def _sheet_only_for_xlsx(self) -> ActionPlanSource:
        suffix = self.source.suffix.lower()
        if self.sheet is not None and suffix not in SHEET_SUFFIXES:
            raise ValueError(
                f"sheet: only a workbook action plan (.xlsx, .xls or .ods) has sheets; remove "
                f"it, or give the workbook as source (not {self.source.name})"
            )
        if self.table is not None and suffix not in TABLE_SUFFIXES:
            raise ValueError(
                f"table: only a Word or OpenDocument action plan (.docx or .odt) has tables; "
                f"remove it, or give the document as source (not {self.source.name})"
            )
        return self


#: File types a part may be given in: PDF, or a document that LibreOffice converts to PDF.
PART_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf")

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PartFile(_Strict):
    """One input document: a path, or a mapping naming the path and where its password is."""

    file: Path = Field(description="The document: .pdf, or .docx/.doc/.odt/.rtf to convert.")
    password_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding the PDF's password "
        "(never the password itself).",
        examples=["QA_LETTER_PASSWORD"],
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_path(cls, data: Any) -> Any:
        if isinstance(data, str | Path):
            return {"file": data}
        return data

    @field_validator("file")
    @classmethod
    def _file(cls, value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if path.suffix.lower() not in PART_SUFFIXES:
            raise ValueError(
                f"{path.name}: expected a .pdf file (or .docx, .doc, .odt or .rtf to convert)"
            )
        return _input_file(value, info)

    @field_validator("password_env")
    @classmethod
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an environment variable name; give the variable's name, "
                "never the password itself"
            )
        return value


class Annex(_Strict):
    """A further annex, placed after the action plan and before the QA Panel letter."""

    title: NonEmpty = Field(
        description="The annex's title, after its designator: 'Annex B: Glossary'.",
        examples=["Glossary"],
    )
    file: PartFile = Field(description="The annex document (a path or {file, password_env}).")
    password_env: str | None = Field(
        default=None,
        description="The same as file.password_env, written beside title and file: the name "
        "of the environment variable holding the PDF's password.",
        examples=["GLOSSARY_PASSWORD"],
    )

    @model_validator(mode="before")
    @classmethod
    def _password_beside_file(cls, data: Any) -> Any:
        # {title, file: x.pdf, password_env: NAME} is how people write it: the password
        # belongs to the file, so it moves there.
        if not isinstance(data, dict) or data.get("password_env") is None:
            return data
        file = data.get("file")
        if isinstance(file, dict):
            if file.get("password_env") is not None:
                raise ValueError(
                    "password_env is given twice, beside file and under it; keep the one under file"
                )
            file = {**file, "password_env": data["password_env"]}
        elif isinstance(file, str | Path):
            file = {"file": file, "password_env": data["password_env"]}
        else:
            return data
        return {**data, "file": file, "password_env": None}


class Output(_Strict):
    """Where the publication PDF goes and the limits it must meet."""

    path: Path = Field(
        default=Path("dist/publication.pdf"),
        validate_default=True,
        description="The output PDF, relative to the manifest's folder.",
    )
    max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        gt=0,
        description="The build fails if the output is this many bytes or more.",
    )
    annex_style: AnnexStyle = Field(
        default=AnnexStyle.ANNEX,
        description="'annex' (Annex A, B, …) or 'appendix' (Appendix 1, 2, …).",
    )
    compression: Literal["fit", "lossless"] = Field(
        default="fit",
        description="'fit': lossless first, then, only if the file is still too large, images "
        "re-encoded and downsampled step by step, least loss first, until it fits (text, vector "
        "drawing and fonts are never changed). 'lossless': never change an image; fail if the "
        "lossless file is too large.",
    )
    min_dpi: float = Field(
        default=150.0,
        ge=50,
        le=1200,
        description="The 'fit' ladder never downsamples an image below this resolution, "
        "measured where the image is drawn on the page.",
    )

    @field_validator("annex_style", "compression", mode="before")
    @classmethod
    def _word(cls, value: object) -> object:
        return _choice(value, ("annex", "appendix", "fit", "lossless"))

    @field_validator("path", mode="before")
    @classmethod
    def _folder(cls, value: object, info: ValidationInfo) -> object:
        # "dist/" would reach _path as "dist", its slash (the sign of a folder) lost.
        if not isinstance(value, str) or not value.strip():
            return value
        text = value.strip()
        with_slash = text if text.endswith(("/", "\\")) else f"{text}/"
        if text != with_slash and not _resolve(Path(text), info).is_dir():
            return value
        pseudonym = (info.context or {}).get("pseudonym")
        named = isinstance(pseudonym, str) and not is_placeholder(pseudonym)
        stem = output_slug(str(pseudonym)) if named else ""
        name = f"{stem}-publication.pdf" if stem else "publication.pdf"
        example = with_slash.replace("\\", "/") + name
        raise ValueError(
            f"{with_slash} is a folder; give a file name ending in .pdf, e.g. {example}"
        )

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if path.suffix.lower() != ".pdf":
            raise ValueError(f"{path.name}: the output file name must end in .pdf")
        return path


def output_slug(name: str) -> str:
    """``name`` as part of a file name: lower case, each run of other characters one hyphen.

    ``D'Arcy "DJ"`` becomes ``d-arcy-dj``, as ``dhrbuild init`` names the output after the
    pseudonym (``dist/d-arcy-dj-publication.pdf``).
    """
    plain = "".join(c if c.isalnum() else "-" for c in name.lower())
    return re.sub(r"-{2,}", "-", plain).strip("-")


HOME_OFFICE_MAILBOX = "DHREnquiries@homeoffice.gov.uk"
COMMISSIONER_MAILBOX = "DHR@domesticabusecommissioner.independent.gov.uk"
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Recipients(_Strict):
    """Where the submission emails go; the defaults are the mailboxes named in the QA letter."""

    home_office: str = Field(
        default=HOME_OFFICE_MAILBOX, description="The Home Office DHR enquiries mailbox."
    )
    commissioner: str = Field(
        default=COMMISSIONER_MAILBOX,
        description="The Domestic Abuse Commissioner's DHR mailbox (statutory copy).",
    )
    sender: str | None = Field(
        default=None, description="The CSP mailbox the drafts are sent from (optional)."
    )

    @field_validator("home_office", "commissioner", "sender")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value


class Checks(_Strict):
    """Publication checks of the inputs as they are opened and of the PDF before it is written."""

    deny_list: Path | None = Field(
        default=None,
        description="A private file of real names, dates of birth and addresses, one a line, "
        "kept outside the repository; the build fails if any appears in the output. "
        "Without it, the DHRBUILD_DENY_LIST environment variable names the file.",
        examples=["../private/real-names.txt"],
    )
    hidden_text: Literal["error", "warn"] = Field(
        default="error",
        description="What extractable text that cannot be seen (under a box, white on white, "
        "invisible) is: an error (default) or a warning.",
    )
    letter: Literal["error", "warn"] = Field(
        default="error",
        description="What a qa_letter that does not read as the Home Office QA Panel's letter, "
        "or another part that does, is: an error (default) or a warning, for a letter in an "
        "unusual form. A letter with no text to read (a scan) is only ever a warning.",
    )
    duplicates: Literal["error", "warn"] = Field(
        default="error",
        description="What two parts that are the same document (the same path, "
        "byte-identical files, or files with the same text), or two annexes with the same "
        "title, are: an error (default) or a warning, for a deliberate repeat.",
    )

    @field_validator("hidden_text", "letter", "duplicates", mode="before")
    @classmethod
    def _severity(cls, value: object) -> object:
        return _choice(value, ("error", "warn"))

    @field_validator("deny_list")
    @classmethod
    def _deny_list(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        # Only the path is checked here; the contents are private and never quoted.
        return _input_file(value, info, part=False)


class Manifest(_Strict):
    """A whole build: the review, its parts in any order of keys, and the output."""

    version: Literal[1] = Field(description="Manifest format version; this dhrbuild reads 1.")
    review: Review
    executive_summary: PartFile = Field(description="The executive summary document.")
    report: PartFile = Field(description="The overview report document.")
    action_plan: ActionPlanSource
    annexes: list[Annex] = Field(
        default_factory=list,
        description="Further annexes, in this order, after the action plan and before the letter.",
    )
    qa_letter: PartFile = Field(
        description="The Home Office QA Panel letter; always the last annex."
    )
    output: Output = Field(
        default_factory=lambda: Output.model_validate({}), validate_default=False
    )
    recipients: Recipients = Field(
        default_factory=Recipients, description="Who the submission emails are addressed to."
    )
    checks: Checks = Field(
        default_factory=Checks,
        description="Publication safety checks: the private deny list, and how severe hidden "
        "text, a letter that does not read as one and a repeated part are.",
    )
    base_dir: Path | None = Field(default=None, exclude=True, description="Set by load_manifest.")

    @field_validator("annexes")
    @classmethod
    def _no_designators(cls, value: list[Annex], info: ValidationInfo) -> list[Annex]:
        # Refused, not stripped: the officer's own numbering may be the wrong one, and the
        # report's text would then refer to the annex by it too.
        style = (info.context or {}).get("annex_style", AnnexStyle.ANNEX)
        errors = [
            InitErrorDetails(
                type=PydanticCustomError("annex_designator", problem),
                loc=(i, "title"),
                input=annex.title,
            )
            for i, annex in enumerate(value)
            if (problem := _designator_problem(annex.title, i, style)) is not None
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_output(cls, data: Any) -> Any:
        # An absent output section still resolves its default path against the manifest.
        if isinstance(data, dict) and "output" not in data:
            data = {**data, "output": {}}
        return data

    def input_paths(self) -> list[Path]:
        """Return every input file of the build, in publication order."""
        paths = [self.executive_summary.file, self.report.file, self.action_plan.source]
        paths += [a.file.file for a in self.annexes]
        paths.append(self.qa_letter.file)
        return paths

    def part_files(self) -> list[PartFile | ActionPlanSource]:
        """Return every part's input in publication order (the action plan third)."""
        return [
            self.executive_summary,
            self.report,
            self.action_plan,
            *(a.file for a in self.annexes),
            self.qa_letter,
        ]


def _designator_problem(title: str, index: int, style: AnnexStyle) -> str | None:
    """What is wrong with an annex title that carries a designator of its own, if it does.

    Args:
        title: The title of the annex at ``index`` (counted from 0) of ``annexes``.
        index: Its place among the further annexes (the action plan is the annex before).
        style: ``output.annex_style``.

    Returns:
        The problem and its fix, or ``None``.
    """
    found = own_designator(title)
    if found is None:
        return None
    written, rest = found
    word = "Annex" if style is AnnexStyle.ANNEX else "Appendix"
    ours = f"{word} {annex_designator(style, index + 1)}"
    fix = f"write only the title, {rest!r}" if rest else "write only the annex's own title"
    other = "appendix" if style is AnnexStyle.ANNEX else "annex"
    if written.casefold().startswith(other):
        named = "Appendix 1, 2, …" if other == "appendix" else "Annex A, B, …"
        fix += f" (and for {named} set output.annex_style: {other})"
    return (
        f"starts with {written!r}; dhrbuild numbers the annexes itself (this one is {ours}): {fix}"
    )


_NOT_A_DATE = "not a date; write it as DD/MM/YYYY, 1 October 2026 or YYYY-MM-DD"
_FRIENDLY = {
    "extra_forbidden": "unknown key; check its spelling and indentation",
    "missing": "required key is missing",
    "date_from_datetime_parsing": _NOT_A_DATE,
    "date_parsing": _NOT_A_DATE,
    "date_type": _NOT_A_DATE,
    "string_too_short": "must not be empty",
    "list_type": "must be a list: each item on its own line, starting with '- '",
    "string_type": "is not text; put it in straight quotes (\" or ')",
}


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _key(err: Any, data: Any) -> str:
    """The key path of an error as the user reads it: lists counted from 1, as the plan's are."""
    parts = tuple(err["loc"])
    if parts and parts[-1] == "file" and isinstance(_at(data, parts[:-1]), str):
        parts = parts[:-1]  # a part given as a bare path: name it as the user wrote it
    return ".".join(str(p + 1) if isinstance(p, int) else str(p) for p in parts) or "(top level)"


_SECTIONS: dict[str, type[BaseModel]] = {
    m.__name__: m
    for m in (Review, ActionPlanSource, PartFile, Annex, Output, Recipients, Checks, Manifest)
}
"""The manifest's sections by class name, as pydantic's ``model_type`` errors name them."""


def _one_of(err: Any) -> str:
    """What to write instead of a value that is not one of the allowed words."""
    words = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    value = err.get("input")
    said = f"{value!r} is not allowed"
    if isinstance(value, bool):  # YAML reads yes, no, on and off as true or false
        said = (
            f"{str(value).lower()} (YAML reads yes, no, on and off as true or false) is not allowed"
        )
    return f"{said}; write one of: {', '.join(words)}" if words else str(err["msg"])


def _whole_number(err: Any) -> str:
    """What to write instead of a number with commas, spaces or a decimal point."""
    value = err.get("input")
    digits = re.sub(r"[,_\s]", "", str(value))
    if isinstance(value, str) and digits.isdigit():
        return (
            f"{value!r} is not a number as written; write a whole number without commas: {digits}"
        )
    return f"{value!r} is not a whole number; write digits only, without commas, e.g. 20000000"


def _section(err: Any, loc: str) -> str:
    """What to write instead of a bare value where a section of keys belongs."""
    model = _SECTIONS.get(str((err.get("ctx") or {}).get("class_name")))
    value = err.get("input")
    if model is None:
        return f"must be a section of keys, not {value!r}"
    keys = [name for name, field in model.model_fields.items() if field.is_required()]
    if not keys:
        every = ", ".join(name for name in model.model_fields if name != "base_dir")
        return (
            f"is a section of keys ({every}), not a bare value {value!r}: write `{loc}:` alone "
            "on its line and the keys you need indented under it"
        )
    path_key = next((k for k in ("file", "source") if k in keys), None)
    examples = []
    for key in keys:
        if key == path_key and isinstance(value, str):
            examples.append(f"{key}: {value}")
        elif key == "title" and isinstance(value, str) and value.strip():
            title = Path(value).stem.replace("_", " ").replace("-", " ").strip()
            examples.append(f"title: {title[:1].upper()}{title[1:] or '...'}")
        else:
            examples.append(f"{key}: ...")
    listed = ", ".join(keys)
    if err["loc"] and isinstance(err["loc"][-1], int):
        # A list item: the first key follows the dash, the others line up under it.
        item = model.__name__.lower()
        what = f"an {item}" if item[:1] in "aeiou" else f"a {item}"
        written = f"`- {examples[0]}`" + "".join(
            f" and, on the next line under it, `{e}`" for e in examples[1:]
        )
        listed = ", ".join(f"{k}: ..." for k in keys)
        return f"{what} is {{{listed}}}, not a bare value {value!r}: write {written}"
    written = " and ".join(f"`{e}`" for e in examples)
    return (
        f"is a section of keys ({listed}), not a bare value {value!r}: write `{loc}:` alone "
        f"on its line and, indented under it, {written}"
    )


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The section (model) a field's type holds: itself, or inside a list or ``| None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if (found := _model_in(arg)) is not None:
            return found
    return None


def _unknown_key(err: Any) -> str:
    """An unknown key's problem: with the key it most likely means (``qa-letter``: qa_letter)."""
    *where, key = tuple(err["loc"]) or ("",)
    model: type[BaseModel] | None = Manifest
    for part in where:
        if model is None:
            break
        if not isinstance(part, int):  # a list's item is the list's own section
            field = model.model_fields.get(str(part))
            model = _model_in(field.annotation) if field is not None else None
    keys = [k for k in (model.model_fields if model is not None else {}) if k != "base_dir"]
    typed = str(key).strip().lower()
    near = [k for k in keys if k == re.sub(r"[-\s]+", "_", typed)]
    near = near or difflib.get_close_matches(typed, keys, n=1, cutoff=0.6)
    if near:
        return f"unknown key; did you mean {near[0]}? (check its spelling and indentation)"
    return _FRIENDLY["extra_forbidden"]


def _describe(err: Any, data: Any) -> str:
    loc = _key(err, data)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{loc}: {_unknown_key(err)}"
    if loc == "version" and kind == "literal_error":
        msg = f"unsupported manifest version {err.get('input')!r}; this dhrbuild reads version: 1"
    elif kind == "value_error":
        msg = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
    elif kind in ("literal_error", "enum"):
        msg = _one_of(err)
    elif kind in ("int_parsing", "int_from_float", "int_type"):
        msg = _whole_number(err)
    elif kind in ("float_parsing", "float_type"):
        msg = f"{err.get('input')!r} is not a number; write digits only, e.g. 150"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        msg = _section(err, loc)
    else:
        msg = _FRIENDLY.get(kind, err["msg"])
    return f"{loc}: {msg}"


def manifest_from_dict(
    data: Any, base_dir: Path, *, source: str = "manifest", check_files: bool = True
) -> Manifest:
    """Validate a manifest given as plain data, resolving paths against ``base_dir``.

    Args:
        data: The parsed manifest (a mapping).
        base_dir: The folder relative paths resolve against.
        source: How to name the manifest in error messages.
        check_files: Whether to look for the input files, so that the error of an invalid
            manifest lists the missing ones too. A missing input in an otherwise valid
            manifest is not the manifest's problem: :func:`dhrbuild.validate` and
            :func:`dhrbuild.assemble` report it (exit code 4) with every other input's.

    Returns:
        The validated manifest.

    Raises:
        DhrbuildError: A :class:`ManifestError` listing every problem at once, one line each
            with its key path (lists counted from 1); or, with missing input files or action
            plan problems found as well, a :class:`~dhrbuild.errors.ProblemsError` listing
            them all, with the manifest's exit code 3.
    """
    if not isinstance(data, dict):
        raise ManifestError(source, ["the manifest must be a mapping of keys (version, review, …)"])
    base = Path(base_dir).resolve()
    review = data.get("review")
    # output.path's messages give an example named as init names it, after the pseudonym.
    pseudonym = review.get("pseudonym") if isinstance(review, dict) else None
    # The annexes' titles are checked against the designators dhrbuild gives them.
    output = data.get("output")
    style = output.get("annex_style") if isinstance(output, dict) else None
    annex_style = (
        AnnexStyle.APPENDIX if _choice(style, ("appendix",)) == "appendix" else AnnexStyle.ANNEX
    )
    problems: list[str] = []
    missing: list[DhrbuildError] = []
    manifest: Manifest | None = None
    for check in (check_files, False) if check_files else (False,):
        try:
            manifest = Manifest.model_validate(
                data,
                context={
                    "base_dir": base,
                    "check_files": check,
                    "pseudonym": pseudonym,
                    "annex_style": annex_style,
                },
            )
            break
        except ValidationError as exc:
            for e in exc.errors():
                if e["type"] == _MISSING:
                    missing.append(_missing_input(e, data, source))
                elif (line := _describe(e, data)) not in problems:
                    problems.append(line)
        if problems:
            break
        # Only input files are missing: the manifest itself is valid, and validate() and
        # assemble() report the missing files with every other input's problems.
    if problems or manifest is None:
        errors: list[DhrbuildError] = [ManifestError(source, problems)] if problems else []
        errors += [*missing, *_plan_problems(data, base)]
        raise combine(errors) or ManifestError(source, ["not a valid manifest"])
    return manifest.model_copy(update={"base_dir": base})


def _missing_input(err: Any, data: Any, source: str) -> InputError:
    """A part's file is not there: one line naming the file, its key and the fix."""
    ctx = err.get("ctx") or {}
    return missing_input(ctx.get("path", "?"), _key(err, data), source, ctx.get("problem", ""))


def missing_input(
    path: object, key: str, source: str, problem: str = "file not found"
) -> InputError:
    """Return the error for an input file that is not there, naming its manifest key.

    Args:
        path: The file, resolved against the manifest's folder.
        key: Its key path in the manifest (``annexes.1.file``).
        source: How to name the manifest (its path).
        problem: What is wrong: ``file not found`` or ``is a folder, not a file``.

    Returns:
        An :class:`InputError` (exit code 4).
    """
    folder = problem == "is a folder, not a file"
    beside = None if folder else _same_name_beside(Path(str(path)), key)
    if beside is not None:
        return InputError(
            path,
            f"{problem or 'file not found'} ({key} in {source}), but {beside} is there: give "
            f"that name in the manifest",
        )
    return InputError(
        path,
        f"{problem or 'file not found'} ({key} in {source}); put the file there, or correct "
        f"the path, which is relative to the manifest's folder{_slashes(path)}",
    )


_PART_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf")
"""What a part may be (dhrbuild.inputs.word converts all but the PDF)."""
_PLAN_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx", ".pdf")


def _same_name_beside(path: Path, key: str) -> str | None:
    """The name of a file beside a missing input with its name and another accepted suffix."""
    accepted = _PLAN_SUFFIXES if key.startswith("action_plan") else _PART_SUFFIXES
    for suffix in accepted:
        if suffix == path.suffix.lower():
            continue
        with contextlib.suppress(OSError, ValueError):
            other = path.with_suffix(suffix)
            if other.is_file():
                return other.name
    return None


def _slashes(path: object) -> str:
    """The hint for a path written the Windows way, with backslashes between folders."""
    text = str(path)
    if "\\" not in text:
        return ""
    return f" (use / between folders, not \\: write {Path(text).name.replace(chr(92), '/')})"


def _plan_problems(data: dict[str, Any], base: Path) -> list[DhrbuildError]:
    """The action plan's own problems, read even when the manifest is invalid (one run, both)."""
    spec = data.get("action_plan")
    if not isinstance(spec, dict) or not isinstance(spec.get("source"), str):
        return []
    path = (base / Path(spec["source"]).expanduser()).resolve()
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES or not path.is_file():
        return []
    # A sheet or table named for another kind of file, or a table number that is no number, is
    # the manifest's problem, said once there.
    sheet = spec.get("sheet") if suffix in SHEET_SUFFIXES else None
    sheet = sheet if isinstance(sheet, str) else None
    table = plan_table(spec.get("table")) if suffix in TABLE_SUFFIXES else None
    mode: Literal["error", "warn"] = "warn" if spec.get("missing_updates") == "warn" else "error"
    try:
        load_checked_plan(path, sheet=sheet, table=table, missing=mode)
    except DhrbuildError as exc:
        return [exc]
    return []


MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")
"""The names a review folder's manifest may have: given a folder, the commands read it."""


def find_manifest(path: str | Path) -> Path:
    """Return the manifest ``path`` names: itself, or the ``manifest.yaml`` in a folder.

    Args:
        path: A manifest file, or a review folder holding ``manifest.yaml``.

    Returns:
        The manifest file's path (not checked further: :func:`load_manifest` reads it).

    Raises:
        ManifestError: ``path`` is a folder without a manifest.
    """
    path = Path(path)
    if not path.is_dir():
        return path
    for name in MANIFEST_NAMES:
        if (path / name).is_file():
            return path / name
    raise ManifestError(
        str(path),
        [
            "is a folder with no manifest.yaml in it; give the manifest's path, or start one "
            f"with: dhrbuild init {shlex.quote(str(path))}"
        ],
    )


def _tab_lines(text: str) -> list[int]:
    """One-based numbers of the lines indented with a tab."""
    return [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if "\t" in line[: len(line) - len(line.lstrip(" \t"))]
    ]


_CURLY_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"
"""Quotes a word processor's autocorrect writes, which YAML reads as ordinary letters."""


def _yaml_hint(text: str, line: int, column: int) -> str:
    """The likely fix of a YAML syntax error at ``line``, ``column`` (counted from 0).

    Curly quotes, or a colon inside unquoted text, need straight quotes; otherwise a line
    indented differently from the keys of its section is the usual cause.
    """
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return ""
    here = lines[line]
    if any(q in here for q in _CURLY_QUOTES):
        return (
            "; the line has curly quotes (\u201c \u201d), which YAML reads as letters: use "
            "straight quotes (\" or ') around text that contains a colon"
        )
    if ": " in here[:column] or here[:column].rstrip().endswith(":"):
        return "; the text after the key contains a colon: put straight quotes (\" or ') around it"
    if not here.strip():
        return ""
    above = next(
        (
            n
            for n in range(line - 1, -1, -1)
            if lines[n].strip() and not lines[n].lstrip().startswith("#")
        ),
        None,
    )
    indent = len(here) - len(here.lstrip(" "))
    fix = (
        f"; check the indentation of line {line + 1} ({here.strip()!r}, indented {indent} "
        "spaces): a key lines up exactly under the other keys of its section"
    )
    if above is not None:
        prev = lines[above]
        fix += (
            f" (line {above + 1}, {prev.strip()!r}, is indented "
            f"{len(prev) - len(prev.lstrip(' '))}), and a key indented under another key "
            "needs that key alone on its line, ending in a colon"
        )
    return fix


def _escape_hint(text: str, exc: yaml.YAMLError) -> str:
    """The fix of a bad escape in a double-quoted value: a Windows path's backslash, as a rule."""
    problem = str(getattr(exc, "problem", "") or "")
    start = getattr(exc, "context_mark", None)
    if "escape" not in problem or start is None:
        return ""
    lines = text.splitlines()
    if not 0 <= start.line < len(lines):
        return ""
    here = lines[start.line]
    end = start.column + 1
    while end < len(here) and here[end] != '"':
        end += 2 if here[end] == "\\" else 1
    fixed = re.sub(r"\\+", "/", here[start.column + 1 : end])
    return "; " + BACKSLASH_ESCAPE.format(fixed=fixed)


_TAKE_A_MANIFEST = (
    "dhrbuild validate, assemble and submission take the review's manifest.yaml or its folder"
)

_DOCUMENT_SUFFIXES = {
    ".pdf": "a PDF",
    ".docx": "a Word document",
    ".doc": "a Word document",
    ".odt": "an OpenDocument text",
    ".rtf": "a Rich Text document",
    ".xlsx": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".ods": "an OpenDocument spreadsheet",
    ".csv": "a CSV file",
    ".pptx": "a PowerPoint presentation",
    ".ppt": "a PowerPoint presentation",
}
"""What a file given as the manifest is, by its name, when its bytes are not text."""

_ZIPPED = (
    ("word/", "a Word document"),
    ("xl/", "an Excel workbook"),
    ("ppt/", "a PowerPoint presentation"),
)


def _document_kind(path: Path) -> str | None:
    """What a file given as the manifest is, if it is a PDF, Word, Excel or similar file.

    Told by its first bytes (``%PDF``, a zip holding ``word/`` or ``xl/``, an OLE2 file as
    older Office files are), else by its name when its bytes are not text (or there are none).
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError:
        return None  # reading it says what is wrong
    suffix = path.suffix.lower()
    if b"%PDF-" in head:
        return "a PDF"
    if head.startswith(b"{\\rtf"):
        return "a Rich Text document"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _DOCUMENT_SUFFIXES.get(suffix, "a Word or Excel file (an older .doc or .xls)")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                kind = zf.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            names, kind = [], ""
        found = next((n for d, n in _ZIPPED if any(x.startswith(d) for x in names)), None)
        if found is None and "opendocument.text" in kind:
            found = "an OpenDocument text"
        if found is None and "opendocument.spreadsheet" in kind:
            found = "an OpenDocument spreadsheet"
        return found or _DOCUMENT_SUFFIXES.get(suffix, "a zip file")
    if suffix == ".csv":
        return _DOCUMENT_SUFFIXES[suffix]
    try:
        head.decode("utf-8")
        text = b"\x00" not in head
    except UnicodeDecodeError as exc:
        text = exc.start > len(head) - 4  # only a character cut off at the end
    return None if text and head else _DOCUMENT_SUFFIXES.get(suffix)


def _not_a_manifest_file(path: Path) -> str | None:
    """The problem of a PDF, Word or Excel file given where the manifest belongs, and the fix."""
    kind = _document_kind(path)
    if kind is None:
        return None
    quoted = shlex.quote(str(path))
    if kind == "a PDF":
        fix = f"to look at a PDF use dhrbuild inspect {quoted} or dhrbuild check {quoted}"
    elif kind in ("an Excel workbook", "a CSV file"):
        fix = f"an action plan in it is named in the manifest as action_plan.source: {path.name}"
    elif "document" in kind or "text" in kind:
        fix = f"name the document in the manifest as the part it is, e.g. report: {path.name}"
    else:
        fix = "give the review's manifest.yaml"
    return f"this is {kind}, not a manifest: {_TAKE_A_MANIFEST}; {fix}"


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a YAML manifest; relative paths resolve against its folder.

    Input files are not opened here: a missing one is reported by :func:`dhrbuild.validate`
    and :func:`dhrbuild.assemble` together with every other input's problems (or here, with
    the manifest's own problems, when it has any).

    Args:
        path: The manifest file, or a review folder holding ``manifest.yaml``.

    Returns:
        The validated manifest.

    Raises:
        DhrbuildError: A :class:`ManifestError` when the file is missing, empty or not YAML,
            or any key is invalid (every problem is reported at once, one line each with its
            key path); when it is invalid, a :class:`~dhrbuild.errors.ProblemsError` also
            listing the missing input files and the action plan's problems.
    """
    path = find_manifest(path)
    if (document := _not_a_manifest_file(path)) is not None:
        raise ManifestError(str(path), [document])
    try:
        text = decode_text(path.read_bytes())
    except FileNotFoundError:
        raise ManifestError(str(path), ["file not found; give the path to manifest.yaml"]) from None
    except NotPlainText as exc:
        raise ManifestError(
            str(path), [f"is not a plain text file{exc.where()}; save it as UTF-8 text"]
        ) from None
    except UnicodeDecodeError as exc:
        raise ManifestError(
            str(path), [f"byte {exc.start + 1} is not UTF-8 text; save the file as UTF-8"]
        ) from None
    except OSError as exc:
        raise ManifestError(str(path), [f"cannot be read ({strerror(exc)})"]) from None
    try:
        data = yaml.load(text, Loader=TextDateLoader)
    except yaml.YAMLError as exc:
        tabs = _tab_lines(text)
        if tabs:
            where = "line" if len(tabs) == 1 else "lines"
            shown = ", ".join(map(str, tabs[:8])) + (", …" if len(tabs) > 8 else "")
            problem = f"{where} {shown}: indent with spaces, not tabs"
            raise ManifestError(str(path), [problem]) from None
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = _escape_hint(text, exc) or (_yaml_hint(text, mark.line, mark.column) if mark else "")
        raise ManifestError(str(path), [f"{where}not valid YAML ({problem}){hint}"]) from None
    except (ValueError, RecursionError) as exc:
        raise ManifestError(str(path), [f"not valid YAML ({exc})"]) from None
    if data is None:
        init = shlex.join(["dhrbuild", "init", str(path.parent)])
        raise ManifestError(
            str(path),
            [f"the file is empty; delete it and run {init} for a commented manifest to fill in"],
        )
    if (what := not_a_manifest(data, path)) is not None:
        raise ManifestError(str(path), [what])
    return manifest_from_dict(data, path.parent, source=str(path))


def not_a_manifest(data: object, path: Path) -> str | None:
    """Say what a YAML file with neither ``version`` nor ``review`` at its top is, and the fix.

    Args:
        data: The file's parsed YAML.
        path: The file.

    Returns:
        One line (an action plan, or some other YAML, and the manifest to give instead), or
        ``None`` when the file may be a manifest.
    """
    if not isinstance(data, dict) or "version" in data or "review" in data:
        return None
    what = "the action plan" if "actions" in data else "not a review's manifest"
    beside = next((path.parent / n for n in MANIFEST_NAMES if (path.parent / n).is_file()), None)
    if beside is not None and beside.resolve() != path.resolve():
        fix = f"give the review's manifest, {beside}"
    else:
        init = shlex.join(["dhrbuild", "init", str(path.parent)])
        fix = f"give the review's manifest.yaml, or start one with {init}"
    return f"this is {what} (it has no version: or review: key); {fix}"
