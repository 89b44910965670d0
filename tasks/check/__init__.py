"""Check: the rules and what they decide. The suites as data (expectations/*.json), the typed
working frame, Great Expectations over all units at once, problem records naming file, row and
column, the earlier quarters as validation sees them, IKU sheets, and unreadable files attributed
to their unit. Decides accepted or rejected per unit; stores nothing. May import collect and core.
"""
