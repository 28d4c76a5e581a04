"""Django's PostgreSQL backend with the request deadline on new connections (base.py)."""
