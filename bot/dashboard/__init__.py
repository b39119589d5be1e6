"""What the night and the bot share on GitHub: PR markers, PR state, the dashboard issue."""
