"""The deployments people rely on: prefect.yaml and `triwulan serve` agree, and fire on time."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
from pathlib import Path

import pytest
import yaml
from prefect.server.schemas.schedules import CronSchedule

from triwulan.config import apply_config

ROOT = Path(__file__).resolve().parents[1]
WIB = dt.timezone(dt.timedelta(hours=7))
DEADLINES_2025 = [dt.datetime(2025, m, 10, 8, 0, tzinfo=WIB) for m in (1, 4, 7, 10)]
REMINDERS_2025 = [dt.datetime(2025, m, 7, 8, 0, tzinfo=WIB) for m in (1, 4, 7, 10)]


def next_four_in_2025(cron: str, timezone: str) -> list[dt.datetime]:
    dates = asyncio.run(
        CronSchedule(cron=cron, timezone=timezone).get_dates(
            n=4, start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        )
    )
    return [dt.datetime.fromisoformat(d.isoformat()) for d in dates]


@pytest.fixture(scope="module")
def declared() -> dict[str, dict]:
    data = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in data["deployments"]}


def test_every_entrypoint_of_prefect_yaml_imports_to_a_flow(declared):
    from prefect import Flow

    for deployment in declared.values():
        path, _, name = deployment["entrypoint"].partition(":")
        spec = importlib.util.spec_from_file_location(f"entry_{name}", ROOT / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert isinstance(getattr(module, name), Flow)


def test_prefect_yaml_fires_at_the_deadline_and_reminds_three_days_before(declared):
    quarterly, reminder = declared["akhir-triwulan"], declared["pengingat-batas"]
    for deployment, expected in ((quarterly, DEADLINES_2025), (reminder, REMINDERS_2025)):
        [schedule] = deployment["schedules"]
        assert schedule["timezone"] == "Asia/Jakarta"
        assert next_four_in_2025(schedule["cron"], schedule["timezone"]) == expected
        assert deployment["concurrency_limit"] == 1
        assert deployment["parameters"] == {}


def test_served_deployments_follow_the_config_file(tmp_path, monkeypatch):
    from triwulan.serve import deployments

    monkeypatch.chdir(tmp_path)
    for key in ("TRIWULAN_BATAS_TANGGAL", "TRIWULAN_BATAS_JAM", "TRIWULAN_PENGINGAT_HARI"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "triwulan.toml").write_text("[jadwal]\nbatas_tanggal = 10\nbatas_jam = '08:00'\n")
    served = {d.name: d for d in deployments()}
    for name, expected in (("akhir-triwulan", DEADLINES_2025), ("pengingat-batas", REMINDERS_2025)):
        [schedule] = served[name].schedules
        cron = schedule.schedule
        assert next_four_in_2025(cron.cron, cron.timezone) == expected
    # the same file moved to the 15th at 09:30 moves the served schedule with it
    for key in ("TRIWULAN_BATAS_TANGGAL", "TRIWULAN_BATAS_JAM"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "triwulan.toml").write_text("[jadwal]\nbatas_tanggal = 15\nbatas_jam = '09:30'\n")
    [schedule] = {d.name: d for d in deployments()}["akhir-triwulan"].schedules
    assert next_four_in_2025(schedule.schedule.cron, "Asia/Jakarta")[1] == dt.datetime(
        2025, 4, 15, 9, 30, tzinfo=WIB
    )


def test_config_file_env_override_and_sources(tmp_path, monkeypatch):
    from triwulan.config import effective

    for key in ("TRIWULAN_INBOX", "TRIWULAN_OUT", "TRIWULAN_SMTP_HOST", "TRIWULAN_SMTP_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "kantor.toml"
    config.write_text('[folder]\ninbox = "masuk"\nout = "hasil"\n[smtp]\nhost = "mail.example"\n')
    monkeypatch.setenv("TRIWULAN_CONFIG", str(config))
    monkeypatch.setenv("TRIWULAN_OUT", "/srv/laporan")
    monkeypatch.setenv("TRIWULAN_SMTP_PASSWORD", "sandi-uji-smtp")
    env = dict(__import__("os").environ)
    apply_config(env)
    rows = {r.variable: r for r in effective(env)}
    assert rows["TRIWULAN_INBOX"].value == str(tmp_path / "masuk")  # relative to the file
    assert rows["TRIWULAN_INBOX"].origin == str(config)
    assert (
        rows["TRIWULAN_OUT"].value == "/srv/laporan" and rows["TRIWULAN_OUT"].origin == "lingkungan"
    )
    assert rows["TRIWULAN_SMTP_PASSWORD"].value == "******"
    assert "sandi-uji-smtp" not in repr(list(rows.values()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[smtp]\npassword = "x"\n', "kata sandi tidak disimpan"),
        ('[folder]\ninbx = "x"\n', "[folder] inbx tidak dikenal"),
        ("[folder\n", "tidak dapat dibaca"),
    ],
)
def test_bad_config_files_are_refused_by_name(tmp_path, monkeypatch, text, expected):
    from triwulan.tasks.core.errors import TriwulanError

    config = tmp_path / "triwulan.toml"
    config.write_text(text)
    monkeypatch.setenv("TRIWULAN_CONFIG", str(config))
    with pytest.raises(TriwulanError, match=expected.replace("[", r"\[")):
        apply_config({"TRIWULAN_CONFIG": str(config)})
