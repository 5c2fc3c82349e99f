"""Signing in with the WeChat mini-program, and binding the phone WeChat vouches for."""
