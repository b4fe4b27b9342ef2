"""``kinerja chaos``: a fault campaign. While ``kinerja simulate``'s load drives all four services,
a seeded schedule sends SIGKILL to a process (a service's API, relay and consumer, the broker,
PostgreSQL or Redis) and starts it again, several times per run; after the load the platform must
have kept every write answered 2xx exactly once, in its service and in scoring's views, dead-lettered
only what was poisoned on purpose, and brought every consumer group's lag back to zero.
"""
