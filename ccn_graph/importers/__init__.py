"""Data brought in: the reference data loaded, CORDIS projects, synthetic members."""
