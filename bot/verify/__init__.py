"""Verify: the checks and test runs that decide whether a fix is kept."""
