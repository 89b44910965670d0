"""The shipped sample year (inbox, corrections): package data of triwulan."""
