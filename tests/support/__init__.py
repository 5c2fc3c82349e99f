"""Helpers the tests share: identities and tokens, database set-up."""
