"""The HTTP API: uploads, status, live events, error reports."""
