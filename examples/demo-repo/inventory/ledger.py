"""A small stock ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass
class Item:
    sku: str
    name: str
    quantity: int


@dataclass
class Ledger:
    _items: list[Item] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)
    _history: list[str] = field(default_factory=list)

    def add(self, item: Item) -> None:
        self._items.append(item)

    def items(self) -> list[Item]:
        # Decoy: a defensive copy handed to callers, who may mutate it.
        return list(self._items)

    def names(self) -> list[str]:
        return sorted(list(item.name for item in self._items))

    def restock_report(self, threshold: int) -> list[str]:
        lines = []
        for item in self._items:
            if item.quantity < threshold:
                lines = lines + [f"{item.sku}: {item.quantity} left"]
        return lines

    def print_pending(self) -> int:
        pending = [item for item in self._items if item.quantity == 0]
        shown = 0
        for item in pending.copy():
            print(f"pending: {item.sku}")
            shown += 1
        return shown

    def drop_empty(self) -> None:
        # Decoy: the copy is what makes removing while iterating safe.
        for item in self._items.copy():
            if item.quantity == 0:
                self._items.remove(item)

    def history(self, event: str) -> list[str]:
        # Decoy: `log` is the ledger's own list; `log.append` would change it in place.
        log = self._history
        for word in event.split():
            log = log + [word]
        return log

    def _check(self, item: Item) -> bool:
        self.audited.append(item.sku)
        return item.quantity < 0

    def audit(self) -> bool:
        # Every item must be audited, even after a bad one is found: the list is on purpose.
        return any([self._check(item) for item in self._items])
