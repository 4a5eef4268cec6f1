"""The payment API edge (spec §5.2, §5.3): /transactions and /agreements."""
