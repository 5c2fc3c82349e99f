"""The ways in: clients of the third parties a person signs in through (WeChat, SMS, OIDC).

Each adapter takes the process's `httpx.AsyncClient`, speaks the third party's own protocol at a
configurable base URL (the fakes in `tools/` in development and tests) and raises one error type
carrying the third party's code; the routes map those codes to Problem Details.
"""
