"""The webhook receiver, its landing store and the platform-neutral event model."""
