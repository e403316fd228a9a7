"""The build manifest: pydantic models and :func:`load_manifest`, which reads it from YAML."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dhrbuild.errors import ManifestError
from dhrbuild.order import AnnexStyle

DEFAULT_MAX_BYTES = 20_000_000
"""The Home Office limit: strictly under 20 MB, read as 20,000,000 bytes (the stricter reading)."""

_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = Path(base) / path
    return path.resolve()


def _input_file(value: Path, info: ValidationInfo) -> Path:
    path = _resolve(value, info)
    if (info.context or {}).get("check_files", True):
        if not path.exists():
            raise ValueError(
                f"file not found: {path} (paths are relative to the manifest's folder)"
            )
        if not path.is_file():
            raise ValueError(f"not a file: {path}")
    return path


NonEmpty = Annotated[str, Field(min_length=1)]


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
    date: dt.date | None = Field(
        default=None,
        description="Publication date, written as the PDF's creation and modification date. "
        "Left out, the PDF carries no date (the build stays reproducible either way).",
    )

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _BCP47.match(value):
            raise ValueError(f"{value!r} is not a BCP 47 language tag such as en-GB or cy-GB")
        return value


class ActionPlanSource(_Strict):
    """The action plan annex: a YAML, CSV or .xlsx plan that dhrbuild draws, or a finished PDF."""

    source: Path = Field(
        description="action-plan.yaml, .yml, .csv or .xlsx drawn by dhrbuild, or a .pdf used "
        "as it is."
    )
    sheet: str | None = Field(
        default=None,
        description="The worksheet of an .xlsx plan; default the first sheet whose header row "
        "names the plan's columns.",
        examples=["Action plan"],
    )
    as_at: dt.date = Field(description="The date the implementation updates are current to.")
    missing_updates: Literal["error", "warn"] = Field(
        default="error",
        description="What an action that is not complete and has no dated update is: "
        "an error (default) or a warning.",
    )

    @field_validator("source")
    @classmethod
    def _source(cls, value: Path, info: ValidationInfo) -> Path:
        path = _input_file(value, info)
        if path.suffix.lower() == ".xls":
            raise ValueError(f"{path.name}: an old .xls workbook cannot be read; save it as .xlsx")
        if path.suffix.lower() not in {".yaml", ".yml", ".csv", ".xlsx", ".pdf"}:
            raise ValueError(
                f"{path.name}: the action plan must be a .yaml, .yml, .csv, .xlsx or .pdf file"
            )
        return path

    @model_validator(mode="after")
    def _sheet_only_for_xlsx(self) -> ActionPlanSource:
        if self.sheet is not None and self.source.suffix.lower() != ".xlsx":
            raise ValueError(
                f"sheet: only an .xlsx action plan has sheets; remove it, or give the .xlsx "
                f"file as source (not {self.source.name})"
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
        path = _input_file(value, info)
        if path.suffix.lower() not in PART_SUFFIXES:
            raise ValueError(
                f"{path.name}: expected a .pdf file (or .docx, .doc, .odt or .rtf to convert)"
            )
        return path

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

    @field_validator("path")
    @classmethod
    def _path(cls, value: Path, info: ValidationInfo) -> Path:
        path = _resolve(value, info)
        if path.suffix.lower() != ".pdf":
            raise ValueError(f"{path.name}: the output file name must end in .pdf")
        return path


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
    """Publication safety checks run on the finished PDF before it is written."""

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

    @field_validator("deny_list")
    @classmethod
    def _deny_list(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        # Only the path is checked here; the contents are private and never quoted.
        return _input_file(value, info)


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
        description="Publication safety checks: the private deny list and hidden-text severity.",
    )
    base_dir: Path | None = Field(default=None, exclude=True, description="Set by load_manifest.")

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


_FRIENDLY = {
    "extra_forbidden": "unknown key; check its spelling and indentation",
    "missing": "required key is missing",
    "date_from_datetime_parsing": "not a date; write it as YYYY-MM-DD",
    "date_parsing": "not a date; write it as YYYY-MM-DD",
    "date_type": "not a date; write it as YYYY-MM-DD",
    "string_too_short": "must not be empty",
}


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _describe(err: Any, data: Any) -> str:
    parts = tuple(err["loc"])
    if parts and parts[-1] == "file" and isinstance(_at(data, parts[:-1]), str):
        parts = parts[:-1]  # a part given as a bare path: name it as the user wrote it
    loc = ".".join(str(p) for p in parts) or "(top level)"
    kind = err["type"]
    if loc == "version" and kind == "literal_error":
        msg = f"unsupported manifest version {err.get('input')!r}; this dhrbuild reads version: 1"
    elif kind == "value_error":
        msg = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
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
        check_files: Whether input files must exist.

    Returns:
        The validated manifest.

    Raises:
        ManifestError: Listing every problem at once, one line each with its key path.
    """
    if not isinstance(data, dict):
        raise ManifestError(source, ["the manifest must be a mapping of keys (version, review, …)"])
    base = Path(base_dir).resolve()
    try:
        manifest = Manifest.model_validate(
            data, context={"base_dir": base, "check_files": check_files}
        )
    except ValidationError as exc:
        raise ManifestError(source, [_describe(e, data) for e in exc.errors()]) from None
    return manifest.model_copy(update={"base_dir": base})


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a YAML manifest; relative paths resolve against its folder.

    Args:
        path: The manifest file.

    Returns:
        The validated manifest.

    Raises:
        ManifestError: The file is missing or not YAML, or any key is invalid (every problem
            is reported at once, one line each with its key path).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(str(path), ["file not found; give the path to manifest.yaml"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(str(path), [f"cannot be read ({exc})"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(str(path), [f"{where}not valid YAML ({problem})"]) from None
    return manifest_from_dict(data, path.parent, source=str(path))
