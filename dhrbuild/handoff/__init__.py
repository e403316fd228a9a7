"""What the user gets besides the PDF: init, inspect, preview, submission, the build report."""
