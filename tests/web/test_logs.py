"""日志: the operation log (the ledger), the tape command log (each SCSI command of the emulator with
its outcome), the system log (LOG_FILE) and the notification log — filtered, exported as CSV and
followed live over SSE, resumable by Last-Event-ID."""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

from app.facade import make_app
from tests.web.conftest import sign_in
from tests.web.test_live import events as sse_messages
from web import logs_view

PHONE = "13800000031"


def lines(client: Any, kind: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/logs/{kind}", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["lines"])


def said(found: list[dict[str, Any]]) -> list[str]:
    return [line["message"] for line in found]


def test_the_operation_log_is_the_ledger_in_chinese_filtered_by_user_cartridge_job_level_and_time(
        client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    make_app(web_services).settings.change("active_groups", "5", actor="张工")
    for barcode in ("TAF001L9", "TAF002L9"):
        ledger.register_cartridge(barcode, capacity_bytes=18 * 10**12, location="槽位 1", by="李工")
    job, _ = ledger.request_backup("logs-job", kind="manual", sources=["/srv/财务"], group="2026-12", params={},
                                   by="operator")
    ledger.cancel_backup(str(job.id), by="operator", reason="测试取消")
    sign_in(client, "auditor")

    everything = lines(client, "operation")
    assert everything[0]["subject"] == "User.LoggedIn" and everything[0]["source"] == "auditor"
    changed = next(line for line in everything if line["subject"] == "Settings.SettingChanged")
    assert changed["source"] == "张工" and "活动备份组数" in changed["message"] and changed["level_label"] == "信息"
    assert said(lines(client, "operation", user="李工")) == ["登记磁带 TAF002L9（L9，池 默认）",
                                                          "登记磁带 TAF001L9（L9，池 默认）"]
    assert said(lines(client, "operation", cartridge="TAF001L9")) == ["登记磁带 TAF001L9（L9，池 默认）"]
    of_job = lines(client, "operation", job=str(job.id))
    assert [line["subject"] for line in of_job] == ["Job.Cancelled", "BackupJob.Requested"]
    assert lines(client, "operation", job=str(job.id)[:8]) == of_job  # the short number pages show
    warned = lines(client, "operation", level="warning")
    assert [line["subject"] for line in warned] == ["Job.Cancelled"] and warned[0]["level_label"] == "警告"
    today, tomorrow = date.today(), date.today() + timedelta(days=1)
    assert lines(client, "operation", since=str(tomorrow)) == []
    assert lines(client, "operation", until=str(today - timedelta(days=1))) == []
    assert len(lines(client, "operation", since=str(today), until=str(today))) == len(everything)

    bad = client.get("/api/v1/logs/operation", params={"level": "很吵"})
    assert bad.status_code == 400 and "未知的级别“很吵”" in bad.json()["detail"]
    bad_time = client.get("/api/v1/logs/operation", params={"since": "昨天"})
    assert bad_time.status_code == 400 and "时间“昨天”无效" in bad_time.json()["detail"]
    assert client.get("/api/v1/logs/kernel").status_code == 400

    page = client.get("/logs", params={"user": "李工"})
    assert page.status_code == 200 and "登记磁带 TAF001L9" in page.text and "活动备份组数" not in page.text
    assert 'value="李工"' in page.text and 'sse-connect="/logs/live?' in page.text
    panel = client.get("/logs", params={"cartridge": "TAF002L9"}, headers={"hx-request": "true", "hx-target": "log"})
    assert "<html" not in panel.text and "TAF002L9" in panel.text and "TAF001L9" not in panel.text


def test_a_log_is_exported_as_csv_with_its_filters(client, web_services) -> None:  # noqa: ANN001
    for barcode in ("TAF003L9", "TAF004L9"):
        web_services.ledger.register_cartridge(barcode, capacity_bytes=18 * 10**12, by="李工")
    sign_in(client, "auditor")
    export = client.get("/api/v1/logs/operation/csv", params={"user": "李工"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "操作日志" in unquote(export.headers["content-disposition"]) and export.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0] == ["时间", "级别", "操作人", "事件", "说明", "事件序号", "事件名称", "类别", "对象编号"]
    assert [row[4] for row in rows[1:]] == ["登记磁带 TAF004L9（L9，池 默认）", "登记磁带 TAF003L9（L9，池 默认）"]
    assert all(row[1] == "信息" and row[2] == "李工" and row[3] == "Cartridge.Registered" and row[6] == "登记磁带"
               and row[7] == "磁带" for row in rows[1:])


def test_the_tape_log_shows_each_scsi_command_of_the_drive_with_its_outcome(client, web_services) -> None:  # noqa: ANN001
    tapes = make_app(web_services).tapes
    for barcode in ("TAF005L9", "TAF006L9"):  # in the emulated library a fresh installation creates
        tapes.load(barcode, actor="operator")
        tapes.unload(actor="operator")
    sign_in(client, "auditor")

    commands = lines(client, "tape")
    moves = [line for line in commands if line["subject"] == "MOVE MEDIUM"]
    assert len(moves) >= 4 and all(line["message"] == "成功" and line["details"]["status"] == "GOOD" for line in moves)
    assert all(line["details"]["cdb"].startswith("A5 ") for line in moves)  # MOVE MEDIUM's opcode
    checked = [line for line in commands if line["details"].get("status") == "CHECK CONDITION"]
    assert checked and all(line["details"]["sense"] and line["message"] != "成功" for line in checked)
    assert {"LOAD/UNLOAD", "TEST UNIT READY"} <= {line["subject"] for line in commands}

    # The lines name no cartridge: a cartridge means "while it was in the drive" (from the ledger).
    first, second = (lines(client, "tape", cartridge=barcode) for barcode in ("TAF005L9", "TAF006L9"))
    assert first and second and len(first) + len(second) < len(commands)
    shown = {(line["at"], line["subject"], line["details"]["cdb"]) for line in first}
    assert not shown & {(line["at"], line["subject"], line["details"]["cdb"]) for line in second}
    assert max(line["at"] for line in first) < min(line["at"] for line in second)

    page = client.get("/logs", params={"kind": "tape"}).text
    assert "MOVE MEDIUM" in page and "CHECK CONDITION" in page and "检测数据" in page


def test_the_system_log_reads_the_log_file_with_levels_tracebacks_and_rotated_files(client, web_services) -> None:  # noqa: ANN001
    log = logging.getLogger("taf.test_logs")
    log.warning("系统日志测试：磁盘快满了")
    try:
        raise ValueError("坏了")
    except ValueError:
        log.exception("系统日志测试：出错了")
    sign_in(client, "auditor")
    errors = lines(client, "system", level="error")
    assert errors[0]["source"] == "taf.test_logs" and errors[0]["level_label"] == "错误"
    assert errors[0]["message"].startswith("系统日志测试：出错了\nTraceback") and "ValueError: 坏了" in errors[0]["message"]
    assert "系统日志测试：磁盘快满了" not in said(errors)
    assert "系统日志测试：磁盘快满了" in said(lines(client, "system", level="warning"))
    assert said(lines(client, "system", user="磁盘快满")) == ["系统日志测试：磁盘快满了"]

    cursor = client.get("/api/v1/logs/system").json()["cursor"]
    log.warning("系统日志测试：轮换前写下的")
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    handler.doRollover()  # as when the file reaches its size: it becomes application.log.1
    log.warning("系统日志测试：轮换后写下的")
    found = said(lines(client, "system", user="系统日志测试"))
    assert found[:2] == ["系统日志测试：轮换后写下的", "系统日志测试：轮换前写下的"] and len(found) == 4
    newer = client.get("/api/v1/logs/system", params={"after": cursor, "user": "系统日志测试"}).json()
    assert said(newer["lines"]) == ["系统日志测试：轮换后写下的", "系统日志测试：轮换前写下的"]
    assert client.get("/api/v1/logs/system", params={"after": "昨天"}).status_code == 400

    page = client.get("/logs", params={"kind": "system", "level": "error"}).text
    assert "<details><summary>系统日志测试：出错了</summary>" in page and "ValueError: 坏了" in page


def test_the_notification_log_shows_each_notification_and_how_its_delivery_went(client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    note, _ = ledger.queue_notification(f"job-77:backup_failed:{PHONE}", kind="backup_failed", phone=PHONE,
                                        title="备份失败：财务", content="任务 job-77 失败", cause="job-77")
    ledger.notification_failed(str(note.id), "网关拒绝：号码无效")
    ledger.queue_notification(f"TAF007L9:erase_done:{PHONE}", kind="erase_done", phone=PHONE, title="擦除完成",
                              content="磁带 TAF007L9 已擦除", cause="TAF007L9")
    sign_in(client, "auditor")
    everything = lines(client, "notification")
    assert said(everything) == ["擦除完成", "备份失败：财务"]
    failed = everything[1]
    assert failed["source"] == PHONE and failed["level"] == "error" and failed["details"]["last_error"] == "网关拒绝：号码无效"
    assert said(lines(client, "notification", level="error")) == ["备份失败：财务"]
    assert said(lines(client, "notification", job="job-77")) == ["备份失败：财务"]
    assert said(lines(client, "notification", cartridge="TAF007L9")) == ["擦除完成"]
    page = client.get("/logs", params={"kind": "notification"}).text
    assert "网关拒绝：号码无效" in page and "擦除完成" in page


def test_new_lines_arrive_live_over_sse_and_a_reconnect_resumes_after_its_last_event_id(
        client, web_services, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(logs_view, "LIVE_LIFETIME_SECONDS", 1.2)
    monkeypatch.setattr(logs_view, "LIVE_INTERVAL_SECONDS", 0.1)
    sign_in(client, "auditor")
    cursor = client.get("/api/v1/logs/operation").json()["cursor"]

    def operator_works() -> None:
        time.sleep(0.3)
        web_services.ledger.register_cartridge("TAF010L9", capacity_bytes=18 * 10**12, by="李工")
        time.sleep(0.3)
        web_services.ledger.register_cartridge("TAF011L9", capacity_bytes=18 * 10**12, by="张工")

    worker = threading.Thread(target=operator_works)
    worker.start()
    stream = sse_messages(client.get("/logs/live", params={"kind": "operation", "after": cursor}).text)
    worker.join()
    assert stream[0]["comment"] == "已连接"
    pushed = [message for message in stream if message.get("event") == "lines"]
    assert len(pushed) == 2 and "TAF010L9" in pushed[0]["data"] and "TAF011L9" in pushed[1]["data"]
    assert pushed[0]["data"].lstrip().startswith('<tr class="level-info">') and int(pushed[1]["id"]) > int(pushed[0]["id"])

    resumed = sse_messages(client.get("/logs/live", params={"kind": "operation"},
                                      headers={"Last-Event-ID": pushed[0]["id"]}).text)
    again = [message["data"] for message in resumed if message.get("event") == "lines"]
    assert len(again) == 1 and "TAF011L9" in again[0] and "TAF010L9" not in again[0]
    caught_up = sse_messages(client.get("/logs/live", params={"kind": "operation"},
                                        headers={"Last-Event-ID": pushed[1]["id"]}).text)
    assert not [message for message in caught_up if message.get("event") == "lines"]

    # The API's stream: the same lines as JSON, filtered like the page.
    system = client.get("/api/v1/logs/system").json()["cursor"]
    logging.getLogger("taf.test_logs").warning("实时：只是警告")
    logging.getLogger("taf.test_logs").error("实时：出错了")
    stream = sse_messages(client.get("/api/v1/logs/system/events", params={"after": system, "level": "error"}).text)
    data = [message["data"] for message in stream if message.get("event") == "lines"]
    assert len(data) == 1 and "实时：出错了" in data[0] and "实时：只是警告" not in data[0]
    assert client.get("/logs/live", params={"kind": "operation", "after": "x"}).status_code == 400
