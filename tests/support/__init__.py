"""Test helpers: real servers (PostgreSQL) and the fixtures that start them."""
