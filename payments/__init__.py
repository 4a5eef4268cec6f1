"""CONNECT Payment (spec §5): transactions, refunds, charging agreements, saved payment methods."""
