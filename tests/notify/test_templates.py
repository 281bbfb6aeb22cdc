"""Message templates: defaults, rendering, preview, validation of user edits, the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from notify.templates import (
    DEFAULT_TEMPLATES,
    EVENT_LABELS,
    SAMPLE_CONTEXTS,
    EventKind,
    MessageTemplate,
    TemplateError,
    preview,
    render,
    validate_template,
    variables,
)


def test_every_event_kind_has_a_default_template_a_label_and_sample_values() -> None:
    assert set(DEFAULT_TEMPLATES) == set(EventKind)
    assert set(EVENT_LABELS) == set(EventKind)
    assert set(SAMPLE_CONTEXTS) == set(EventKind)


def test_the_event_kinds_are_the_ones_the_product_needs() -> None:
    assert {k.value for k in EventKind} == {
        "backup_succeeded", "backup_failed", "tape_change_needed", "system_exception",
        "capacity_threshold", "verification_mismatch", "verification_unrestorable", "erase_done", "monthly_report",
        "test_message",
    }


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_default_template_passes_its_own_validation(kind: EventKind) -> None:
    assert validate_template(kind, DEFAULT_TEMPLATES[kind]) is DEFAULT_TEMPLATES[kind]


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_default_previews_as_chinese_markdown_with_no_template_syntax_left(kind: EventKind) -> None:
    message = preview(kind)
    assert message.title.startswith("【TAF】")
    assert message.content.startswith("### ")
    assert message.message_type == "markdown"
    for leftover in ("{{", "}}", "{%", "%}"):
        assert leftover not in message.title + message.content


def test_a_backup_success_message_shows_figures_tapes_and_the_chain_head() -> None:
    message = render(EventKind.BACKUP_SUCCEEDED, SAMPLE_CONTEXTS[EventKind.BACKUP_SUCCEEDED])
    assert message.title == "【TAF】备份成功：2026-05"
    assert "- 时间：2026-05-01 02:00 至 2026-05-01 09:42（用时 7 小时 42 分）" in message.content
    assert "原始 3.11 TiB，写入磁带 2.00 TiB" in message.content
    assert "- 磁带：TAF003L9、TAF004L9" in message.content
    assert "账本链头：`9f2c4e71a0b35d88`" in message.content
    assert "次运行" not in message.content


def test_a_second_run_in_the_month_is_named_in_the_success_message() -> None:
    message = preview(EventKind.BACKUP_SUCCEEDED, context={"run_number": 2})
    assert "- 任务：JOB-20260501-0200（本月第 2 次运行）\n- 时间" in message.content


def test_a_tape_change_names_the_wanted_tape_or_asks_for_any_blank_one() -> None:
    assert preview("tape_change_needed").title == "【TAF】需要换盘：请插入一盘空白磁带"
    named = preview("tape_change_needed", context={"wanted": "TAF009L9"})
    assert named.title == "【TAF】需要换盘：请插入磁带 TAF009L9"
    assert "- 需要：磁带 TAF009L9\n" in named.content


def test_optional_lines_disappear_when_their_value_is_missing() -> None:
    message = preview(EventKind.BACKUP_FAILED, context={"advice": ""})
    assert "处理建议" not in message.content
    message = preview(EventKind.TAPE_CHANGE_NEEDED, context={"current": ""})
    assert "当前磁带" not in message.content


def test_a_missing_value_renders_empty_rather_than_losing_the_alert() -> None:
    message = render(EventKind.SYSTEM_EXCEPTION, {"component": "驱动器"})
    assert message.title == "【TAF】系统异常：驱动器"
    assert "- 说明：\n" in message.content or message.content.endswith("- 说明：")


def test_formatting_filters_cope_with_odd_values() -> None:
    custom = MessageTemplate(
        "{{ a | filesize }}",
        "{{ b | filesize }}|{{ c | dt }}|{{ d | duration }}|{{ e | duration }}|{{ f | duration }}|{{ g | dt }}|{{ h | duration }}",
    )
    message = render(EventKind.TEST_MESSAGE, {
        "a": 512, "b": "很多", "c": "昨天", "d": timedelta(minutes=3, seconds=20), "e": 42, "f": "不详",
        "g": None, "h": None,
    }, custom)
    assert message.title == "512 B"
    assert message.content == "很多|昨天|3 分 20 秒|42 秒|不详||"


def test_a_custom_template_is_used_when_it_renders() -> None:
    custom = MessageTemplate("备份好了 {{ group }}", "组 {{ group }} 完成于 {{ finished_at | dt('%m月%d日') }}")
    message = render("backup_succeeded", SAMPLE_CONTEXTS[EventKind.BACKUP_SUCCEEDED], custom)
    assert (message.title, message.content) == ("备份好了 2026-05", "组 2026-05 完成于 05月01日")
    assert not message.used_fallback


def test_a_broken_custom_template_falls_back_to_the_default_and_says_why() -> None:
    broken = MessageTemplate("{{ group", "内容")
    message = render("backup_failed", SAMPLE_CONTEXTS[EventKind.BACKUP_FAILED], broken)
    assert message.used_fallback
    assert message.title == "【TAF】备份失败：2026-05"
    assert message.fallback_reason is not None and "已改用默认模板" in message.fallback_reason


def test_a_custom_template_rendering_an_empty_title_falls_back() -> None:
    message = render("test_message", SAMPLE_CONTEXTS[EventKind.TEST_MESSAGE], MessageTemplate("{{ nothing }}", "x"))
    assert message.used_fallback
    assert "标题为空" in (message.fallback_reason or "")


def test_the_sandbox_refuses_to_reach_python_internals() -> None:
    escape = MessageTemplate("标题", "{{ sent_by.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match="不允许的操作"):
        preview("test_message", escape)
    message = render("test_message", SAMPLE_CONTEXTS[EventKind.TEST_MESSAGE], escape)
    assert message.used_fallback
    assert "subclasses" not in message.content


def test_the_sandbox_refuses_unsafe_calls_during_validation() -> None:
    with pytest.raises(TemplateError, match="不允许的操作"):
        validate_template("test_message", MessageTemplate("标题", "{{ sent_at.__class__ }}"))


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        (MessageTemplate("{{ sent_by", "内容"), "模板标题第 1 行语法错误"),
        (MessageTemplate("标题", "第一行\n第二行 {{ sent_by }\n第三行"), "模板内容第 2 行语法错误"),
        (MessageTemplate("标题", "{% if sent_by %}没有结束"), "模板内容第 1 行语法错误"),
        (MessageTemplate("标题", "\n{{ sent_by | nonexistent_filter }}"), "模板内容第 2 行语法错误.*nonexistent_filter"),
        (MessageTemplate("标题", "{{ sent_by.name }}"), "模板引用了不存在的值"),
        (MessageTemplate("标题", "{{ group }}"), "未知的变量：group；可用的变量有：sent_at、sent_by"),
        (MessageTemplate(" ", "内容"), "模板标题不能为空"),
        (MessageTemplate("标题", ""), "模板内容不能为空"),
        (MessageTemplate("标题", "内容", "html"), "不支持的消息类型"),
    ],
)
def test_a_user_edited_template_with_a_problem_is_refused_in_chinese(template: MessageTemplate, complaint: str) -> None:
    with pytest.raises(TemplateError, match=complaint):
        validate_template("test_message", template)


def test_a_filter_that_fails_at_render_time_is_reported_as_a_render_error() -> None:
    with pytest.raises(TemplateError, match="模板渲染出错"):
        validate_template("test_message", MessageTemplate("标题", "{{ sent_at.year // 0 }}"))


def test_a_valid_user_template_passes_validation_unchanged() -> None:
    custom = MessageTemplate("测试 {{ sent_by }}", "{% for c in sent_by %}{{ c }}{% endfor %}", "text")
    assert validate_template("test_message", custom) is custom


def test_a_preview_shows_the_user_template_with_sample_values() -> None:
    message = preview("erase_done", MessageTemplate("擦除 {{ cartridge }}", "{{ groups | join(',') }} @ {{ erased_at | dt }}"))
    assert (message.title, message.content) == ("擦除 TAF001L9", "2025-12 @ 2026-07-01 01:40")


def test_a_preview_can_override_sample_values() -> None:
    message = preview("test_message", context={"sent_by": "操作员 op1", "sent_at": datetime(2026, 1, 2, 3, 4)})
    assert "- 发送人：操作员 op1\n- 时间：2026-01-02 03:04" in message.content


def test_variables_list_what_a_template_may_use() -> None:
    assert variables("test_message") == ("sent_by", "sent_at")
    assert "chain_head" in variables(EventKind.BACKUP_SUCCEEDED)


def test_an_unknown_event_kind_is_refused_in_chinese() -> None:
    with pytest.raises(TemplateError, match="未知的通知类型“party”"):
        render("party", {})
    with pytest.raises(TemplateError, match="未知的通知类型"):
        variables("party")


def test_large_sizes_are_shown_in_tebibytes() -> None:
    message = render("test_message", {"size": 18 * 1024**4}, MessageTemplate("{{ size | filesize }}", "x"))
    assert message.title == "18.00 TiB"
