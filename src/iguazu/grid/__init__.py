"""Grading programming assignments on the sandbox: languages, builds, checkers, verdicts."""
