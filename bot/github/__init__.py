"""Talking to GitHub: the API adapter and git push.

``api`` holds the plain values and ``RepoApi`` everything above sees (pure); ``pacing`` the
retry policy, rate-limit waits and write pacing (pure); ``client`` is the one module that
imports PyGithub; ``push`` is the git push adapter.
"""
