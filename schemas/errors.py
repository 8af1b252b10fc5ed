"""The exception hierarchy shared by every bulkflow package."""


class BulkflowError(Exception):
    """Base of every error bulkflow raises on purpose; its message is for a person."""


class ConfigError(BulkflowError):
    """A setting or a dataset file is wrong."""


class DatasetError(ConfigError):
    """A dataset schema file cannot be loaded, or names an unknown dataset."""
