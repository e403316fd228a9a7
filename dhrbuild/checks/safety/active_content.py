"""The active-content check: nothing active, attached or marked up is left after cleaning."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from dhrbuild.build.actions import unsafe_action
from dhrbuild.build.attachments import embedded_files
from dhrbuild.checks.safety.results import CheckResult
from dhrbuild.pdf.text import pdf_text

_ANNOT_OK = {"/Link"}


def check_active_content(path: Path) -> CheckResult:
    """Confirm on the written file that the clean step left nothing active or attached."""
    result = CheckResult("active-content", "No scripts, attachments, forms or markup")
    problems: dict[str, int] = {}

    def note(what: str) -> None:
        problems[what] = problems.get(what, 0) + 1

    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if "/AcroForm" in root:
            note("an interactive form")
        if "/AA" in root:
            note("document additional actions")
        if unsafe_action(root.get("/OpenAction")):
            note("an open action")
        names = root.get("/Names")
        if isinstance(names, Dictionary):
            for key in ("/JavaScript", "/EmbeddedFiles"):
                if key in names:
                    note(f"a {key[1:]} name tree")
        for page in pdf.pages:
            for key in ("/AA", "/Thumb", "/PieceInfo"):
                if key in page.obj:
                    note(f"page {key[1:]}")
            annots = page.obj.get("/Annots")
            for annot in annots if isinstance(annots, Array) else []:
                if not isinstance(annot, Dictionary):
                    continue
                subtype = pdf_text(annot.get("/Subtype"))
                if subtype not in _ANNOT_OK:
                    note(f"a {subtype[1:]} annotation")
                elif unsafe_action(annot.get("/A")):
                    note("a link with an unsafe action")
        for obj in pdf.objects:
            d = obj.stream_dict if isinstance(obj, Stream) else obj
            if not isinstance(d, Dictionary):
                continue
            if "/JS" in d or d.get("/S") == Name.JavaScript:
                note("JavaScript")
            if d.get("/S") in (Name.Launch, Name.GoToR, Name.GoToE, Name.ImportData):
                note("a launch or file action")
            if "/PieceInfo" in d:
                note("application private data")
        # The clean step's own definition: what it removes is exactly what this looks for.
        for found in embedded_files(pdf):
            note("associated files (/AF)" if found.key == "/AF" else "an embedded file")
    for what, n in sorted(problems.items()):
        result.error(
            f"the output still contains {what} ({n}x) after cleaning; please report this "
            "with the inputs"
        )
    return result


__all__ = [
    "check_active_content",
]
