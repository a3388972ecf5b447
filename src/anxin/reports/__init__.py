"""The service-experience report (服务体验报告): period-over-period figures computed from a snapshot of the
contexts' published facts, stored with the snapshot's fingerprint."""
