"""Collect: what units send and how it is read. Finding a quarter's files in the inbox, bounded
reading of xlsx and CSV (size, zip, extent and formula checks, then calamine, in capped reader
processes), the messages a unit reads when its file cannot be read, and the templates units fill
in. Cells stay text here; nothing is judged. May import only core.
"""
