"""PDF/UA rules on form XObjects (ISO 14289-1 7.20), for each form the content walk draws."""

from __future__ import annotations

from collections import Counter

from pikepdf import Stream

from dhrbuild.checks.pdfua.objects import objgen
from dhrbuild.checks.pdfua.report import Findings

RULES: dict[str, str] = {
    "7.20-1": "No form XObject is a reference XObject (a /Ref entry)",
    "7.20-2": "A form XObject with its own structure parents is drawn only once",
}
"""ISO 14289-1 clause 7.20: veraPDF id to requirement."""


class XObjectCheck:
    """Count the drawing of each form XObject against :data:`RULES`.

    A form whose content has its own marked-content identifiers (``/StructParents``) has one
    place in the structure tree, so it may be drawn once (ISO 32000-1 14.7.2): each ``Do``
    that draws it counts, on any page and inside any other form, as veraPDF counts each
    ``PDXForm`` object.
    """

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.draws: Counter[tuple[int, int]] = Counter()
        self.seen: set[tuple[int, int]] = set()

    def drawn(self, form: Stream, where: str) -> None:
        """Count one drawing of ``form`` (a ``Do`` of a form XObject) at ``where``.

        Args:
            form: The form XObject.
            where: The page (and the forms that draw it), as the report names it.
        """
        key = form.objgen
        place = f"{where}, form XObject {objgen(form)}"
        if key not in self.seen:
            self.seen.add(key)
            if "/Ref" in form:
                self.findings.fail("7.20-1", place)
        if "/StructParents" in form and form.is_indirect:
            self.draws[key] += 1
            if self.draws[key] == 2:
                self.findings.fail("7.20-2", place)


__all__ = ["RULES", "XObjectCheck"]
