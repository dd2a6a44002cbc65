"""Dagster definitions, one module per area; ``outbound_pipeline.definitions`` assembles them."""
