"""Development servers on one machine, no Docker: the local Kafka broker, a throw-away
PostgreSQL server and sample ``orders`` files. The CLI, the tests and bench/ all use them."""
