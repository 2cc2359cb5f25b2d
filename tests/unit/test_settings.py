"""Settings: layers (defaults → TOML file → environment → overrides), secrets, bad config files."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from config.center_file import sample_center_path
from config.settings import (
    MAKE_SECRET,
    Settings,
    SettingsError,
    get_settings,
    load_settings,
    secret_key_problem,
)

pytestmark = pytest.mark.unit

GOOD_SECRET = secrets.token_urlsafe(48)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch):
    """No HOTLINE_* variable from the machine running the tests leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("HOTLINE_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write_config(tmp_path: Path, text: str, name: str = "hotline.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_configured():
    settings = load_settings(demo=True)
    assert settings.data_dir == Path("hotline-data")
    assert settings.database_url is None
    assert settings.db_url == "sqlite:///hotline-data/hotline.db"
    assert settings.redis_url is None
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.secret_key.get_secret_value() == ""
    assert settings.center_file is None
    assert settings.center_path == sample_center_path()
    assert settings.center_path.is_file()
    assert settings.session_max_age_s == 8 * 3600
    assert (settings.login_max_failures, settings.login_lockout_s) == (5, 300)
    assert settings.log_level == "INFO"


def test_db_url_follows_data_dir_and_prefers_database_url(tmp_path):
    assert load_settings(demo=True, data_dir=tmp_path).db_url == f"sqlite:///{tmp_path}/hotline.db"
    url = "postgresql+psycopg://hotline@db/hotline"
    assert load_settings(demo=True, data_dir=tmp_path, database_url=url).db_url == url


def test_center_path_is_the_configured_file(tmp_path):
    center = tmp_path / "my-center.toml"
    assert load_settings(demo=True, center_file=center).center_path == center


def test_toml_file_overrides_defaults(tmp_path):
    path = write_config(
        tmp_path,
        'data_dir = "/srv/hotline"\nhttp_port = 9000\nredis_url = "redis://r:6379/0"\n'
        f'secret_key = "{GOOD_SECRET}"\nlog_level = "debug"\n',
    )
    settings = load_settings(path)
    assert settings.data_dir == Path("/srv/hotline")
    assert settings.http_port == 9000
    assert settings.redis_url == "redis://r:6379/0"
    assert settings.secret_key.get_secret_value() == GOOD_SECRET
    assert settings.log_level == "DEBUG"
    assert settings.db_url == "sqlite:////srv/hotline/hotline.db"


def test_environment_overrides_toml_file(tmp_path, monkeypatch):
    path = write_config(tmp_path, 'http_port = 9000\nhttp_host = "0.0.0.0"\ndemo = true\n')
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "9100")
    settings = load_settings(path)
    assert settings.http_port == 9100
    assert settings.http_host == "0.0.0.0"  # not in the environment: the file's value stays


def test_overrides_win_over_environment_and_file(tmp_path, monkeypatch):
    path = write_config(tmp_path, "http_port = 9000\ndemo = true\n")
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "9100")
    assert load_settings(path, http_port=9200).http_port == 9200


def test_empty_environment_variable_counts_as_unset(tmp_path, monkeypatch):
    path = write_config(tmp_path, "http_port = 9000\ndemo = true\n")
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "")
    assert load_settings(path).http_port == 9000


def test_config_file_named_by_hotline_config(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "HOTLINE_CONFIG", str(write_config(tmp_path, "demo = true\nhttp_port = 7001"))
    )
    assert load_settings().http_port == 7001


def test_config_file_argument_beats_hotline_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_CONFIG", str(write_config(tmp_path, "demo = true\nhttp_port = 1")))
    chosen = write_config(tmp_path, "demo = true\nhttp_port = 2", name="chosen.toml")
    assert load_settings(chosen).http_port == 2


def test_secret_from_environment_is_not_shown_in_repr(monkeypatch):
    monkeypatch.setenv("HOTLINE_SECRET_KEY", GOOD_SECRET)
    settings = load_settings()
    assert settings.secret_key.get_secret_value() == GOOD_SECRET
    assert GOOD_SECRET not in repr(settings)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "   ",
        "change-me",
        "changeme",
        "secret",
        "dev",
        "please-change",
        "xxx",
        "a" * 31,
        "x" * 64,
        "change-me-" * 5,
        "CHANGE_ME_please_" + secrets.token_urlsafe(32),
    ],
)
def test_placeholder_secret_is_refused_outside_demo(secret):
    with pytest.raises(SettingsError) as caught:
        load_settings(secret_key=secret)
    message = str(caught.value)
    assert MAKE_SECRET in message
    assert "HOTLINE_SECRET_KEY" in message
    if len(secret) >= 10:  # shorter ones are common words the message may well contain
        assert secret not in message  # never echo the secret


def test_placeholder_secret_in_config_file_is_refused(tmp_path):
    path = write_config(tmp_path, 'secret_key = "change-me"\n')
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings(path)


def test_random_secret_is_accepted_outside_demo():
    assert not load_settings(secret_key=GOOD_SECRET).demo
    assert secret_key_problem(secrets.token_hex(16)) is None


def test_demo_mode_allows_an_empty_secret(monkeypatch):
    monkeypatch.setenv("HOTLINE_DEMO", "true")
    settings = load_settings()
    assert settings.demo
    assert settings.secret_key.get_secret_value() == ""


def test_missing_config_file_is_named(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SettingsError) as caught:
        load_settings(missing)
    assert caught.value.messages == [
        f"{missing}: cannot read the config file: No such file or directory"
    ]


def test_invalid_toml_config_file_is_named_with_position(tmp_path):
    path = write_config(tmp_path, "demo = true\nhttp_port = \n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert caught.value.messages == [f"{path}: invalid TOML: Invalid value (at line 2, column 13)"]


def test_non_utf8_config_file_is_refused(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b'http_host = "caf\xe9"\n')
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings(path)


def test_unknown_key_and_bad_value_in_config_file_are_all_reported(tmp_path):
    path = write_config(tmp_path, 'demo = true\nhttp_prot = 1\nhttp_port = "eighty"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert sorted(caught.value.messages) == [
        f"{path}: http_port: must be a valid integer, unable to parse string as an integer, "
        "got 'eighty'",
        f"{path}: http_prot: unknown setting",
    ]


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "99999")
    with pytest.raises(SettingsError) as caught:
        load_settings(demo=True)
    assert caught.value.messages == [
        "HOTLINE_HTTP_PORT: must be less than or equal to 65535, got '99999'"
    ]


def test_malformed_secret_is_not_echoed(tmp_path):
    path = write_config(tmp_path, "demo = true\nsecret_key = 123456789\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert caught.value.messages == [f"{path}: secret_key: must be a valid string"]


def test_unknown_override_is_refused():
    with pytest.raises(SettingsError, match="http_prot: unknown setting"):
        load_settings(demo=True, http_prot=1)


def test_unknown_log_level_is_refused():
    with pytest.raises(SettingsError, match="'LOUD' is not a log level"):
        load_settings(demo=True, log_level="LOUD")


def test_get_settings_reads_once_until_cleared(monkeypatch):
    monkeypatch.setenv("HOTLINE_DEMO", "1")
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "7001")
    first = get_settings()
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "7002")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().http_port == 7002


def test_settings_without_load_settings_read_only_defaults_and_environment(monkeypatch):
    monkeypatch.setenv("HOTLINE_DEMO", "yes")
    monkeypatch.setenv("HOTLINE_LOGIN_MAX_FAILURES", "3")
    settings = Settings()
    assert settings.demo
    assert settings.login_max_failures == 3
