"""Consumers' accounts and viewers' feedback on creators' content, as the platform reports them."""
