"""One process's view of a library directory: the lock, the shared state and the open files.

Every SCSI command and every management call runs inside `session()`: take the library lock,
notice what other processes changed (a 16-byte stamp in the lock file for library.json, a
writer/sequence header for each drive's state), run, write back what changed, release. Open
cartridges are cached between commands and dropped whenever someone else may have changed them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from tape.emulator import fileio
from tape.emulator.cartridge import STATE_FILE, Cartridge
from tape.emulator.drive_state import DriveState, DriveStateStore
from tape.emulator.library_state import LibraryState
from tape.emulator.locking import LibraryLock
from tape.emulator.media import MediaType, media_type

CARTRIDGE_DIR = "cartridges"
DRIVE_DIR = "drives"
LOCK_FILE = "lock"


class Runtime:
    """Shared-state access for one library root within this process."""

    _registry: dict[str, Runtime] = {}
    _registry_lock = threading.Lock()

    def __init__(self, root: Path, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.clock = clock
        self.writer = os.urandom(8)
        self._pid = os.getpid()
        self._lock = LibraryLock(root / LOCK_FILE)
        self._mutex = threading.RLock()
        self._depth = 0
        self._users = 0
        self._stamp: bytes | None = None
        self._library: LibraryState | None = None
        self._library_dirty = False
        self._stores: dict[int, DriveStateStore] = {}
        self._states: dict[int, DriveState] = {}
        self._cartridges: dict[str, Cartridge] = {}
        self._media: dict[str, MediaType] = {}
        self.changer_sense = b""  # the changer's last sense, for REQUEST SENSE from this process

    # -- sharing within the process ---------------------------------------------------------

    @classmethod
    def attach(cls, root: Path | str) -> Runtime:
        """The runtime for `root`, shared by every transport and Library object of this process."""
        path = Path(root).resolve()
        with cls._registry_lock:
            runtime = cls._registry.get(str(path))
            if runtime is None or runtime._pid != os.getpid():
                runtime = cls(path)
                cls._registry[str(path)] = runtime
            runtime._users += 1
            return runtime

    def detach(self) -> None:
        with self._registry_lock:
            self._users -= 1
            if self._users > 0:
                return
            self._registry.pop(str(self.root), None)
        with self._mutex:
            self._close_files()
            self._lock.close()

    # -- the session --------------------------------------------------------------------------

    def session(self) -> _Session:
        """`with runtime.session() as rt:` — the library lock held, shared state current."""
        return _Session(self)

    def _enter(self) -> None:
        if self._pid != os.getpid():
            self._after_fork()
        self._mutex.acquire()
        if self._depth == 0:
            try:
                self._lock.acquire()
            except BaseException:
                self._mutex.release()
                raise
            try:
                self._refresh_library()
            except BaseException:
                self._lock.release()
                self._mutex.release()
                raise
        self._depth += 1

    def _exit(self, completed: bool) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                try:
                    if completed:
                        self._commit()
                    else:
                        self._discard()
                finally:
                    self._states.clear()
                    self._lock.release()
        finally:
            self._mutex.release()

    def _after_fork(self) -> None:
        """A forked child must not share the parent's lock (flock belongs to the open file,
        which fork shares) nor its mutex: start over with fresh handles."""
        self._pid = os.getpid()
        self.writer = os.urandom(8)
        self._mutex = threading.RLock()
        self._depth = 0
        self._lock = LibraryLock(self.root / LOCK_FILE)
        self._stamp, self._library, self._library_dirty = None, None, False
        self._stores, self._states, self._cartridges, self._media = {}, {}, {}, {}

    def _refresh_library(self) -> None:
        stamp = self._lock.stamp()
        if self._library is None or stamp != self._stamp:
            self._library = LibraryState.load(self.root)
            self._stamp = stamp
            self._close_cartridges()  # cartridge state may have been changed with it

    def _commit(self) -> None:
        for index, state in self._states.items():
            self._stores[index].save(state)
        if self._library_dirty and self._library is not None:
            self._library.save(self.root)
            self._stamp = self._lock.set_stamp()
            self._library_dirty = False

    def _discard(self) -> None:
        """A command failed half-way: forget every cached view so the next one reads the disk."""
        for store in self._stores.values():
            store.forget()
        self._library = None
        self._library_dirty = False
        self._close_cartridges()

    # -- shared state ---------------------------------------------------------------------------

    @property
    def library(self) -> LibraryState:
        assert self._library is not None, "outside a session"
        return self._library

    def library_changed(self) -> None:
        """The caller changed library state (or a cartridge's state.json): save it at the end."""
        self._library_dirty = True

    def drive_state(self, index: int) -> DriveState:
        """Drive `index`'s state for this session; it is written back when the session ends."""
        state = self._states.get(index)
        if state is None:
            state = self.peek_drive_state(index)
            self._states[index] = state
        return state

    def peek_drive_state(self, index: int) -> DriveState:
        """Drive `index`'s state without writing it back (status displays, discovery)."""
        state = self._states.get(index)
        if state is not None:
            return state
        store = self._stores.get(index)
        if store is None:
            (self.root / DRIVE_DIR).mkdir(exist_ok=True)
            store = DriveStateStore(self.root / DRIVE_DIR / f"drive{index}.state", self.writer)
            self._stores[index] = store
        state, changed = store.load()
        barcode = self.library.drives[index].cartridge
        if changed and barcode is not None:
            self.drop_cartridge(barcode)  # another process has been using this drive
        cold = state.cold
        if barcode is None and cold.medium != "empty":
            cold.medium = "empty"
        elif barcode is not None and cold.medium == "empty":
            # A drive that lost its state (power cycle) with a cartridge inside reloads it at BOP.
            cold.medium = "ready"
            state.hot.partition = state.hot.position = 0
        return state

    def cartridge_dir(self, barcode: str) -> Path:
        return self.root / CARTRIDGE_DIR / barcode

    def cartridge(self, barcode: str) -> Cartridge:
        cart = self._cartridges.get(barcode)
        if cart is None:
            cart = Cartridge.open(self.cartridge_dir(barcode))
            cart.use_full_checksums(self.library.full_checksums)
            self._cartridges[barcode] = cart
        return cart

    def media_of(self, barcode: str) -> MediaType:
        """A cartridge's media type without opening it (element status lists every slot)."""
        cart = self._cartridges.get(barcode)
        if cart is not None:
            return cart.media
        media = self._media.get(barcode)
        if media is None:
            state = fileio.read_json(self.cartridge_dir(barcode) / STATE_FILE)
            media = self._media[barcode] = media_type(state["media"])
        return media

    def drop_cartridge(self, barcode: str) -> None:
        self._media.pop(barcode, None)
        cart = self._cartridges.pop(barcode, None)
        if cart is not None:
            cart.close()

    def now(self) -> float:
        return self.clock()

    # -- cleanup ----------------------------------------------------------------------------------

    def _close_cartridges(self) -> None:
        for barcode in list(self._cartridges):
            self.drop_cartridge(barcode)
        self._media.clear()

    def _close_files(self) -> None:
        self._close_cartridges()
        for store in self._stores.values():
            store.close()
        self._stores.clear()


class _Session:
    """The context manager `Runtime.session()` returns (a class: cheaper than a generator on
    the per-block path)."""

    __slots__ = ("_runtime",)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def __enter__(self) -> Runtime:
        self._runtime._enter()
        return self._runtime

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._runtime._exit(kind is None)
