"""Publish: a verified fix becomes a branch and a patch, or a pull request."""
