"""Sessions (one per signed-in device) and their rotating refresh tokens."""
