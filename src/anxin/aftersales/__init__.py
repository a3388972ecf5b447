"""After-sales (安心购): guarantee rulebook, decisions that explain themselves, cases with deadlines."""
