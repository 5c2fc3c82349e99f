"""The communities of each enterprise an account works for, as the registry says (the token's scope)."""
