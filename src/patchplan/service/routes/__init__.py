"""The routes, one module per role (plus signing in): each has ``pages`` (HTML) and ``api`` (JSON under /api)."""
