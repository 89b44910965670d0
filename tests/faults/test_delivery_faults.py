"""Delivery against misbehaving real servers: one retry policy, no blind resend, bounded time.

Every server here is real (aiosmtpd or a bare TCP listener on 127.0.0.1); nothing in smtplib or
yagmail is mocked. Timeouts are small so the whole file runs in a few seconds.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smtp_server import SmtpTestServer, StalledServer
from triwulan.tasks.core.errors import TriwulanError
from triwulan.tasks.core.smtp_settings import SmtpConfig
from triwulan.tasks.send.deliver import Mail, deliver

TIMEOUT_S = 0.5
BUDGET_S = 2.0


@pytest.fixture
def stalled_server() -> Iterator[StalledServer]:
    """Accepts TCP on 127.0.0.1 and never answers, not even the greeting."""
    with StalledServer() as server:
        yield server


def _mail(key: str) -> Mail:
    return Mail(
        key=key,
        to=["camat@sukamaju.go.id"],
        cc=["sekcam@sukamaju.go.id"],
        subject=f"[DRAF] Laporan {key}",
        html=f"<p>Laporan {key}</p>",
        text=f"Laporan {key}",
    )


def _config(env: dict[str, str], **fields: float) -> SmtpConfig:
    config = SmtpConfig.from_env(env)
    assert config is not None
    return dataclasses.replace(config, **fields)


def _ledger(path: Path) -> dict[str, dict[str, object]]:
    return json.loads(path.read_text(encoding="utf-8"))["terkirim"]


def test_drop_after_content_sends_one_copy_and_is_not_resent(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.disconnect_data(1)  # the content of the first mail arrives, the 250 never does
    outbox, ledger = tmp_path / "v1" / "outbox", tmp_path / "terkirim.json"
    config = _config(smtp_server.env())
    mails = [_mail("2024-TW2/pimpinan/aaa"), _mail("2024-TW2/unit/perwira/bbb")]

    first, second = deliver(mails, outbox, config, ledger=ledger, attempts=3, backoff_s=0.01)

    assert (first.status, first.attempts) == ("unknown", 1)
    assert first.error is not None
    assert "tidak pasti" in first.error and "mungkin sudah atau belum" in first.error
    assert str(ledger) in first.error  # tells the operator where to resolve it
    assert first.eml.is_file()
    assert (second.status, second.attempts) == ("terkirim", 1)  # the run went on
    assert smtp_server.copies_of(mails[0].key) == 1
    assert _ledger(ledger)[mails[0].key]["status"] == "unknown"
    assert _ledger(ledger)[mails[1].key]["status"] == "terkirim"

    # A rerun (new version folder, same quarter ledger) reports it again but does not resend it.
    again = deliver(mails, tmp_path / "v2" / "outbox", config, ledger=ledger, backoff_s=0.01)

    assert [(r.status, r.attempts) for r in again] == [("unknown", 0), ("sudah_terkirim", 0)]
    assert again[0].eml == first.eml
    assert again[0].error is not None and "tidak dikirim ulang" in again[0].error
    assert smtp_server.copies_of(mails[0].key) == 1
    assert smtp_server.data_attempts == 2

    # Once a person found it missing and deleted its entry, the next run sends it.
    data = json.loads(ledger.read_text(encoding="utf-8"))
    del data["terkirim"][mails[0].key]
    ledger.write_text(json.dumps(data), encoding="utf-8")
    [resent] = deliver(mails[:1], tmp_path / "v3" / "outbox", config, ledger=ledger)
    assert resent.status == "terkirim"
    assert smtp_server.copies_of(mails[0].key) == 2
    assert _ledger(ledger)[mails[0].key]["status"] == "terkirim"


def test_unknown_marked_as_arrived_by_a_person_counts_as_sent(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.disconnect_data(1)
    ledger = tmp_path / "terkirim.json"
    config = _config(smtp_server.env())
    mail = _mail("2024-TW2/pimpinan/aaa")
    [first] = deliver([mail], tmp_path / "v1", config, ledger=ledger)
    assert first.status == "unknown"

    data = json.loads(ledger.read_text(encoding="utf-8"))
    data["terkirim"][mail.key]["status"] = "terkirim"
    ledger.write_text(json.dumps(data), encoding="utf-8")

    [again] = deliver([mail], tmp_path / "v2", config, ledger=ledger)
    assert again.status == "sudah_terkirim"
    assert smtp_server.copies_of(mail.key) == 1


def test_server_silent_after_content_is_unknown_after_one_timeout(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.delay_data(3 * TIMEOUT_S)  # answers 250 long after the client gave up
    ledger = tmp_path / "terkirim.json"
    config = _config(smtp_server.env(), timeout_s=TIMEOUT_S, total_budget_s=30.0)
    mail = _mail("2024-TW2/pimpinan/aaa")

    [result] = deliver([mail], tmp_path / "out", config, ledger=ledger, backoff_s=0.01)

    assert (result.status, result.attempts) == ("unknown", 1)
    assert result.error is not None and f"tidak menjawab dalam {TIMEOUT_S:g} detik" in result.error
    assert smtp_server.copies_of(mail.key) == 1
    assert _ledger(ledger)[mail.key]["status"] == "unknown"


def test_drop_before_content_is_retried_and_delivered_once(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.disconnect_rcpt(1)  # nothing of the mail reached the server: safe to retry
    mail = _mail("2024-TW2/pimpinan/aaa")

    [result] = deliver([mail], tmp_path / "out", _config(smtp_server.env()), backoff_s=0.01)

    assert (result.status, result.attempts, result.error) == ("terkirim", 2, None)
    assert smtp_server.mail_commands == 2
    assert smtp_server.copies_of(mail.key) == 1
    assert len(smtp_server.messages) == 1


def test_transient_451_after_content_is_retried_and_delivered_once(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.fail_data(1, "451 4.3.0 Server sibuk")  # a real answer: the mail was refused
    mail = _mail("2024-TW2/pimpinan/aaa")

    [result] = deliver([mail], tmp_path / "out", _config(smtp_server.env()), backoff_s=0.01)

    assert (result.status, result.attempts, result.error) == ("terkirim", 2, None)
    assert smtp_server.data_attempts == 2
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].parse()["X-Triwulan-Key"] == mail.key


def test_transient_451_on_mail_from_is_retried_and_delivered_once(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.fail_mail(2, "451 4.7.1 Coba lagi nanti")
    mail = _mail("2024-TW2/pimpinan/aaa")

    [result] = deliver([mail], tmp_path / "out", _config(smtp_server.env()), backoff_s=0.01)

    assert (result.status, result.attempts) == ("terkirim", 3)
    assert smtp_server.mail_commands == 3
    assert smtp_server.copies_of(mail.key) == 1


def test_slow_server_attempt_is_cut_by_the_timeout_and_retried(
    smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    smtp_server.delay_rcpt(4 * TIMEOUT_S)
    config = _config(smtp_server.env(), timeout_s=TIMEOUT_S, total_budget_s=30.0)
    mail = _mail("2024-TW2/pimpinan/aaa")

    started = time.monotonic()
    [result] = deliver([mail], tmp_path / "out", config, attempts=2, backoff_s=0.01)
    elapsed = time.monotonic() - started

    assert (result.status, result.attempts) == ("gagal", 2)
    assert result.error is not None
    assert f"tidak menjawab dalam {TIMEOUT_S:g} detik" in result.error
    assert "setelah 2 percobaan" in result.error
    assert smtp_server.rcpt_commands == 2  # one RCPT per attempt, each cut by the timeout
    assert smtp_server.transactions == []
    assert result.eml.is_file()
    assert elapsed < 2 * TIMEOUT_S + 3.0  # sanity only: far below the server's delay per attempt


def test_stalled_server_is_bounded_by_timeout_and_budget(
    stalled_server: StalledServer, tmp_path: Path
) -> None:
    config = _config(stalled_server.env(), timeout_s=TIMEOUT_S, total_budget_s=BUDGET_S)
    mails = [_mail(f"2024-TW2/unit/u{i}/isi") for i in range(4)]
    ledger = tmp_path / "terkirim.json"

    started = time.monotonic()
    results = deliver(mails, tmp_path / "out", config, ledger=ledger, attempts=3, backoff_s=0.01)
    elapsed = time.monotonic() - started

    assert [r.status for r in results] == ["gagal"] * 4
    tried = sum(r.attempts for r in results)
    # Every attempt opened one connection and waited at most TIMEOUT_S for the greeting, so the
    # budget allows about BUDGET_S / TIMEOUT_S of them; unbounded, it would be 4 mails x 3.
    assert 2 <= tried <= int(BUDGET_S / TIMEOUT_S) + 1
    assert stalled_server.wait_for_connections(tried) == tried
    assert results[0].attempts == 3
    assert results[0].error is not None
    assert f"tidak menjawab dalam {TIMEOUT_S:g} detik" in results[0].error
    assert results[-1].attempts == 0  # never tried: the budget was gone
    for result in results:
        assert result.eml.is_file()
    for result in results[1:]:
        assert result.error is not None
        assert f"Batas waktu pengiriman {BUDGET_S:g} detik" in result.error
        assert "proses berikutnya" in result.error
    assert not ledger.exists()  # nothing is recorded, so the next run sends them all
    assert elapsed < BUDGET_S + TIMEOUT_S + 3.0  # sanity only


def test_mails_left_by_an_exhausted_budget_go_out_on_the_next_run(
    stalled_server: StalledServer, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    mails = [_mail(f"2024-TW2/unit/u{i}/isi") for i in range(3)]
    ledger = tmp_path / "terkirim.json"
    stalled = _config(stalled_server.env(), timeout_s=TIMEOUT_S, total_budget_s=TIMEOUT_S)
    first = deliver(mails, tmp_path / "v1", stalled, ledger=ledger, attempts=3, backoff_s=0.01)
    assert [r.status for r in first] == ["gagal"] * 3
    assert [r.attempts for r in first[1:]] == [0, 0]

    second = deliver(mails, tmp_path / "v2", _config(smtp_server.env()), ledger=ledger)

    assert [r.status for r in second] == ["terkirim"] * 3
    assert sorted(m.parse()["X-Triwulan-Key"] for m in smtp_server.messages) == sorted(
        m.key for m in mails
    )


def test_budget_and_timeout_come_from_the_environment(smtp_server: SmtpTestServer) -> None:
    default = _config(smtp_server.env())
    assert (default.timeout_s, default.total_budget_s) == (30.0, 120.0)
    config = _config(smtp_server.env(TRIWULAN_SMTP_TIMEOUT_S="2,5", TRIWULAN_SMTP_BUDGET_S="45"))
    assert (config.timeout_s, config.total_budget_s) == (2.5, 45.0)
    with pytest.raises(TriwulanError) as caught:
        SmtpConfig.from_env(
            smtp_server.env(TRIWULAN_SMTP_TIMEOUT_S="0", TRIWULAN_SMTP_BUDGET_S="dua menit")
        )
    assert "TRIWULAN_SMTP_TIMEOUT_S" in str(caught.value)
    assert "TRIWULAN_SMTP_BUDGET_S" in str(caught.value)


def test_prefect_send_task_adds_no_retry_layer() -> None:
    """deliver() is the one retry policy; a task retry would nest a second one around it."""
    spec = importlib.util.find_spec("triwulan.tasks.steps")  # read, not imported: no Prefect
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    [send] = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "send"
    ]
    keywords = {
        kw.arg for dec in send.decorator_list if isinstance(dec, ast.Call) for kw in dec.keywords
    }
    assert "retries" not in keywords
