"""Governance: violations, the points ladder and its measures enforced at the platform, appeals, listing
compliance, sampling inspections and IP complaints (docs/governance.md)."""
