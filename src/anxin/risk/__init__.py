"""Risk control: signals, verdicts and rings against after-sales abuse and fraud (issue 5; in progress)."""
