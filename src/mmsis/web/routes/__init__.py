"""HTTP routes of the web workspace: login, pages, JSON API.
"""

__all__ = ["accounts", "api", "auth", "group", "language", "pages", "setup"]
