"""Settings precedence: defaults < TOML file < HURRINET_* environment < command-line options."""

from pathlib import Path

import pytest

from server.config import load_settings


def test_each_layer_overrides_the_one_before(tmp_path):
    config = tmp_path / "server.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\ncompression = true\n', encoding="utf-8")
    env = {"HURRINET_PORT": "9100", "HURRINET_COMPRESSION": "false", "HURRINET_DATA_DIR": str(tmp_path)}
    settings = load_settings(config, {"port": 9200, "host": None}, environ=env)
    assert (settings.port, settings.host, settings.compression) == (9200, "0.0.0.0", False)
    assert settings.database == f"sqlite:///{Path(tmp_path).resolve() / 'hurrinet.db'}"


def test_database_url_wins_over_the_data_dir(tmp_path):
    settings = load_settings(environ={"HURRINET_DATABASE_URL": "postgresql://dispatch@db/hurrinet"})
    assert settings.database == "postgresql://dispatch@db/hurrinet"


def test_unknown_settings_in_the_file_are_named(tmp_path):
    config = tmp_path / "server.toml"
    config.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown settings prot"):
        load_settings(config, environ={})
