"""Signing in with a code sent by text message (the mobile app)."""
