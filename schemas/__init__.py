"""Shared contracts of bulkflow: settings, topics, wire records, dataset schemas."""
