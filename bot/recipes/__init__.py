"""Recipes: YAML files that say what to find, how to fix it, how to verify it."""
