"""Coupons: room, fans-only and merchant coupons; claimed into wallets, redeemed at checkout."""
