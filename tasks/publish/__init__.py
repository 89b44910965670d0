"""Publish: what people read, written into a version folder. The HTML reports (Jinja templates,
escaped), rekap.xlsx for printing, charts, validasi.html and GX Data Docs, and the one function
that writes a version's files the same way for a run, a preview and FINAL. May import measure,
record, check, collect and core; it sends nothing.
"""
