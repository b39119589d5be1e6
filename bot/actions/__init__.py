"""GitHub Actions glue: settings from the environment, workflow commands, `nightcrew action`."""
