"""`/v1/auth`: what the gateway made of the caller's credentials."""
