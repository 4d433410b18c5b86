"""Scale-out helpers that only make sense with Redis: the stock gate."""
