"""CLI for mmsis.report (to be filled)."""


def report() -> None:
    """Country report."""
    raise NotImplementedError
