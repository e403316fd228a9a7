"""``dhrbuild init``: a review folder with a commented manifest and an action plan to fill in."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dhrbuild.atomic import reason, write_file
from dhrbuild.errors import OutputError
from dhrbuild.handoff.schema import schema_comment
from dhrbuild.inputs.action_plan.documents import TEMPLATE_COLUMNS
from dhrbuild.manifest import output_slug
from dhrbuild.placeholders import PLACEHOLDER

MANIFEST_TEMPLATE = """\
{schema}
# dhrbuild manifest: one review's publication PDF. Build it with
#   dhrbuild validate manifest.yaml     (checks everything, writes nothing)
#   dhrbuild assemble manifest.yaml     (writes output.path)
# Paths are relative to this folder. Every key is explained by `dhrbuild schema`.
# Replace every FILL IN: validate refuses the manifest until no FILL IN is left.
# Dates may be written 2026-10-01, 01/10/2026 or 1 October 2026.
version: 1

review:
  # The PDF's title, as readers will see it. Use the pseudonym only: never a real name.
  title: {title}
  pseudonym: {pseudonym}          # the pseudonym the family agreed
  # The Community Safety Partnership: becomes the PDF's author and signs the emails.
  partnership: {partnership}
  language: en-GB          # BCP 47 tag, e.g. en-GB or cy-GB
  kind: {kind}              # DHR, or DARDR (Domestic Abuse Related Death Review)
  # date: {today_uk}       # optional publication date, written into the PDF

# The parts, in any order here: dhrbuild always publishes them in the mandated order
# (executive summary, overview report, Annex A action plan, further annexes, QA letter last).
# A part may be .pdf, .docx, .doc, .odt or .rtf. A password-protected PDF is written as
#   {{file: letter.pdf, password_env: QA_LETTER_PASSWORD}}  (the password stays in the environment)
executive_summary: executive-summary.pdf
report: overview-report.pdf

action_plan:
  source: {plan_source}
  as_at: FILL IN             # the date the implementation updates are current to, e.g. {today_uk}
  missing_updates: error     # an open action without a dated update stops the build; or warn

# Further annexes, after the action plan and before the letter (delete if none).
annexes:
  - title: Glossary
    file: glossary.pdf

# The Home Office Quality Assurance Panel's letter: always the final annex.
qa_letter: qa-letter.pdf

output:
  path: dist/{slug}-publication.pdf
  max_bytes: 20000000        # strictly smaller than 20 MB; the build fails at or above it
  annex_style: annex         # annex (Annex A, B, ...) or appendix (Appendix 1, 2, ...)
"""

ACTION_PLAN_TEMPLATE = """\
# The action plan, drawn by dhrbuild as Annex A. One entry per recommendation.
# Replace every FILL IN: validate refuses the plan until no FILL IN is left.
# Every action that is not complete needs at least one dated update under `updates`.
# Dates may be written 2026-10-01, 01/10/2026 or 1 October 2026.
actions:
  - number: 1
    recommendation: FILL IN    # the recommendation, as the report words it
    scope: FILL IN             # local, regional or national
    action: FILL IN            # what will be done to enact it
    lead_agency: FILL IN       # the agency that leads
    key_milestones: FILL IN    # milestones achieved in enacting the recommendation (or "")
    target_date: FILL IN       # the date it should be complete by, e.g. {target_uk} (or empty)
    # completion: "{today_uk}: date of completion and outcome"
    status: FILL IN            # not started, in progress or complete
    updates:
      - date: FILL IN          # the date of the update, e.g. {today_uk}
        note: FILL IN          # what has happened since the review was approved
"""

FILES = ("manifest.yaml", "action-plan.yaml")
"""The files ``init`` writes by default (the plan in YAML)."""

PlanKind = Literal["yaml", "docx"]
PLAN_FILES: dict[str, str] = {"yaml": "action-plan.yaml", "docx": "action-plan.docx"}
"""The action plan file ``init`` writes, by ``plan``: YAML, or a Word table."""
_PLAN_SOURCES = {
    "yaml": "action-plan.yaml   # or .csv/.xlsx/.xls/.ods, a Word table, or a finished .pdf",
    "docx": "action-plan.docx   # its table, in the Home Office template; or .yaml, .xlsx, .pdf",
}


def scaffold_files(plan: PlanKind = "yaml") -> tuple[str, str]:
    """The files ``init`` writes: the manifest and the action plan of the kind asked for.

    Args:
        plan: ``yaml``, or ``docx`` for the plan as a Word table.

    Returns:
        Their names.
    """
    return ("manifest.yaml", PLAN_FILES[plan])


PLAN_DOCUMENT_TITLE = "Action plan"
_PLAN_DOCUMENT_GUIDE = (
    "Only the table below is read by dhrbuild and published as Annex A; these lines are not. "
    "Replace every FILL IN: validate refuses the plan until no FILL IN is left. One row per "
    "action; add rows as needed, and a row with only its first cell filled to start a theme.",
    "Write each dated implementation update in the 'Key milestones achieved in enacting "
    "recommendation' cell, one a line, as 15/01/2027: what was done. Every action that is not "
    "complete needs at least one.",
    "Target Date: a date (31/03/2027), a month (March 2027), a quarter (Q2 2027/28) or a word "
    "(Ongoing). Date of completion and Outcome: empty until the action is complete, then the "
    "date and what was achieved. Status: Not started, In progress or Complete.",
)

KIND_TITLES = {"DHR": "Domestic Homicide Review", "DARDR": "Domestic Abuse Related Death Review"}
"""The title's wording for each review.kind ``init`` writes."""


