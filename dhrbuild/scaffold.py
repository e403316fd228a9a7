"""``dhrbuild init``: a review folder with a commented manifest and an action plan to fill in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dhrbuild.errors import OutputError
from dhrbuild.schema import schema_comment

MANIFEST_TEMPLATE = """\
{schema}
# dhrbuild manifest: one review's publication PDF. Build it with
#   dhrbuild validate manifest.yaml     (checks everything, writes nothing)
#   dhrbuild assemble manifest.yaml     (writes output.path)
# Paths are relative to this folder. Every key is explained by `dhrbuild schema`.
version: 1

review:
  # The PDF's title. Use the pseudonym only: never a real name.
  title: "Domestic Homicide Review: the death of {pseudonym}"
  pseudonym: {pseudonym}
  # The Community Safety Partnership: becomes the PDF's author (never a person).
  partnership: {partnership}
  language: en-GB          # BCP 47 tag, e.g. en-GB or cy-GB
  kind: DHR                # DHR, or DARDR (Domestic Abuse Related Death Review)
  # date: {today}         # optional publication date, written into the PDF

# The parts, in any order here: dhrbuild always publishes them in the mandated order
# (executive summary, overview report, Annex A action plan, further annexes, QA letter last).
# A part may be .pdf, .docx, .doc, .odt or .rtf. A password-protected PDF is written as
#   {{file: letter.pdf, password_env: QA_LETTER_PASSWORD}}  (the password stays in the environment)
executive_summary: executive-summary.pdf
report: overview-report.pdf

action_plan:
  source: action-plan.yaml   # or .csv/.xlsx, or a finished .pdf used as it is
  as_at: {today}             # the date the implementation updates are current to
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
# Every action that is not complete needs at least one dated update under `updates`.
actions:
  - number: 1
    recommendation: "Write the recommendation here."
    scope: local               # local, regional or national
    action: "What will be done to meet it."
    lead_agency: "The agency that leads"
    key_milestones: "Milestones achieved in enacting the recommendation."
    target_date: {target}
    # completion: "{today}: date of completion and outcome"
    status: in progress        # not started, in progress or complete
    updates:
      - date: {today}
        note: "What has happened since the review was approved."
"""

FILES = ("manifest.yaml", "action-plan.yaml")


@dataclass(frozen=True)
class Scaffold:
    """The files ``init`` wrote, and the part documents still to be put in the folder."""

    folder: Path
    written: list[Path]
    still_needed: list[str]


def init_review(
    folder: str | Path,
    *,
    pseudonym: str = "Alex",
    partnership: str = "Northshire Community Safety Partnership",
    today: dt.date | None = None,
) -> Scaffold:
    """Create a review folder with a commented ``manifest.yaml`` and ``action-plan.yaml``.

    Args:
        folder: The folder to create or fill; existing files are never overwritten.
        pseudonym: The victim's pseudonym for the title.
        partnership: The Community Safety Partnership's name.
        today: The date written as ``as_at`` and in the example update; default today.

    Returns:
        The files written and the documents the manifest still expects.

    Raises:
        OutputError: The folder is a file, or a file ``init`` would write exists already.
    """
    folder = Path(folder)
    day = today or dt.date.today()
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "is a file; give a folder for the new review")
    clashes = [name for name in FILES if (folder / name).exists()]
    if clashes:
        raise OutputError(
            folder / clashes[0],
            "already exists; init never overwrites files: choose an empty folder or move it",
        )
    slug = "".join(c if c.isalnum() else "-" for c in pseudonym.lower()).strip("-") or "review"
    fields = {
        "schema": schema_comment(),
        "pseudonym": pseudonym,
        "partnership": partnership,
        "today": day.isoformat(),
        "slug": slug,
        "target": day.replace(year=day.year + 1).isoformat()
        if day.month != 2 or day.day != 29
        else day.replace(year=day.year + 1, day=28).isoformat(),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, template in zip(FILES, (MANIFEST_TEMPLATE, ACTION_PLAN_TEMPLATE), strict=True):
            path = folder / name
            with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite
                fh.write(template.format(**fields))
            written.append(path)
    except FileExistsError as exc:
        raise OutputError(exc.filename, "already exists; init never overwrites files") from None
    except OSError as exc:
        raise OutputError(folder, f"cannot write here ({exc.strerror or exc})") from None
    needed = ["executive-summary.pdf", "overview-report.pdf", "glossary.pdf", "qa-letter.pdf"]
    return Scaffold(folder, written, [n for n in needed if not (folder / n).exists()])
