"""Measure: the figures of a quarter, as pure functions over whole frames. Targets against
realisation (exact integer rupiah), IKU values (IKM, AKIP, wilayah tertib), E.81, early
warnings, what changed since the previous version, and summary.json, the contract every report
and mail reads. Writes no file but summary.json. May import record, check, collect and core.
"""
