"""Shops, store types and the services each shop opted into."""
