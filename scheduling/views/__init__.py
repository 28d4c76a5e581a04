"""The staff and patient web pages of scheduling, one module per page (or family of pages)."""
