"""Sandbox: where code under test runs, and what it is allowed to see."""