@dataclass(frozen=True)
class Scaffold:
    """The files ``init`` wrote, and the part documents still to be put in the folder."""

    folder: Path
    written: list[Path]
    still_needed: list[str]


def _yaml_text(value: str | None) -> str:
    """``value`` as a YAML scalar (quoted, so any text is safe), or the placeholder."""
    return PLACEHOLDER if value is None else json.dumps(value, ensure_ascii=False)


def plan_document() -> bytes:
    """The action plan as a Word table to fill in, in the Home Office's template.

    Its columns are the template's, with ``No.`` before them and ``Status`` after, so that
    dhrbuild reads each action's number and status as written; the cells to fill in say
    ``FILL IN``.

    Returns:
        The ``.docx`` document's bytes.
    """
    import docx  # python-docx: needed only for a Word plan
    from docx.enum.section import WD_ORIENT

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(PLAN_DOCUMENT_TITLE, level=1)
    for text in _PLAN_DOCUMENT_GUIDE:
        document.add_paragraph(text)
    headings = ["No.", *TEMPLATE_COLUMNS, "Status"]
    first = ["1", *[PLACEHOLDER] * 6, "", PLACEHOLDER]
    table = document.add_table(rows=2, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for cell, text in zip(table.rows[1].cells, first, strict=True):
        cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def init_review(
    folder: str | Path,
    *,
    pseudonym: str | None = None,
    partnership: str | None = None,
    today: dt.date | None = None,
    kind: str = "DHR",
    plan: PlanKind = "yaml",
) -> Scaffold:
    """Create a review folder with a commented ``manifest.yaml`` and an action plan to fill in.

    What only the user can know is never invented: a value not given, the ``as_at`` date and
    the action plan's contents are written as ``FILL IN``, which :func:`dhrbuild.load_manifest`
    and the action plan's reader refuse, naming each key, until it is replaced.

    Args:
        folder: The folder to create or fill; existing files are never overwritten.
        pseudonym: The victim's pseudonym, for the title; ``None`` writes the placeholder.
        partnership: The Community Safety Partnership's name; ``None`` writes the placeholder.
        today: The date the comments give as an example; default today.
        kind: ``DHR`` or ``DARDR``: written as review.kind, and the title's wording.
        plan: ``yaml`` for ``action-plan.yaml``, or ``docx`` for ``action-plan.docx``: the
            plan as a Word table in the Home Office's template (:func:`plan_document`).

    Returns:
        The files written and the documents the manifest still expects.

    Raises:
        OutputError: The folder is a file, or a file ``init`` would write exists already.
        ValueError: ``kind`` is neither ``DHR`` nor ``DARDR``, or ``plan`` neither ``yaml``
            nor ``docx``.
    """
    if kind not in KIND_TITLES:
        raise ValueError(f"kind must be DHR or DARDR, not {kind!r}")
    if plan not in PLAN_FILES:
        raise ValueError(f"plan must be yaml or docx, not {plan!r}")
    folder = Path(folder)
    day = today or dt.date.today()
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "is a file; give a folder for the new review")
    files = scaffold_files(plan)
    clashes = [name for name in files if (folder / name).exists()]
    if clashes:
        raise OutputError(
            folder / clashes[0],
            "already exists; init never overwrites files: choose an empty folder or move it",
        )
    slug = output_slug(pseudonym or "")
    title = None if pseudonym is None else f"{KIND_TITLES[kind]}: the death of {pseudonym}"
    target = day.replace(year=day.year + 1, day=28 if (day.month, day.day) == (2, 29) else day.day)
    fields = {
        "schema": schema_comment(),
        "title": _yaml_text(title),
        "pseudonym": _yaml_text(pseudonym),
        "partnership": _yaml_text(partnership),
        "today_uk": day.strftime("%d/%m/%Y"),
        "target_uk": target.strftime("%d/%m/%Y"),
        "slug": slug or "review",
        "kind": kind.ljust(5),
        "plan_source": _PLAN_SOURCES[plan],
    }
    contents = [MANIFEST_TEMPLATE.format(**fields).encode("utf-8")]
    if plan == "docx":
        contents.append(plan_document())
    else:
        contents.append(ACTION_PLAN_TEMPLATE.format(**fields).encode("utf-8"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in zip(files, contents, strict=True):
            path = folder / name
            write_file(path, data, what=name, overwrite=False)
            written.append(path)
    except FileExistsError as exc:
        raise OutputError(exc.filename, "already exists; init never overwrites files") from None
    except OSError as exc:
        raise OutputError(folder, f"cannot write here ({reason(exc)})") from None
    needed = ["executive-summary.pdf", "overview-report.pdf", "glossary.pdf", "qa-letter.pdf"]
    return Scaffold(folder, written, [n for n in needed if not (folder / n).exists()])
