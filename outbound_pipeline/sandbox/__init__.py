"""The sandbox: one seeded world, fault injection and a runner for the platform simulators."""
