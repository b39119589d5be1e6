"""Nightcrew: overnight cleanup PRs, one verified fix at a time."""

__version__ = "0.1.0"
