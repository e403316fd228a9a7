"""The new-user trial's findings: size advice, Word comments, the plan's header row.

The private conversion cache is tested in ``tests/test_convert.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pikepdf
import pypdfium2
import pytest
from odf.dc import Creator
from odf.office import Annotation
from odf.opendocument import OpenDocumentText
from odf.text import P

import dhrbuild
from dhrbuild.checks.safety.deny_list import DenyList
from dhrbuild.checks.safety.deny_list_check import check_input_metadata
from dhrbuild.checks.safety.places import document_comments
from dhrbuild.errors import OutputTooLargeError
from dhrbuild.render.action_plan import render_action_plan
from tests.test_action_plan import _action, _plan


def test_size_advice_says_the_drawn_plans_fonts_are_fixed(review):
    """The fonts of the plan dhrbuild draws are not the officer's to reduce."""
    m = dhrbuild.load_manifest(review())
    with pytest.raises(OutputTooLargeError) as info:
        dhrbuild.assemble(m, max_bytes=100)
    message = str(info.value)
    assert "dhrbuild draws" in message
    assert "KB of embedded fonts; that is fixed." in message
    assert "use fewer fonts in the documents" not in message


def _word_with_comment(path: Path) -> Path:
    document = docx.Document()
    paragraph = document.add_paragraph("The panel met in March.")
    document.add_comment(
        paragraph.runs[0], text="Check this with Bartholomew Quillfeather", author="Reviewer"
    )
    document.save(str(path))
    return path


def _odt_with_comment(path: Path) -> Path:
    doc = OpenDocumentText()
    paragraph = P(text="The panel met in March.")
    note = Annotation()
    note.addElement(Creator(text="Reviewer"))
    note.addElement(P(text="Check this with Bartholomew Quillfeather"))
    paragraph.addElement(note)
    doc.text.addElement(paragraph)
    doc.save(str(path))
    return path


@pytest.mark.parametrize("make", [_word_with_comment, _odt_with_comment])
def test_a_word_comment_naming_a_deny_list_entry_warns(tmp_path, make):
    source = make(tmp_path / ("summary.docx" if make is _word_with_comment else "summary.odt"))
    deny = DenyList.from_lines(["Quillfeather"])
    with pikepdf.new() as pdf:  # the converted PDF carries no comments
        pdf.add_blank_page()
        result = check_input_metadata([("Executive summary", pdf, False)], deny, originals=[source])
    assert result.status == "warn"
    messages = [f.message for f in result.findings]
    assert any("deny-list line 1" in m and "comment 1" in m for m in messages), messages
    assert not any("Quillfeather" in m for m in messages)


def test_document_comments_reads_text_and_author(tmp_path):
    found = document_comments(_word_with_comment(tmp_path / "r.docx"))
    assert ("comment 1", "Check this with Bartholomew Quillfeather") in found
    assert ("comment 1's author", "Reviewer") in found
    assert document_comments(tmp_path / "missing.docx") == []


def test_a_long_action_continues_under_its_number_with_the_header_only_at_page_tops():
    """15 actions, action 3 with 40 updates: no header row mid-page, the rest labelled."""
    actions = [_action(n) for n in range(1, 16)]
    actions[2]["updates"] = [
        {"date": f"2026-01-{d:02d}", "note": f"Progress note number {d} on the protocol work"}
        for d in range(1, 29)
    ] + [{"date": f"2026-02-{d:02d}", "note": f"Further note {d}"} for d in range(1, 13)]
    data = render_action_plan(
        _plan(actions), as_at=dt.date(2026, 10, 1), review_title="Domestic Homicide Review"
    )
    pdf = pypdfium2.PdfDocument(data)
    try:
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    for text in texts:
        # The header's first column heads the page's table once, before any action.
        assert text.count("Implementation updates") == 1
    joined = "".join(texts)
    assert "Action 3 (continued)" in joined
    page = next(t for t in texts if "Action 3 (continued)" in t)
    assert "Further note 12" in page
