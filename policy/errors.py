"""Errors raised by the policy layer, with messages meant for a clerk."""


class PolicyError(ValueError):
    """A rule input that cannot be accepted; str() is a clear Chinese message."""
