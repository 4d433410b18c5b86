"""Double-entry ledger: posting on payment and refund, statements, verification."""
