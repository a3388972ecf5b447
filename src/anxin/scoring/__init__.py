"""Scores: the merchant experience score, the creator reputation score and consumer credit."""
