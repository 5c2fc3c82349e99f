"""Platform administrators' own way in: a local password (argon2id) and a required TOTP (issue 16, way in 4)."""
