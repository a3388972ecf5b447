"""Category tree with per-category tags (fresh, cosmetics, …) and listings."""
