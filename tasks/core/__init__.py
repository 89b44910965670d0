"""The quarter's vocabulary, shared by every stage: period, reference data, the Quarter context,
errors, limits, number parsing and formats, the submission and IKU input contracts, settings
(SMTP, schedule), and the two file rules (read only regular files, write atomically). It imports
no other stage; outside tasks it may import only triwulan.paths and triwulan.lifeline.
"""
