"""Errors a user may cause, with messages meant for a clerk.

``UserError`` is the root: the command line and the GUI show ``str()`` of any of them as one
clear line instead of a traceback. ``PolicyError`` derives from ``ValueError`` too, as before.
"""


class UserError(Exception):
    """An error a user may cause (bad input, a missing profile figure); str() is a clear message."""


class PolicyError(UserError, ValueError):
    """A rule input that cannot be accepted; str() is a clear Chinese message."""
