"""Stage 1, inputs: open the parts (PDF, Word), read the action plan, and report what they hold."""
