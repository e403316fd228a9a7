"""Publication safety: the deny list, hidden text, dates of birth and wording."""
