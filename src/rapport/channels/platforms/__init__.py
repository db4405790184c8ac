"""Platform channels that fetch inbound items (and publish where the platform allows)."""
