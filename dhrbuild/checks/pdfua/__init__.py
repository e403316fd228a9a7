"""PDF/UA-1: the machine-checkable rules of ISO 14289-1, by clause."""
