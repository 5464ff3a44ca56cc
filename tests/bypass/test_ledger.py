"""The hash-chained ledger: append-only in the database, and any tampering detected — an
edited, deleted, inserted or reordered entry (the tests lift the protection to tamper)."""

import io
import itertools
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from bypass import engine, ledger, services
from bypass.choices import State
from bypass.models import BypassEvent, BypassRequest, BypassUse
from servicedesk.errors import GuardFailed

from .conftest import file

GATE = "incident.triage.priority_matrix"
CLOSURE = "incident.closure.customer_confirmation"


def refuse() -> None:
    raise GuardFailed("The requester confirms the fix.", guard=CLOSURE)


@pytest.fixture
def chain(analyst, incident, owners) -> list[BypassEvent]:
    req = file(analyst, incident)
    services.bypass_approve(request=req, actor=owners[0])
    return list(BypassEvent.objects.order_by("seq"))


def _tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # lift the triggers
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS bypass_bypassevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS bypass_bypassevent_no_delete")
            cursor.execute(sql, params)


def test_chain_verifies_and_links(chain):
    result = ledger.verify()
    assert result.ok and result.length == len(chain) >= 6
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == ledger.GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash


@pytest.mark.django_db
def test_update_delete_refused_by_the_database(chain):
    for sql in (
        "UPDATE bypass_bypassevent SET type = 'x' WHERE seq = 1",
        "DELETE FROM bypass_bypassevent WHERE seq = 1",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(sql)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute("TRUNCATE bypass_bypassevent CASCADE")
    for table in ("bypass_bypassdecision", "bypass_bypassuse"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(f"DELETE FROM {table}")
            c.execute(f"UPDATE {table} SET id = id")
            if not c.rowcount:
                raise DatabaseError("nothing to update")  # empty table: the trigger had no row
    assert ledger.verify().ok


def test_edited_entry_detected(chain):
    body = chain[2].body.replace("bypass.", "bypass!", 1)
    _tamper("UPDATE bypass_bypassevent SET body = %s WHERE seq = 3", [body])
    result = ledger.verify()
    assert not result.ok and result.broken_seq == 3


def test_edited_and_rehashed_entry_detected_at_the_next(chain):
    body = chain[2].body.replace("bypass.", "bypass!", 1)
    new_hash = ledger.chain_hash(chain[1].hash, body)
    _tamper("UPDATE bypass_bypassevent SET body = %s, hash = %s WHERE seq = 3", [body, new_hash])
    result = ledger.verify()
    assert not result.ok and result.broken_seq == 4


def test_deleted_entry_detected(chain):
    _tamper("DELETE FROM bypass_bypassevent WHERE seq = 2", [])
    result = ledger.verify()
    assert not result.ok and result.broken_seq == 2


def test_deleted_tail_detected_against_checkpoint(chain):
    length, head = ledger.checkpoint()
    _tamper("DELETE FROM bypass_bypassevent WHERE seq = %s", [length])
    assert ledger.verify().ok  # a shorter chain is consistent in itself ...
    assert not ledger.verify(against=(length, head)).ok  # ... but not with the checkpoint


def test_inserted_entry_detected(chain):
    last = chain[-1]
    _tamper(
        "UPDATE bypass_bypassevent SET seq = seq + 100 WHERE seq = %s",
        [last.seq],
    )
    forged = ledger.canonical({"v": 1, "seq": last.seq, "type": "bypass.forged"})
    _tamper(
        "INSERT INTO bypass_bypassevent (seq, type, actor_name, from_state, to_state, body, "
        "prev_hash, hash, created_at) VALUES (%s, 'bypass.forged', '', '', '', %s, %s, %s, "
        "%s)",
        [
            last.seq,
            forged,
            chain[-2].hash,
            ledger.chain_hash(chain[-2].hash, forged),
            last.created_at,
        ],
    )
    result = ledger.verify()
    assert not result.ok and result.broken_seq == last.seq + 1


def test_reordered_entries_detected(chain):
    a, b = chain[1], chain[2]
    swap = "UPDATE bypass_bypassevent SET body = %s, prev_hash = %s, hash = %s WHERE seq = %s"
    _tamper(swap, ["", "", "tmp", a.seq])
    _tamper(swap, [a.body, a.prev_hash, a.hash, b.seq])
    _tamper(swap, [b.body, b.prev_hash, b.hash, a.seq])
    result = ledger.verify()
    assert not result.ok and result.broken_seq == a.seq


def test_command_checkpoint_and_against(chain):
    out = io.StringIO()
    call_command("verify_bypass_ledger", "--checkpoint", stdout=out)
    text = out.getvalue().strip()
    length, head = ledger.checkpoint()
    assert text == f"{length}:{head}"
    out = io.StringIO()
    call_command("verify_bypass_ledger", "--against", text, stdout=out)
    assert "OK" in out.getvalue()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "verify_bypass_ledger", "--against", f"{length}:{'0' * 64}", stdout=io.StringIO()
        )
    assert exited.value.code == 1
    with pytest.raises(SystemExit):
        call_command(
            "verify_bypass_ledger",
            "--against",
            "nonsense",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    _tamper("DELETE FROM bypass_bypassevent WHERE seq = 2", [])
    with pytest.raises(SystemExit) as exited:
        call_command("verify_bypass_ledger", stdout=io.StringIO())
    assert exited.value.code == 1


def test_nightly_task_alerts_on_broken_chain(chain, caplog):
    from bypass.tasks import bypass_ledger_verify_task

    assert bypass_ledger_verify_task.apply().get()["ok"]
    _tamper("DELETE FROM bypass_bypassevent WHERE seq = 2", [])
    result = bypass_ledger_verify_task.apply().get()
    assert not result["ok"]
    assert any("ledger" in r.getMessage().lower() for r in caplog.records if r.levelname == "ERROR")


@pytest.mark.django_db(transaction=True)
def test_single_use_consumed_once_concurrently(require_postgres, analyst, incident, owners):
    req = file(analyst, incident)
    req = services.bypass_approve(request=req, actor=owners[0])
    assert req.state == State.ACTIVE
    subject = engine.Subject.of(incident)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def use() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                try:
                    outcome = engine.pass_gate(
                        gate_id=CLOSURE, subject=subject, actor=analyst, check=refuse
                    )
                    results.append(outcome.request.ref)
                except GuardFailed:
                    results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted([req.ref, "refused", "refused", "refused"])
    assert BypassUse.objects.filter(request=req).count() == 1
    assert BypassRequest.objects.get(pk=req.pk).uses_count == 1
    assert ledger.verify().ok


@pytest.mark.django_db(transaction=True)
def test_ledger_appends_concurrently_without_forking(require_postgres, analyst, incident, owners):
    reqs = [file(analyst, incident) for _ in range(4)]
    barrier = threading.Barrier(4)

    def approve(pk: int) -> None:
        try:
            barrier.wait()
            services.bypass_approve(request=pk, actor=owners[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(r.pk,)) for r in reqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert BypassRequest.objects.filter(state=State.ACTIVE).count() == 4
    assert ledger.verify().ok
