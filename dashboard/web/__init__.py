"""Web-level concerns of the HTTP server: response headers and proxies,
503 while the database is away, request metrics, readiness."""
