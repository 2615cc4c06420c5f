"""World state (accounts) plus the per-transaction substate, all undone through one journal.

Design
------
* Accounts live in ``State.accounts: dict[int, Account]`` keyed by the address as an int.
* Every mutation made while a transaction executes appends an undo record to ``State.journal``.
  A call frame remembers ``len(journal)`` when it starts (``snapshot()``); on revert or
  exceptional halt ``revert(mark)`` pops and undoes records back to that mark.  Nothing is
  copied per call.
* Journaled: balances, nonces, code, storage, account creation/deletion, transient storage,
  warm addresses and warm storage slots (EIP-2929), the refund counter, logs, the set of
  accounts created in this transaction and the SELFDESTRUCT set.
* Like the Cancun execution spec, any balance/nonce/code change that leaves an account empty
  (nonce 0, balance 0, no code) deletes it on the spot.  This is EIP-161's clearing without a
  separate "touched" set: since the Merge no empty account exists (EIP-7523), so the only
  empty accounts a transaction can meet are ones it just made (a 0-wei transfer to a new
  address, a 0 fee to an absent coinbase), and those are removed right away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from framepool.evm.hashing import EMPTY_KECCAK, keccak256

__all__ = ["Account", "State"]


_CODE_HASHES: dict[bytes, bytes] = {}
_STORAGE_ROOTS: dict[frozenset[tuple[int, int]], bytes] = {}
_ADDRESS_HASHES: dict[int, bytes] = {}
_ACCOUNT_RLP: dict[tuple[int, int, bytes, bytes], bytes] = {}
_CACHE_MAX = 4096


def code_hash_of(code: bytes) -> bytes:
    """keccak256(code), memoized: fixture vectors share their pre-state code."""
    h = _CODE_HASHES.get(code)
    if h is None:
        h = keccak256(code) if code else EMPTY_KECCAK
        if len(_CODE_HASHES) >= _CACHE_MAX:
            _CODE_HASHES.clear()
        _CODE_HASHES[code] = h
    return h


def _storage_root(storage: dict[int, int]) -> bytes:
    """Storage trie root, memoized on the slot contents (many accounts repeat across vectors)."""
    from framepool.evm import trie

    if not storage:
        return trie.storage_root(storage)
    key = frozenset(storage.items())
    root = _STORAGE_ROOTS.get(key)
    if root is None:
        root = trie.storage_root(storage)
        if len(_STORAGE_ROOTS) >= _CACHE_MAX:
            _STORAGE_ROOTS.clear()
        _STORAGE_ROOTS[key] = root
    return root


class PreAccountLike(Protocol):
    """What ``State.from_pre`` reads of a pre-state account (e.g. ``fixtures.PreAccount``)."""

    @property
    def nonce(self) -> int: ...
    @property
    def balance(self) -> int: ...
    @property
    def code(self) -> bytes: ...
    @property
    def storage(self) -> Mapping[int, int]: ...


class Account:
    """One account. ``storage`` holds only non-zero slots."""

    __slots__ = ("balance", "code", "code_hash", "nonce", "storage")

    def __init__(
        self,
        nonce: int = 0,
        balance: int = 0,
        code: bytes = b"",
        storage: dict[int, int] | None = None,
        code_hash: bytes | None = None,
    ) -> None:
        self.nonce = nonce
        self.balance = balance
        self.code = code
        self.code_hash = code_hash if code_hash is not None else code_hash_of(code)
        self.storage: dict[int, int] = storage if storage is not None else {}

    def is_empty(self) -> bool:
        return self.nonce == 0 and self.balance == 0 and not self.code


# Journal record tags (first element of each undo tuple).
_J_BALANCE = 0  # (tag, account, old_balance)
_J_NONCE = 1  # (tag, account, old_nonce)
_J_STORAGE = 2  # (tag, account, key, old_value)
_J_CODE = 3  # (tag, account, old_code, old_hash)
_J_NEW = 4  # (tag, address)                 account created -> delete on undo
_J_DEL = 5  # (tag, address, account)        account deleted -> reinsert on undo
_J_TSTORE = 6  # (tag, (address, key), old_value)
_J_WARM_ADDR = 7  # (tag, address)
_J_WARM_SLOT = 8  # (tag, (address, key))
_J_REFUND = 9  # (tag, old_refund)
_J_LOG = 10  # (tag,)
_J_CREATED = 11  # (tag, address)
_J_DESTRUCT = 12  # (tag, address)


class State:
    """Accounts plus the transaction-scoped substate; see the module docstring."""

    __slots__ = (
        "accounts",
        "created",
        "journal",
        "logs",
        "original",
        "refund",
        "to_delete",
        "transient",
        "warm_addrs",
        "warm_slots",
    )

    def __init__(self, accounts: dict[int, Account] | None = None) -> None:
        self.accounts: dict[int, Account] = accounts if accounts is not None else {}
        # Undo records are heterogeneous tuples tagged by their first element (see _J_*).
        self.journal: list[tuple[Any, ...]] = []
        self.warm_addrs: set[int] = set()
        self.warm_slots: set[tuple[int, int]] = set()
        self.transient: dict[tuple[int, int], int] = {}
        self.original: dict[tuple[int, int], int] = {}
        self.created: set[int] = set()
        self.to_delete: set[int] = set()
        self.logs: list[tuple[int, tuple[int, ...], bytes]] = []
        self.refund = 0

    # ------------------------------------------------------------------ construction / output

    @classmethod
    def from_pre(cls, pre: Mapping[int, PreAccountLike]) -> State:
        """Build from fixture ``PreAccount``-like objects (nonce, balance, code, storage)."""
        accounts: dict[int, Account] = {}
        for address, acct in pre.items():
            storage = {k: v for k, v in acct.storage.items() if v}
            accounts[address] = Account(
                int(acct.nonce),
                int(acct.balance),
                bytes(acct.code),
                storage,
            )
        return cls(accounts)

    def copy_accounts(self) -> dict[int, Account]:
        """A deep copy of the accounts (used to keep a pre-state across vectors)."""
        return {
            a: Account(x.nonce, x.balance, x.code, dict(x.storage), x.code_hash)
            for a, x in self.accounts.items()
        }

    def root(self) -> bytes:
        """The state root, built with ``framepool.evm.trie``.

        Same result as ``trie.state_root``, but the per-account pieces (keccak of the address,
        the account's RLP) are memoized, since fixture vectors share most of their accounts.
        """
        from framepool.evm import trie

        items: dict[bytes, bytes] = {}
        for address, x in self.accounts.items():
            key = _ADDRESS_HASHES.get(address)
            if key is None:
                key = keccak256(address.to_bytes(20, "big"))
                if len(_ADDRESS_HASHES) >= _CACHE_MAX:
                    _ADDRESS_HASHES.clear()
                _ADDRESS_HASHES[address] = key
            fields = (x.nonce, x.balance, _storage_root(x.storage), x.code_hash)
            encoded = _ACCOUNT_RLP.get(fields)
            if encoded is None:
                encoded = trie.account_rlp(*fields)
                if len(_ACCOUNT_RLP) >= _CACHE_MAX:
                    _ACCOUNT_RLP.clear()
                _ACCOUNT_RLP[fields] = encoded
            items[key] = encoded
        return trie.trie_root(items)

    def begin_transaction(self) -> None:
        """Reset the per-transaction substate."""
        self.journal.clear()
        self.warm_addrs.clear()
        self.warm_slots.clear()
        self.transient.clear()
        self.original.clear()
        self.created.clear()
        self.to_delete.clear()
        self.logs.clear()
        self.refund = 0

    # ------------------------------------------------------------------ journal

    def snapshot(self) -> int:
        return len(self.journal)

    def revert(self, mark: int) -> None:
        """Undo every journaled change made after ``snapshot()`` returned ``mark``."""
        journal = self.journal
        accounts = self.accounts
        while len(journal) > mark:
            rec = journal.pop()
            tag = rec[0]
            if tag == _J_STORAGE:
                if rec[3]:
                    rec[1].storage[rec[2]] = rec[3]
                else:
                    rec[1].storage.pop(rec[2], None)
            elif tag == _J_BALANCE:
                rec[1].balance = rec[2]
            elif tag == _J_WARM_ADDR:
                self.warm_addrs.discard(rec[1])
            elif tag == _J_WARM_SLOT:
                self.warm_slots.discard(rec[1])
            elif tag == _J_REFUND:
                self.refund = rec[1]
            elif tag == _J_NONCE:
                rec[1].nonce = rec[2]
            elif tag == _J_TSTORE:
                if rec[2]:
                    self.transient[rec[1]] = rec[2]
                else:
                    self.transient.pop(rec[1], None)
            elif tag == _J_LOG:
                self.logs.pop()
            elif tag == _J_NEW:
                del accounts[rec[1]]
            elif tag == _J_DEL:
                accounts[rec[1]] = rec[2]
            elif tag == _J_CODE:
                rec[1].code = rec[2]
                rec[1].code_hash = rec[3]
            elif tag == _J_CREATED:
                self.created.discard(rec[1])
            elif tag == _J_DESTRUCT:
                self.to_delete.discard(rec[1])
            else:  # pragma: no cover - programming error
                raise AssertionError(f"unknown journal record {rec!r}")

    # ------------------------------------------------------------------ accounts

    def get(self, address: int) -> Account | None:
        return self.accounts.get(address)

    def balance(self, address: int) -> int:
        acct = self.accounts.get(address)
        return acct.balance if acct is not None else 0

    def is_alive(self, address: int) -> bool:
        """Exists and is not empty (EIP-161)."""
        acct = self.accounts.get(address)
        return acct is not None and not acct.is_empty()

    def has_code_or_nonce_or_storage(self, address: int) -> bool:
        """EIP-7610 collision test for a creation target."""
        acct = self.accounts.get(address)
        return acct is not None and (acct.nonce != 0 or bool(acct.code) or bool(acct.storage))

    def _get_or_create(self, address: int) -> Account:
        acct = self.accounts.get(address)
        if acct is None:
            acct = Account()
            self.accounts[address] = acct
            self.journal.append((_J_NEW, address))
        return acct

    def _delete_if_empty(self, address: int, acct: Account) -> None:
        if acct.nonce == 0 and acct.balance == 0 and not acct.code:
            del self.accounts[address]
            self.journal.append((_J_DEL, address, acct))

    def set_balance(self, address: int, value: int) -> None:
        acct = self._get_or_create(address)
        self.journal.append((_J_BALANCE, acct, acct.balance))
        acct.balance = value
        self._delete_if_empty(address, acct)

    def add_balance(self, address: int, amount: int) -> None:
        acct = self._get_or_create(address)
        self.journal.append((_J_BALANCE, acct, acct.balance))
        acct.balance += amount
        self._delete_if_empty(address, acct)

    def transfer(self, sender: int, recipient: int, amount: int) -> None:
        """Move ``amount`` wei (caller checked the balance)."""
        src = self._get_or_create(sender)
        self.journal.append((_J_BALANCE, src, src.balance))
        src.balance -= amount
        self._delete_if_empty(sender, src)
        self.add_balance(recipient, amount)

    def increment_nonce(self, address: int) -> None:
        acct = self._get_or_create(address)
        self.journal.append((_J_NONCE, acct, acct.nonce))
        acct.nonce += 1

    def set_code(self, address: int, code: bytes) -> None:
        acct = self._get_or_create(address)
        self.journal.append((_J_CODE, acct, acct.code, acct.code_hash))
        acct.code = code
        acct.code_hash = keccak256(code) if code else EMPTY_KECCAK
        self._delete_if_empty(address, acct)

    def destroy(self, address: int) -> None:
        """Remove an account with its storage (end of transaction; journaled anyway)."""
        acct = self.accounts.pop(address, None)
        if acct is not None:
            self.journal.append((_J_DEL, address, acct))

    # ------------------------------------------------------------------ storage

    def get_storage(self, address: int, key: int) -> int:
        acct = self.accounts.get(address)
        if acct is None:
            return 0
        return acct.storage.get(key, 0)

    def original_storage(self, address: int, key: int) -> int:
        """Value of the slot when the transaction began (0 for accounts created in it)."""
        if address in self.created:
            return 0
        slot = (address, key)
        orig = self.original.get(slot)
        if orig is None:
            return self.get_storage(address, key)
        return orig

    def set_storage(self, address: int, key: int, value: int) -> None:
        acct = self.accounts.get(address)
        if acct is None:
            # A frame only writes its own account, which exists while it runs; be safe anyway.
            acct = self._get_or_create(address)
        storage = acct.storage
        old = storage.get(key, 0)
        slot = (address, key)
        if slot not in self.original:
            self.original[slot] = old
        self.journal.append((_J_STORAGE, acct, key, old))
        if value:
            storage[key] = value
        else:
            storage.pop(key, None)

    def set_transient(self, address: int, key: int, value: int) -> None:
        slot = (address, key)
        transient = self.transient
        self.journal.append((_J_TSTORE, slot, transient.get(slot, 0)))
        if value:
            transient[slot] = value
        else:
            transient.pop(slot, None)

    # ------------------------------------------------------------------ substate

    def warm_address(self, address: int) -> bool:
        """Mark ``address`` warm; True if it was already warm."""
        if address in self.warm_addrs:
            return True
        self.warm_addrs.add(address)
        self.journal.append((_J_WARM_ADDR, address))
        return False

    def warm_slot(self, address: int, key: int) -> bool:
        """Mark the slot warm; True if it was already warm."""
        slot = (address, key)
        if slot in self.warm_slots:
            return True
        self.warm_slots.add(slot)
        self.journal.append((_J_WARM_SLOT, slot))
        return False

    def add_refund(self, delta: int) -> None:
        self.journal.append((_J_REFUND, self.refund))
        self.refund += delta

    def add_log(self, address: int, topics: tuple[int, ...], data: bytes) -> None:
        self.logs.append((address, topics, data))
        self.journal.append((_J_LOG,))

    def mark_created(self, address: int) -> None:
        if address not in self.created:
            self.created.add(address)
            self.journal.append((_J_CREATED, address))

    def mark_destruct(self, address: int) -> None:
        if address not in self.to_delete:
            self.to_delete.add(address)
            self.journal.append((_J_DESTRUCT, address))
