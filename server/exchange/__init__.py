"""Exchange with other agencies' systems: pure mappings between the domain and NENA's EIDO."""
