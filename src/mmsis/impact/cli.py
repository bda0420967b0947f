"""CLI for mmsis.impact (to be filled)."""


def impact() -> None:
    """Health impact."""
    raise NotImplementedError
