"""For the notifications service: who a notice goes to, and sending it by WeChat or text message."""
