"""Ingestion assets, one module per platform."""
