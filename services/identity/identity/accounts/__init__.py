"""Accounts (people who sign in) and the role grants behind their tokens."""
