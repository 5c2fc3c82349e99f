"""The audit trail: grants, revocations, logins, failed logins and key rotations."""
