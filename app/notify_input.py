"""What a person may type as a recipient's name or a message template: checked before anything is
recorded, so a stray control character or an essay never reaches the ledger or the gateway."""

from __future__ import annotations

from app.errors import BadRequest

MAX_NAME = 64
MAX_TEMPLATE = 5000  # characters of a template's title or content; DingTalk messages are short


def checked_name(name: str) -> str:
    """A recipient's name: not empty, at most MAX_NAME characters, on one line."""
    text = name.strip()
    if not text or len(text) > MAX_NAME or any(ord(char) < 32 or char == "\x7f" for char in text):
        raise BadRequest(f"接收人姓名不能为空，最多 {MAX_NAME} 个字符，且不能含有换行或控制字符")
    return text


def check_template_text(*parts: str | None) -> None:
    for part in parts:
        if part is None:
            continue
        if len(part) > MAX_TEMPLATE or any(ord(char) < 32 and char not in "\n\r\t" for char in part):
            raise BadRequest(f"模板的标题和内容各最多 {MAX_TEMPLATE} 个字符，且不能含有控制字符")
