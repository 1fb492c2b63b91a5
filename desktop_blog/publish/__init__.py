"""publish layer: no Qt here."""
