"""The web API (FastAPI): the composition root."""
