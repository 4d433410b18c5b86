"""Search over rooms, hosts and products with the database's own full-text engine."""
