"""Customer care: complaints about shops and customer-service chat sessions, as the platform reports them."""
