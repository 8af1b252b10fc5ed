"""Shared contracts of bulkflow: settings, wire records, dataset schemas (Kafka names are in
messaging/)."""
