"""Orders, shipments, tracking scans, sign-off and reviews."""
