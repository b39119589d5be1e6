"""Scoped Claude agents: agent finders (``find.agent``) and fixers (``fix.agent``).

One :class:`AgentSession` per night holds the API client and the night's budget. Each
agent gets one finding (or one slice of files), the recipe's instructions, and the tools
in ``tools.py`` confined to the recipe's scope in its worktree; ``loop.py`` runs it. An
agent's fix is only a proposal: the night's diff guard and verification decide, exactly
as for a deterministic fix; then a refuter (``refute.py``) tries to write a test that the
fix fails and the base passes, and Nightcrew runs it. See docs/agents.md.
"""
