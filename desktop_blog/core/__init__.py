"""core layer: no Qt here."""
