"""Checks of a finished PDF, one module per gate."""
