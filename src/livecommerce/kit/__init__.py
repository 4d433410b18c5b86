"""Shared building blocks: database, errors, clock, ids, money, after-commit events."""
