"""Public benchmark instances (Solomon, Mankowska HHCRSP): readers and runs."""
