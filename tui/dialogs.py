"""Modal questions: yes or no, a line of input, a typed-back barcode, a choice from a list.

An irreversible act (erase, a forced relabel) is confirmed only by typing the cartridge's barcode
back: the 确定 button stays disabled until what is typed matches, so a reflex Enter cannot destroy
a tape. Every dialog answers through `dismiss` (None: the operator cancelled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import Option

from tui.prose import Para
from tui.text import text

T = TypeVar("T")


class Marked(ToggleButton):
    """A toggle drawn in ASCII — [x] or [ ], (*) or ( ): Textual's half blocks are ambiguous-width
    in CJK terminals."""

    MARKS: tuple[str, str] = ("[ ]", "[x]")

    @property
    def _button(self) -> Content:
        return Content.assemble((self.MARKS[self.value], self.get_visual_style("toggle--label")))


# Textual's own class first: CSS type selectors follow only the first base (`Checkbox`, and the
# radio set's `RadioButton` rules, must match), while `Marked._button` still comes before the
# toggle's own in the method order.
class Tick(Checkbox, Marked):
    pass


class Pick(RadioButton, Marked):
    MARKS = ("( )", "(*)")


class Dialog(ModalScreen[T | None], Generic[T]):
    BINDINGS = [Binding("escape", "close", text("cancel"), show=False)]

    def buttons(self, *, ok_disabled: bool = False) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(text("ok"), id="ok", variant="primary", disabled=ok_disabled)
            yield Button(text("cancel"), id="cancel")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


class Confirm(Dialog[bool]):
    """A question answered 确定 or 取消."""

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text, self.question = title, question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Para(self.question, classes="dialog-body")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)


class Ask(Dialog[str]):
    """One line of input (a barcode, a place, a folder)."""

    def __init__(self, title: str, prompt: str, *, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.prompt, self.value, self.hint = title, prompt, value, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Para(self.prompt)
            yield Input(self.value, id="answer")
            if self.hint:
                yield Para(self.hint, classes="dialog-hint")
            yield from self.buttons()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        value = self.query_one("#answer", Input).value.strip()
        if value:
            self.dismiss(value)


@dataclass(frozen=True)
class Erasing:
    confirm: str
    long: bool


class TypeBack(Dialog[Erasing]):
    """An irreversible act on `barcode`: enabled only once the barcode is typed back."""

    def __init__(self, title: str, warning: str, barcode: str, *, long_choice: bool = False) -> None:
        super().__init__()
        self.title_text, self.warning, self.barcode, self.long_choice = title, warning, barcode, long_choice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog danger"):
            yield Label(self.title_text, classes="dialog-title")
            yield Para(self.warning, classes="dialog-body")
            if self.long_choice:
                yield Tick(text("erase_long_choice"), id="long")
            yield Para(text("erase_prompt", barcode=self.barcode))
            yield Input(id="typed")
            yield from self.buttons(ok_disabled=True)

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#ok", Button).disabled = not self._matches()

    def _matches(self) -> bool:
        return self.query_one("#typed", Input).value.strip().upper() == self.barcode.upper()

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        if self._matches():
            long = self.long_choice and self.query_one("#long", Checkbox).value
            self.dismiss(Erasing(self.query_one("#typed", Input).value.strip().upper(), long))
        else:
            self.notify(text("typed_mismatch", barcode=self.barcode), severity="error")


@dataclass(frozen=True)
class Labelling:
    barcode: str
    pool: str
    force: bool
    confirm: str | None


class LabelDialog(Dialog[Labelling]):
    """Barcode, pool, and — to overwrite a foreign tape or one holding data — force with the barcode
    typed back."""

    def __init__(self, barcode: str) -> None:
        super().__init__()
        self.barcode = barcode

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(text("label_title"), classes="dialog-title")
            yield Para(text("label_barcode"))
            yield Input(self.barcode, id="barcode")
            yield Para(text("label_pool"))
            yield Input("default", id="pool")
            yield Tick(text("label_force"), id="force")
            yield Para(text("label_confirm", barcode=self.barcode or text("barcode")), id="confirm-label")
            yield Input(id="confirm")
            yield from self.buttons()

    def on_mount(self) -> None:
        self._forced(False)

    @on(Checkbox.Changed, "#force")
    def _force_changed(self, event: Checkbox.Changed) -> None:
        self._forced(event.value)

    def _forced(self, forced: bool) -> None:
        self.query_one("#confirm-label").display = forced
        self.query_one("#confirm", Input).display = forced

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        barcode = self.query_one("#barcode", Input).value.strip().upper()
        pool = self.query_one("#pool", Input).value.strip() or "default"
        force = self.query_one("#force", Checkbox).value
        typed = self.query_one("#confirm", Input).value.strip().upper()
        if force and (not barcode or typed != barcode):
            self.notify(text("typed_mismatch", barcode=barcode or text("barcode")), severity="error")
            return
        self.dismiss(Labelling(barcode, pool, force, typed if force else None))


class Choose(Dialog[str]):
    """Pick one of `options` (id, line); lines without an id are shown but cannot be picked."""

    def __init__(self, title: str, options: Sequence[tuple[str | None, str]], *, empty: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.empty = title, options, empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.options:
                yield OptionList(*[Option(line, id=key, disabled=key is None) for key, line in self.options])
            else:
                yield Para(self.empty, classes="dialog-body")
            with Horizontal(classes="buttons"):
                yield Button(text("cancel"), id="cancel")

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.focus()
            options.highlighted = next((i for i, (key, _) in enumerate(self.options) if key is not None), None)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)


@dataclass(frozen=True)
class RestoreTarget:
    target: str
    on_conflict: str


class RestoreDialog(Dialog[RestoreTarget]):
    """Where to restore to, and what to do with a file of the same name already there."""

    MODES = (("skip", "conflict_skip"), ("rename", "conflict_rename"), ("overwrite", "conflict_overwrite"))

    def __init__(self, summary: str, target: str) -> None:
        super().__init__()
        self.summary, self.target = summary, target

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(text("restore_title"), classes="dialog-title")
            yield Para(self.summary, classes="dialog-body")
            yield Para(text("restore_target"))
            yield Input(self.target, id="target")
            yield Para(text("restore_conflict"))
            with RadioSet(id="conflict"):
                for index, (mode, key) in enumerate(self.MODES):
                    yield Pick(text(key), value=index == 0, name=mode)
            yield from self.buttons()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        target = self.query_one("#target", Input).value.strip()
        pressed = self.query_one("#conflict", RadioSet).pressed_button
        if target:
            self.dismiss(RestoreTarget(target, pressed.name if pressed is not None and pressed.name else "skip"))
