"""Signing keys: ES256 key pairs kept encrypted in the identity schema, published as a JWKS."""
