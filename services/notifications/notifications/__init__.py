"""The notifications service: who hears of what, through which channel (docs/notifications.md)."""
