"""ASGI entry point for uvicorn workers: ``livecommerce.asgi:app``."""

from livecommerce.app import create_app

app = create_app()
