"""HTTP routes of the web workspace: login, pages, JSON API."""
