"""Record: what the kecamatan's database remembers. The raw store (every file by content), the
accepted rows and IKU rows per quarter, runs and versions (built under a temporary name, failed
ones marked), submissions and verdicts, the quarter's lock and dead-run recovery, finals, the
mail ledger, and the fingerprints that tell an unchanged rerun. May import check, collect, core.
"""
