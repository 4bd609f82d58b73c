"""Settings: defaults from soxsvo/defaults.toml, overrides, and errors that name key and source."""

from pathlib import Path

import pytest

from soxsvo.config import DEFAULTS_FILE, ConfigError, load_settings


def test_defaults_file_sets_every_documented_key(tmp_path: Path) -> None:
    settings = load_settings({"SOXSVO_DATA_DIR": str(tmp_path)})
    assert settings.port == 8000
    assert settings.host == "127.0.0.1"
    assert settings.database_url == ""
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.data_path == tmp_path.resolve()


def test_environment_overrides_top_level_and_section_keys(tmp_path: Path) -> None:
    settings = load_settings({
        "SOXSVO_DATA_DIR": str(tmp_path), "SOXSVO_PORT": "9100",
        "SOXSVO_BASE_URL": "https://archive.example.org/soxs/",
        "SOXSVO_DATABASE_URL": "postgresql://u@db/soxs", "SOXSVO_HOST": "0.0.0.0",
        "SOXSVO_ARCHIVE_PROPRIETARY_MONTHS": "18",
    })
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"
    assert settings.database_url == "postgresql://u@db/soxs"
    assert settings.public_url == "https://archive.example.org/soxs"
    assert settings.archive.proprietary_months == 18


def test_user_file_overrides_defaults(tmp_path: Path) -> None:
    user = tmp_path / "site.toml"
    user.write_text(f'data_dir = "{tmp_path / "d"}"\nworkers = 2\n[query]\nsync_timeout = 5\n')
    settings = load_settings({"SOXSVO_CONFIG": str(user)})
    assert settings.workers == 2
    assert settings.query.sync_timeout == 5
    assert settings.data_path == (tmp_path / "d").resolve()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("colour = 'red'\n", "unknown key 'colour'"),
        ("port = 'eighty'\n", "port must be int"),
        ("[nosuch]\nx = 1\n", "unknown key 'nosuch'"),
        ("[query]\nsync_timeout = 'soon'\n", "query.sync_timeout must be int"),
        ("[query]\nfoo = 1\n", "unknown key query.foo"),
        ("port = = 1\n", "not valid TOML"),
    ],
)
def test_bad_user_file_names_key_and_file(tmp_path: Path, content: str, expected: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings({"SOXSVO_CONFIG": str(user), "SOXSVO_DATA_DIR": str(tmp_path)})
    assert expected in str(caught.value)
    assert str(user) in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SOXSVO_PORT: must be int"):
        load_settings({"SOXSVO_PORT": "http", "SOXSVO_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="SOXSVO_PROT: unknown setting"):
        load_settings({"SOXSVO_PROT": "1", "SOXSVO_DATA_DIR": str(tmp_path)})


def test_data_dir_that_cannot_be_created_is_refused() -> None:
    # /proc refuses new folders even to root, so this holds for every user running the tests.
    with pytest.raises(ConfigError) as caught:
        load_settings({"SOXSVO_DATA_DIR": "/proc/soxsvo-data"})
    assert "environment variable SOXSVO_DATA_DIR" in str(caught.value)
    assert "cannot be created" in str(caught.value)


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        load_settings({"SOXSVO_DATA_DIR": str(blocker / "data")})
    assert "SOXSVO_DATA_DIR" in str(caught.value)
    assert "data_dir" in str(caught.value)


def test_every_default_is_documented_in_the_file() -> None:
    lines = DEFAULTS_FILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" not in line or line.startswith("#"):
            continue
        block = []
        for previous in reversed(lines[:number]):
            if not previous.strip():
                break
            block.append(previous)
        assert any(p.startswith("#") for p in block), f"{line.split('=')[0]} has no comment"
