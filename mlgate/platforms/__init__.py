"""CI platforms: detection, context and API clients (shared by load and publish)."""
