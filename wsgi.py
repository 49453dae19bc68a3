"""WSGI entry point: `gunicorn wsgi:app` (configuration from the environment, TT_CONFIG=production)."""

from trusted_traveler import create_app

app = create_app()
