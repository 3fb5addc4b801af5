"""Moving every record out of one store and into another: the canonical bundle."""
