"""Reference data per budget year (CSV): package data of triwulan."""
