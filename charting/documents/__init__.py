"""PDF documents: one renderer class per document, built with reportlab's platypus.

Layout only: every renderer takes plain data (the dataclasses in each module) and imports no
models; charting/selectors/documents/ reads that data from the database in a fixed number of
queries.
"""
