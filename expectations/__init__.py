"""Great Expectations suites (JSON): package data of triwulan."""
