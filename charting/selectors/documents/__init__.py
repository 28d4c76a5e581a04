"""Reads for the charting documents (charting/documents/), one module per document: each
loads what its PDF shows in a fixed number of queries and returns the plain data the renderer
lays out; base.py holds what they share."""
