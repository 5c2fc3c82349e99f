"""`/v1/webhook-endpoints`: partners' Standard Webhooks endpoints, their messages and attempts."""
