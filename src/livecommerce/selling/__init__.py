"""Selling rights: who may sell, price and commit a merchant's goods in a room."""
