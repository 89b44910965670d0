"""Jinja2 templates of the reports and mails: package data of triwulan."""
