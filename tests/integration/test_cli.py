"""The `hurrinet-server` command line on a real database file."""

import json
import tomllib
from pathlib import Path

import pytest

from hurrinet_tui.__main__ import main as workstation_main
from server.__main__ import main
from server.protocol import COMMANDS, PROTOCOL_VERSION
from server.storage.database import sqlite_url


def test_check_migrates_and_loads_the_demo_deployment(tmp_path, capsys):
    assert main(["check", "--database", sqlite_url(tmp_path / "check.db")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: Saint Lucia") and "10 districts" in out


def test_check_reports_a_bad_reference_file(tmp_path, capsys):
    (tmp_path / "districts.csv").write_text("code,name\nCAS,Castries\nCAS,Again\n", encoding="utf-8")
    assert main(["check", "--reference", str(tmp_path), "--database", sqlite_url(tmp_path / "x.db")]) == 1
    err = capsys.readouterr().err
    assert "districts.csv: entry 2: duplicate district code 'CAS'" in err


def test_protocol_json_lists_every_command_with_its_schema(capsys):
    assert main(["protocol", "--json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["commands"]) == set(COMMANDS)
    assign = schema["commands"]["unit.assign"]["args"]
    assert set(assign["required"]) == {"incident_id", "units"}
    assert "bad_request" in schema["error_codes"]


def test_docs_protocol_md_carries_the_generated_command_table():
    from server.__main__ import protocol_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("<!-- commands:begin -->\n", 1)[1].split("<!-- commands:end -->", 1)[0]
    assert section == protocol_markdown(), "regenerate with: hurrinet-server protocol --markdown"
    for name in COMMANDS:
        assert f"`{name}`" in section


def test_users_and_audit_from_the_command_line(tmp_path, capsys):
    assert main(["user", "add", "maria", "--role", "supervisor", "--data-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 40
    assert main(["user", "add", "maria", "--data-dir", str(tmp_path)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["user", "revoke", "maria", "--data-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--data-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "maria" in listing and "supervisor" in listing and "revoked" in listing
    from server.app.commands import Clock
    from server.net.accounts import Accounts
    from server.storage.database import make_engine

    accounts = Accounts(make_engine(sqlite_url(tmp_path / "hurrinet.db")))
    accounts.audit(Clock().now(), "command", user_id="u1", command="incident.create", command_id="c9", result="ok")
    assert main(["audit", "--since", "2000-01-01", "--data-dir", str(tmp_path)]) == 0
    assert "kind=command user_id=u1 command=incident.create command_id=c9 result=ok" in capsys.readouterr().out


def test_version_names_the_software_and_its_protocol(capsys):
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    for program, run in (("hurrinet-server", main), ("hurrinet", workstation_main)):
        with pytest.raises(SystemExit) as done:
            run(["--version"])
        assert done.value.code == 0
        assert capsys.readouterr().out.strip() == f"{program} {version} (protocol {PROTOCOL_VERSION})"


def test_every_serve_option_says_what_it_does(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    lines = capsys.readouterr().out.splitlines()
    options = [n for n, line in enumerate(lines) if line.lstrip().startswith("--")]
    assert len(options) == 7  # config, data-dir, database-url, host, port, reference-dir, no-compression
    for n in options:
        signature, _, described = lines[n].strip().partition("  ")
        follows = lines[n + 1].strip() if n + 1 < len(lines) else ""
        assert described.strip() or (follows and not follows.startswith("-")), f"{signature} has no description"


def test_an_unknown_or_bad_setting_in_the_file_stops_the_server_naming_it(tmp_path, capsys):
    config = tmp_path / "server.toml"
    config.write_text('prot = 9000\nhost = "0.0.0.0"\n', encoding="utf-8")
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}: unknown settings prot (did you mean port?)" in err and "Traceback" not in err
    config.write_text('compression = "maybe"\n', encoding="utf-8")
    assert main(["user", "list", "--config", str(config)]) == 2
    assert "compression must be true or false, not 'maybe'" in capsys.readouterr().err
