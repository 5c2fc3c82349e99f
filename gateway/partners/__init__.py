"""Partners (banks, MCN agencies) and their API keys."""
