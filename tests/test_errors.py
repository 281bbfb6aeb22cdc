"""Every exception class in TAF is a TafError that carries its Chinese message, exit code and HTTP
status, and one mapping (`kernel.errors.describe`) turns any exception into what a face reports."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import re
import sqlite3
from pathlib import Path

import pytest

from backup.messages_job import JobStopped
from backup.pack import PackingFailed
from cli.errors import CliError, report
from config.errors import ConfigError
from kernel.errors import TafError, describe
from ledger.errors import CartridgeBusy, InvalidValue, NotFound
from ledger.rules import CronError
from media.errors import Refused
from notify.gateway import GatewayNotConfigured, RetryableGatewayError
from notify.templates import TemplateError
from restore.errors import NothingFound
from tape.discovery import InvalidDeviceSpec
from tape.scsi.errors import DeviceBusy, NoMedium
from tape.scsi.inquiry import InquiryError
from tape.transport import DeviceInUse
from tape.volume import FormatError
from tape.volume_errors import ForeignTape, PackageOverflow

ROOT = Path(__file__).resolve().parent.parent
NOT_ROOMS = {"tests", "bench", "scripts"}
EXIT_CODES = {1, 2, 3, 4, 5, 6, 7, 69, 78}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def project_modules() -> list[str]:
    """Every module of every room (a folder of Python modules beside `main.py`)."""
    rooms = sorted({path.parent.name for path in ROOT.glob("*/*.py")} - NOT_ROOMS)
    names = []
    for room in rooms:
        package = importlib.import_module(room)
        names.append(room)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, f"{room}.")]
    return names


def exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in project_modules():
        module = importlib.import_module(name)  # a module that does not import fails the test
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


CLASSES = exception_classes()


def test_the_walk_finds_every_family() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert len(CLASSES) > 100
    assert {"TafError", "LedgerError", "MediaError", "TapeError", "TransportError", "VolumeError", "FormatError",
            "ConfigError", "GatewayError", "TemplateError", "CronError", "CliError", "CheckCondition",
            "PackCancelled", "Stopped"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_exception_class_carries_a_chinese_message_an_exit_code_and_an_http_status(
        cls: type[BaseException]) -> None:
    assert issubclass(cls, TafError)
    assert not issubclass(cls, (ValueError, RuntimeError)), "user-facing text never travels as ValueError"
    assert CHINESE.search(cls.default_message)
    if cls is not TafError:
        assert cls.default_message != TafError.default_message, "each family says what went wrong"
    assert isinstance(cls.exit_code, int) and cls.exit_code in EXIT_CODES
    assert isinstance(cls.http_status, int) and 400 <= cls.http_status <= 599


SAMPLES = [
    (NotFound(what="磁带", key="TAF001L9"), "找不到磁带：TAF001L9", 4, 404),
    (InvalidValue(what="设置", problem="“x”不是整数"), "设置的值无效：“x”不是整数", 2, 400),
    (CartridgeBusy(barcode="TAF001L9", job="j1"), "磁带 TAF001L9 已被任务 j1 占用，一盘磁带同一时间只属于一个任务", 5, 423),
    (ConfigError("TAPE_DEVICE", "“x”不可用", "请改正"), "配置项 TAPE_DEVICE 无效：“x”不可用。请改正", 78, 500),
    (Refused("磁带已在驱动器中", "请先卸带"), "磁带已在驱动器中（请先卸带）", 3, 409),
    (NothingFound("没有符合条件的文件"), "没有符合条件的文件", 4, 404),
    (NoMedium(), "驱动器中没有磁带（请装入磁带（或通过带库把磁带移入驱动器））", 7, 502),
    (DeviceBusy(), None, 7, 423),
    (DeviceInUse("设备被占用", "请关闭其他程序"), "设备被占用（请关闭其他程序）", 5, 423),
    (InquiryError("standard INQUIRY data needs 36 bytes, got 3"),
     "设备返回的数据无法解析：standard INQUIRY data needs 36 bytes, got 3", 7, 502),
    (ForeignTape(), None, 3, 409),
    (PackageOverflow("p1", 3), None, 7, 502),
    (FormatError("数据块太短，不是 TAF 格式"), "磁带上的数据不是有效的 TAF 格式：数据块太短，不是 TAF 格式", 7, 502),
    (InvalidDeviceSpec("spec_empty"), None, 2, 400),
    (CronError("cron 表达式不能为空"), "cron 表达式不能为空", 2, 400),
    (TemplateError("模板渲染后标题为空"), "模板渲染后标题为空", 2, 400),
    (GatewayNotConfigured("未配置钉钉网关地址"), "未配置钉钉网关地址", 78, 503),
    (RetryableGatewayError("连接钉钉网关超时"), "连接钉钉网关超时", 1, 503),
    (JobStopped("任务已取消", status="cancelled"), "任务已取消", 3, 409),
    (PackingFailed("无法写入第 1 号数据包", "Traceback …"), "无法写入第 1 号数据包", 1, 500),
    (CliError("日期无效", 2), "日期无效", 2, 400),
]


@pytest.mark.parametrize(("error", "message", "exit_code", "status"), SAMPLES,
                         ids=[type(sample[0]).__name__ for sample in SAMPLES])
def test_each_family_maps_to_its_documented_exit_code_and_status(
        error: TafError, message: str | None, exit_code: int, status: int) -> None:
    shown = describe(error)
    assert (shown.exit_code, shown.http_status) == (exit_code, status)
    assert shown.message == (message if message is not None else error.text)
    assert CHINESE.search(shown.message)


@pytest.mark.parametrize(("error", "message", "exit_code", "status"), SAMPLES,
                         ids=[type(sample[0]).__name__ for sample in SAMPLES])
def test_an_error_crosses_a_process_boundary_whole(
        error: TafError, message: str | None, exit_code: int, status: int) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and describe(copy) == describe(error) and vars(copy) == vars(error)


def test_the_cli_prints_one_line_and_exits_with_the_class_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(ForeignTape(), as_json=False) == 3
    assert capsys.readouterr().err == f"错误：{ForeignTape().text}\n"


def test_os_and_database_errors_keep_their_meaning_in_chinese_with_the_detail_for_the_log() -> None:
    database = describe(sqlite3.OperationalError("unable to open database file"))
    assert database[:3] == ("数据库无法访问（请检查 DATABASE_URL 和数据库服务是否在运行；详细信息已写入日志）", 69, 503)
    assert database.detail == "OperationalError: unable to open database file"
    for words in ("file is not a database", "database disk image is malformed"):
        damaged = describe(sqlite3.DatabaseError(words))
        assert damaged.message.startswith("数据库文件已损坏") and damaged[1:3] == (69, 503) and words in damaged.detail
    refused = describe(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert refused.message.startswith("数据库拒绝了这个操作") and refused[1:3] == (1, 500)
    denied = describe(PermissionError(13, "Permission denied", "/dev/sg3"))
    assert denied[:3] == ("没有权限访问 /dev/sg3（请检查文件或设备的访问权限）", 1, 500)
    assert "Permission denied" in denied.detail
    assert describe(PermissionError(13, "EACCES: Permission denied")).message == \
        "没有权限访问这个文件或设备（请检查文件或设备的访问权限）"
    assert describe(FileNotFoundError(2, "No such file", "/srv/data"))[:3] == ("找不到文件或目录 /srv/data", 2, 400)
    assert describe(OSError(28, "No space left on device")).message == "文件或设备操作失败：磁盘空间不足"
    assert describe(IsADirectoryError(21, "Is a directory", "/srv")).message == "文件或设备操作失败 /srv：是文件夹"


def test_a_database_refusal_is_reported_without_the_drivers_english() -> None:
    from eventsourcing.persistence import ProgrammingError

    shown = describe(ProgrammingError('permission denied for table "stored_events"'))
    assert shown[:2] == ("数据库拒绝了这个操作（详细信息已写入日志；请检查数据库用户的权限和数据库的状态）", 1)
    assert "permission denied" in shown.detail and "permission" not in shown.message


class Impostor(Exception):
    """Looks like a TAF error by its attributes, but is not one."""

    def __init__(self) -> None:
        super().__init__("looks trustworthy")
        self.message = "一切正常"
        self.advice = "无需处理"
        self.exit_code = 0


def test_attributes_are_not_trusted_an_unknown_exception_is_an_internal_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert describe(Impostor())[:3] == ("内部错误：程序遇到了意外情况（Impostor），详细信息已写入日志", 1, 500)
    assert report(Impostor(), as_json=False) == 1
    assert "一切正常" not in capsys.readouterr().err


def test_a_value_error_is_an_internal_error_whatever_its_text() -> None:
    shown = describe(ValueError("存活期必须是整数个月"))
    assert shown[:3] == ("内部错误：程序遇到了意外情况（ValueError），详细信息已写入日志", 1, 500)
    assert shown.detail == "ValueError: 存活期必须是整数个月"


def test_the_cli_writes_the_detail_to_the_log_only(capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="taf.cli"):
        code = report(PermissionError(13, "Permission denied", "/srv/机密"), as_json=False)
    assert code == 1
    assert capsys.readouterr().err == "错误：没有权限访问 /srv/机密（请检查文件或设备的访问权限）\n"
    assert "Permission denied" in caplog.text
