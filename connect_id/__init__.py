"""CONNECT ID: the project package (settings, URLs, WSGI/ASGI, shared plumbing)."""
