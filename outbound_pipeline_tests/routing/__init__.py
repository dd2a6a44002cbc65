"""Lead intake, the health gate, routing rules and lead statuses (all pure)."""
