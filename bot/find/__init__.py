"""Find: recipes' finders (ruff and Nightcrew's own detectors) turn a tree into findings."""
