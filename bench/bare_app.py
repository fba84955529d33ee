"""The ceiling for the load benchmark: a bare Flask app with one small JSON endpoint, served by gunicorn
with the same settings as mtkb (`gunicorn --config gunicorn.conf.py bench.bare_app:app`). It does no work
beyond Flask's routing and JSON serialisation, so its throughput is what the framework and the server
can do on this machine at best."""

from __future__ import annotations

from flask import Flask, Response, jsonify

app = Flask(__name__)


@app.get("/bare")
def bare() -> Response:
    """A small JSON object, about the size of the headers of an API response."""
    return jsonify(status="ok", service="bare", items=[1, 2, 3])
