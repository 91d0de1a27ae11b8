"""The routing problem in integers, its construction and repair heuristics, and the one OR-Tools adapter."""
