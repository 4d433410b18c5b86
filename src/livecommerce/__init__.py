"""livecommerce: a self-hostable live-stream e-commerce platform."""

__version__ = "0.1.0"
