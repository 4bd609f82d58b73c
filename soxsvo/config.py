"""Settings of soxsvo: ``soxsvo/defaults.toml`` (package data), a user file, ``SOXSVO_*`` variables.

The defaults file is the schema: it lists every key, and a key's default value fixes its type.
A user file (``SOXSVO_CONFIG``) or an environment variable may only set keys that exist there,
with values of the same type; anything else stops start-up with a message naming the key and
where it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from typing import Any

from soxsvo.errors import InputError

DEFAULTS_FILE = Path(__file__).resolve().parent / "defaults.toml"
ENV_PREFIX = "SOXSVO_"


class ConfigError(InputError):
    """A setting is unknown, of the wrong type, or unusable; the message names key and source."""


@dataclass(frozen=True)
class Settings:
    """Validated settings: top-level keys and sections are attributes.

    ``settings.port`` is a value; ``settings.tap`` is a frozen :class:`TapSettings` whose
    attributes are the keys of ``[tap]`` (``settings.tap.maxrec_default``). ``values`` keeps
    the plain mapping, for handing the settings to another process.
    """

    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        sections = {name: cls(**self.values[name]) for name, cls in SECTIONS.items()}
        object.__setattr__(self, "_sections", sections)

    def __getattr__(self, name: str) -> Any:
        # Dunder lookups (pickling for worker processes) must not reach ``values``, which does
        # not exist yet while an instance is being unpickled.
        if name.startswith("__") or name in ("values", "_sections"):
            raise AttributeError(name)
        if name in self._sections:
            return self._sections[name]
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return Path(self.values["data_dir"]).expanduser().resolve()

    @property
    def public_url(self) -> str:
        """The URL clients use to reach the service, without a trailing slash."""
        if self.values["base_url"]:
            return self.values["base_url"].rstrip("/")
        return f"http://{self.values['host']}:{self.values['port']}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _section_classes(defaults: Mapping[str, Any]) -> dict[str, type]:
    """One frozen dataclass per section of the defaults file: its keys are the fields, the
    types of their defaults the field types (``[tap]`` becomes :class:`TapSettings`).

    Built from the defaults file rather than written out, so that a key is declared once,
    with its default and its comment, in ``defaults.toml``.
    """
    classes = {}
    for name, table in defaults.items():
        if isinstance(table, dict):
            cls_name = "".join(part.title() for part in name.split("_")) + "Settings"
            cls = make_dataclass(cls_name, [(key, type(value)) for key, value in table.items()],
                                 frozen=True)
            cls.__module__ = __name__  # make_dataclass's module= needs Python 3.12
            cls.__doc__ = f"The ``[{name}]`` section of the settings (see defaults.toml)."
            classes[name] = cls
    return classes


def _check_type(key: str, value: Any, default: Any, source: str) -> Any:
    """Return ``value`` if it has the type of ``default``; ints are accepted for floats."""
    expected = type(default)
    if expected is float and type(value) is int:
        return float(value)
    if type(value) is not expected:
        raise ConfigError(
            f"{source}: {key} must be {expected.__name__} (like {default!r}), "
            f"got {type(value).__name__} {value!r}"
        )
    return value


def _merge_file(values: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    for key, value in overrides.items():
        if key not in values:
            raise ConfigError(f"{source}: unknown key {key!r}; known keys: {', '.join(values)}")
        default = values[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [{key}] must be a table (section)")
            for sub, subvalue in value.items():
                if sub not in default:
                    raise ConfigError(
                        f"{source}: unknown key {key}.{sub}; known keys in [{key}]: "
                        f"{', '.join(default)}"
                    )
                default[sub] = _check_type(f"{key}.{sub}", subvalue, default[sub], source)
        else:
            values[key] = _check_type(key, value, default, source)


def _parse_env_value(name: str, text: str, default: Any) -> Any:
    expected = type(default)
    try:
        if expected is bool:
            if text.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(text)
            return text.lower() in {"1", "true", "yes", "on"}
        if expected is int:
            return int(text)
        if expected is float:
            return float(text)
        if expected is list:
            return [item.strip() for item in text.split(",") if item.strip()]
        return text
    except ValueError:
        raise ConfigError(
            f"environment variable {name}: must be {expected.__name__} (like {default!r}), "
            f"got {text!r}"
        ) from None


def _env_targets(values: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Map every accepted environment variable name to (key, subkey)."""
    targets: dict[str, tuple[str, str | None]] = {}
    for key, default in values.items():
        if isinstance(default, dict):
            for sub in default:
                targets[f"{ENV_PREFIX}{key}_{sub}".upper()] = (key, sub)
        else:
            targets[f"{ENV_PREFIX}{key}".upper()] = (key, None)
    return targets


def _merge_env(values: dict[str, Any], environ: Mapping[str, str]) -> None:
    targets = _env_targets(values)
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        if name not in targets:
            raise ConfigError(
                f"environment variable {name}: unknown setting; known: {', '.join(targets)}"
            )
        key, sub = targets[name]
        if sub is None:
            values[key] = _parse_env_value(name, text, values[key])
        else:
            values[key][sub] = _parse_env_value(name, text, values[key][sub])


def _check_data_dir(values: Mapping[str, Any], source: str) -> None:
    path = Path(values["data_dir"]).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{source}: data_dir {str(path)!r} cannot be created: {exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{source}: data_dir {str(path)!r} is not writable")


#: The section dataclasses, by section name; each is also a name of this module (pickling).
SECTIONS = _section_classes(_read_toml(DEFAULTS_FILE))
globals().update({cls.__name__: cls for cls in SECTIONS.values()})


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the defaults, the user file named by ``SOXSVO_CONFIG`` and ``SOXSVO_*`` variables.

    Parameters
    ----------
    environ : mapping, optional
        Environment to read; defaults to ``os.environ``.

    Raises
    ------
    ConfigError
        On an unknown key, a value of the wrong type or an unwritable data directory.
    """
    environ = os.environ if environ is None else environ
    values = _read_toml(DEFAULTS_FILE)
    data_dir_source = str(DEFAULTS_FILE)
    user_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if user_file:
        overrides = _read_toml(Path(user_file))
        _merge_file(values, overrides, user_file)
        if "data_dir" in overrides:
            data_dir_source = user_file
    _merge_env(values, environ)
    if f"{ENV_PREFIX}DATA_DIR" in environ:
        data_dir_source = f"environment variable {ENV_PREFIX}DATA_DIR"
    if not 0 < values["port"] < 65536:
        raise ConfigError(f"port must be between 1 and 65535, got {values['port']}")
    if values["threads"] < 1:
        raise ConfigError(f"threads must be at least 1, got {values['threads']}")
    _check_data_dir(values, data_dir_source)
    return Settings(values)
