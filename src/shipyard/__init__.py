"""shipyard: release Python packages as simply and as safely as pushing a tag."""

__version__ = "0.1.0"
