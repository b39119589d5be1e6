from pathlib import Path

from inventory import Item, Ledger
from inventory.io import read_skus


def make() -> Ledger:
    ledger = Ledger()
    ledger.add(Item("a1", "bolt", 3))
    ledger.add(Item("b2", "anchor", 0))
    ledger.add(Item("c3", "clamp", -1))
    ledger.add(Item("d4", "drill", 12))
    return ledger


def test_items_is_a_copy():
    ledger = make()
    ledger.items().clear()
    assert len(ledger.items()) == 4


def test_names_sorted():
    assert make().names() == ["anchor", "bolt", "clamp", "drill"]


def test_restock_report():
    assert make().restock_report(5) == ["a1: 3 left", "b2: 0 left", "c3: -1 left"]


def test_print_pending(capsys):
    assert make().print_pending() == 1
    assert "pending: b2" in capsys.readouterr().out


def test_drop_empty():
    ledger = make()
    ledger.drop_empty()
    assert [i.sku for i in ledger.items()] == ["a1", "c3", "d4"]


def test_history_leaves_ledger_alone():
    ledger = make()
    assert ledger.history("sold two bolts") == ["sold", "two", "bolts"]
    assert ledger.history("restocked") == ["restocked"]


def test_audit_visits_every_item():
    ledger = make()
    assert ledger.audit() is True
    assert ledger.audited == ["a1", "b2", "c3", "d4"]


def test_read_skus(tmp_path: Path):
    stock = tmp_path / "stock.txt"
    stock.write_text("a1\n\nb2\n", encoding="utf-8")
    assert read_skus(stock) == ["a1", "b2"]
