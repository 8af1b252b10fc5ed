"""The exception hierarchy shared by every bulkflow package."""


class BulkflowError(Exception):
    """Base of every error bulkflow raises on purpose; its message is for a person."""


# a process stopped by a ConfigError exits with this code (sysexits' EX_CONFIG), and the
# supervisor does not restart it: it would fail the same way again
CONFIG_EXIT_CODE = 78


class ConfigError(BulkflowError):
    """A setting or a dataset file is wrong (or Kafka refuses what the settings say)."""


class DatasetError(ConfigError):
    """A dataset schema file cannot be loaded, or names an unknown dataset."""
