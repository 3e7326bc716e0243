"""Device configuration: strict pydantic models (one per concern), YAML loading
with line-accurate error reports, secrets resolved explicitly, role profiles."""

from firmware_config.loader import ConfigError, ConfigProblem, load_config, load_config_text
from firmware_config.root import EdgeConfig

__all__ = ["ConfigError", "ConfigProblem", "EdgeConfig", "load_config", "load_config_text"]
