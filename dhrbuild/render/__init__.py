"""Drawing of the pages dhrbuild generates, with reportlab."""
