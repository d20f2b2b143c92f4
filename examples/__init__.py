"""Small, realistic polling clients for each vendor, tested against the taskmock fixture."""
