"""The errors a user may cause, and the cancellation of long work.

Every layer's expected failures derive from :class:`UserError`: the command line and the
GUI's background jobs catch that one class and show its message as it is (one clear Chinese
line), while anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A failure the user can fix (bad input, a missing file, a refused write); str() says how."""


class PolicyError(UserError, ValueError):
    """A rule input that cannot be accepted; str() is a clear Chinese message."""


class Cancelled(Exception):  # noqa: N818 - a signal, not an error
    """Long work stopped because the user asked; raised by the progress callback."""
