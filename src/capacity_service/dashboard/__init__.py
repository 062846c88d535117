"""Pages served by the service itself, so that a person can read capacity without a frontend."""
