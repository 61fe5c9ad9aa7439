"""Recipes: one small typed dataclass per task (google13, kws8, dsa19, synthetic), each value with
the reason it differs from the default. Filled in with the training issue; the package exists so
that ``edgekit`` can import recipes by task name."""
