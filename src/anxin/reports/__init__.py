"""The reports context: period reports with period-over-period change (the service-experience report)."""
