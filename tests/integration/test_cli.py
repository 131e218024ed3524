"""The `hurrinet-server` command line on a real database file."""

import json

from server.__main__ import main
from server.protocol import COMMANDS
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
    from pathlib import Path

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
