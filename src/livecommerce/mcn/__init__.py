"""MCN agencies and host contracts, merchant staff, the selection marketplace, affiliate links."""
