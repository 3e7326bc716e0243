"""Event producers that are neither cameras nor card readers."""
