"""The identity service: sign-in, tokens and role grants."""
