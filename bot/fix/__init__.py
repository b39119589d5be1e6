"""Fix: one finding's fix in its own worktree, and the diff guard that bounds it."""
