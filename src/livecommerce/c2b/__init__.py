"""C2B: demand, minimum-order pre-sales, production orders, automatic decisions."""
