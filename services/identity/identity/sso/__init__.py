"""Staff single sign-on: the OpenID Connect authorization code flow with PKCE (issue 16, way in 3)."""
