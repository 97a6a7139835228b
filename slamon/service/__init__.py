"""Service layer: one poll cycle, one delivery pass, one report — each one transaction."""
