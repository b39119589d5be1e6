"""Publishing to GitHub: PRs as the only state, kept right across nights.

``client`` is the one module that imports PyGithub; ``markers`` and ``bodies`` are pure;
``state`` reads Nightcrew's PRs and branches; ``push`` is the git push adapter;
``publisher`` puts them together as a ``bot.publish.Publisher``.
"""
