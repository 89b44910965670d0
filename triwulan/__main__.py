"""`python -m triwulan`: the portal starts runs this way, with the interpreter it runs on."""

from triwulan.cli import app

app()
