from inventory.ledger import Item, Ledger

__all__ = ["Item", "Ledger"]
