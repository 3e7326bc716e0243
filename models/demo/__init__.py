"""Demo footage rendered on demand (no recorded video of real people or plates ships)."""
