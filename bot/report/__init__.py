"""Report: the night's results as values, JSON, Markdown and a job summary."""
