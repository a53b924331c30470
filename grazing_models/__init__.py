"""Pure computation for grazing: livestock units, biomass, capacity, load, seasons, degradation, rotation.

No I/O and no web here; `pasture` types may be used, never its stores.
"""
