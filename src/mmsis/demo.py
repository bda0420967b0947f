"""`mmsis demo`: run the loop on the bundled example country (to be filled)."""


def demo() -> None:
    """Run the demo."""
    raise NotImplementedError
