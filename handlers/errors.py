"""The root of the desk's own errors: a problem to tell the user in one line, not a bug."""


class DeskError(Exception):
    """Bad input, configuration or state, said in words a user can act on."""
