"""render layer: no Qt here."""
