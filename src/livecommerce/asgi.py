"""ASGI entry point for uvicorn workers: ``livecommerce.asgi:app``."""

from livecommerce.app import answer_healthz_first, create_app
from livecommerce.config import get_settings

_settings = get_settings()
_settings.check_can_serve()  # never serve the public with the default secret key
app = answer_healthz_first(create_app(_settings, freeze_heap=True, warm_up=True))
