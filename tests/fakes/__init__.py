"""Fakes of the outside world that speak real protocols (HTTP), for tests."""
