"""Chinese prose wraps between characters, keeps Latin words whole and punctuation where it belongs."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tui.prose import Prose, break_offsets

WARNING = "擦除会清除磁带 TAF003L9 上的全部数据，无法撤销。仍保存活动备份组的磁带会被拒绝。"


def shown(content: str | Text, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(Prose(content))
    return console.export_text().splitlines()


def test_a_chinese_sentence_fills_each_line_instead_of_jumping_to_the_next_at_a_space() -> None:
    lines = shown(WARNING, 40)
    assert lines == ["擦除会清除磁带 TAF003L9 上的全部数据，无", "法撤销。仍保存活动备份组的磁带会被拒绝。"]
    assert all(cell_len(line) <= 40 for line in lines)


def test_latin_words_stay_whole_and_punctuation_never_starts_a_line() -> None:
    sentence = "TAF001L9：保存活动备份组 2026-03（月度），轮换出活动集后才释放。已用 17.5 TiB，共 5966 个数据包"
    for width in range(12, 60):
        lines = shown(sentence, width)
        assert "".join(lines).replace(" ", "") == sentence.replace(" ", ""), (width, lines)  # nothing lost
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert not any(line and line[0] in "，。：；、）" for line in lines), (width, lines)
        assert not any(line.endswith("（") for line in lines), (width, lines)
        assert all(any(word in line for line in lines) for word in ("TAF001L9", "2026-03", "5966")), (width, lines)


def test_an_opening_bracket_stays_with_what_it_opens() -> None:
    offsets = break_offsets("磁带架（三层）", 8)
    assert offsets == [3]  # 磁带架 | （三层）: not 磁带架（ | 三层）


def test_a_word_wider_than_the_line_is_cut_at_the_edge_and_lines_keep_their_styles() -> None:
    assert shown("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    styled = Text("请将磁带 TAF002L9 装入驱动器", style="yellow")
    console = Console(width=12, color_system="standard", record=True)
    console.print(Prose(styled))
    assert console.export_text(clear=False).splitlines() == ["请将磁带", "TAF002L9 装", "入驱动器"]
    assert "\x1b[33m" in console.export_text(styles=True, clear=False)


def test_lines_given_apart_stay_apart_with_their_indent() -> None:
    assert shown("备份以下源：\n  /data/财务\n\n任务交给后台任务进程执行。", 40) == [
        "备份以下源：", "  /data/财务", "", "任务交给后台任务进程执行。"]
