"""Pure computation for grazing: livestock units, biomass, capacity, load, seasons, degradation, rotation.

No I/O and no web here, and no import of ``pasture``: the domain's vocabulary
(:mod:`grazing_models.vocabulary`) and errors (:mod:`grazing_models.errors`) live here and
``pasture`` imports them (tests/grazing_models/test_imports.py).
"""
