"""``python -m api ...`` runs the ``riskgraph`` command line (e.g. from a checkout)."""

from api.cli import app

app(prog_name="riskgraph")
