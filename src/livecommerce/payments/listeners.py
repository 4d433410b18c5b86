"""Subscribers of this domain to other domains' events (see ``livecommerce.kit.events``)."""
