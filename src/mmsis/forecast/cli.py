"""CLI for mmsis.forecast (to be filled)."""


def forecast() -> None:
    """Supply and cost forecast."""
    raise NotImplementedError
