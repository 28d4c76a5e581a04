"""Charting's reads, by what they read: chart.py (one record within the reader's sites and
what a session's chart shows), queues.py (the lists staff work from), patient_reports.py (what
patients report and who may read it), documents/ (what each PDF shows)."""
