"""The action plan: its model, the files it is read from, and its dates."""
