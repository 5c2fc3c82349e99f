"""The platform's only public entry: authentication, rate limits, routing, the merged OpenAPI."""
