"""Actions: instructions anxin sends the platform (take a listing down, restrict a shop, hold funds), through the
outbox, each with its cause and reasons, acknowledged by the platform."""
