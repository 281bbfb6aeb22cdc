"""The 备份 pages: the new-job form (folders from the allowed roots, group, level, a key per form),
its refusals in the page's message area, the history with filters and statistics, one job with its
events and the controls that apply to it and to the role."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from app.facade import make_app
from kernel.progress import Progress
from tests.web.conftest import csrf, headers, sign_in
from tests.web.seed import finished, requested, source_tree

HTMX = {"hx-request": "true"}


@pytest.fixture(autouse=True)
def roots(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = taf_env / "源数据"
    source_tree(root / "财务")
    monkeypatch.setenv("BACKUP_ALLOWED_ROOTS", str(root))
    return root


def test_the_form_offers_the_roots_groups_and_level_and_a_fresh_key_each_time(client, web_services,
                                                                               roots) -> None:  # noqa: ANN001
    finished(web_services, "十月", group="2026-10")
    make_app(web_services).settings.change("compression_level", "6", actor="admin")
    sign_in(client, "operator")
    page = client.get("/backups").text
    assert 'hx-post="/backups"' in page and 'name="_csrf_token"' in page and "开始备份" in page
    assert f'data-add-source="{roots}"' in page  # the roots, to pick or to open
    assert '<option value="2026-10">2026-10</option>' in page and "默认（6）" in page
    keys = re.findall(r'name="key" value="([0-9a-f]{32})"', page + client.get("/backups").text)
    assert len(keys) == 2 and keys[0] != keys[1]


def test_submitting_the_form_queues_the_job_and_opens_its_page(client, web_services, roots) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    form = {"sources": f"{roots / '财务'}\n\n", "group": "auto", "level": "1", "key": "表单-1",
            "_csrf_token": csrf(client)}
    plain = client.post("/backups", data=form, follow_redirects=False)
    assert plain.status_code == 303 and re.fullmatch(r"/backups/[0-9a-f-]{36}", plain.headers["location"])
    htmx = client.post("/backups", data=form, headers=headers(client, **HTMX))  # the same form sent again
    assert htmx.headers["hx-redirect"] == plain.headers["location"]
    job = make_app(web_services).backups.history().jobs
    assert len(job) == 1 and job[0].sources == [str(roots / "财务")] and job[0].requested_by == "operator"
    shown = client.get(plain.headers["location"]).text
    assert "已提交" in shown and "正在排队等待后台任务进程" in shown and "提交备份任务" in shown
    assert f'sse-connect="/backups/{job[0].job_id}/live?seen=1"' in shown


@pytest.mark.parametrize(("form", "words"), [
    ({"sources": " \n "}, "请至少选择或输入一个备份源目录"),
    ({"sources": "{root}/财务", "level": "10"}, "压缩级别必须是 0 到 9 的整数"),
    ({"sources": "/etc"}, "不在允许的备份范围内"),
])
def test_a_refused_form_says_why_in_the_message_area(client, web_services, roots, form, words) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    answer = client.post("/backups", data={k: v.format(root=roots) for k, v in form.items()},
                         headers=headers(client, **HTMX))
    assert answer.status_code in {400, 403} and answer.headers["hx-retarget"] == "#flash"
    assert words in unescape(answer.text) and make_app(web_services).backups.history().jobs == []


def test_the_history_filters_in_place_and_adds_up_speed_and_compression(client, web_services) -> None:  # noqa: ANN001
    finished(web_services, "快", bytes_in=8 << 20, seconds=4.0, packed_pct=40)
    requested(web_services, "等", group="2026-11")
    sign_in(client, "auditor")
    page = client.get("/backups").text
    assert "2.0 MiB/s" in page and "40%" in page and "data-chart=" in page and "成功 1" in page
    assert 'hx-post="/backups"' in page  # the form is shown; an auditor's submit is refused by the server
    part = client.get("/backups", params={"group": "2026-11"}, headers={**HTMX, "hx-target": "history"})
    assert part.status_code == 200 and "<html" not in part.text
    assert "已提交" in part.text and "成功" not in part.text
    bad = client.get("/backups", params={"status": "whatever"}, headers={**HTMX, "hx-target": "history"})
    assert bad.status_code == 400 and "未知的任务状态" in unescape(bad.text)


def test_a_jobs_page_shows_its_progress_events_and_the_controls_that_apply(client, web_services) -> None:  # noqa: ANN001
    job = requested(web_services, "页面控制")
    web_services.progress.publish(Progress(job, phase="wait_tape", request="请将磁带 TAF001L9 装入驱动器",
                                           packages_total=4, packages_written=1, bytes_total=100, bytes_packed=50))
    sign_in(client, "operator")
    page = client.get(f"/backups/{job}").text
    assert "请将磁带 TAF001L9 装入驱动器" in page and "等待换盘" in page
    assert 'aria-label="写入磁带" aria-valuenow="25"' in page and 'aria-label="打包" aria-valuenow="50"' in page
    assert ">暂停</button>" in page and "取消任务" in page and ">继续</button>" not in page
    paused = client.post(f"/backups/{job}/pause", headers=headers(client, **HTMX))
    assert paused.status_code == 200 and ">继续</button>" in paused.text and ">暂停</button>" not in paused.text
    assert 'id="job-live"' in paused.text  # swapped in whole: a new live stream for the new state
    events = client.get(f"/backups/{job}/events", headers=HTMX).text
    assert "共 2 条" in events and "任务暂停" in events
    resumed = client.post(f"/backups/{job}/resume", headers=headers(client, **HTMX))
    assert ">暂停</button>" in resumed.text
    cancelled = client.post(f"/backups/{job}/cancel", headers=headers(client, **HTMX))
    assert "已取消" in cancelled.text and "取消任务" not in cancelled.text
    refused = client.post(f"/backups/{job}/pause", headers=headers(client, **HTMX))
    assert refused.status_code == 409 and refused.headers["hx-retarget"] == "#flash"
    sign_in(client, "auditor")
    summary = client.get(f"/backups/{job}/summary", headers=HTMX).text
    assert "已取消" in summary and "<button" not in summary  # an auditor is offered no control
    assert client.get("/backups/00000000-0000-0000-0000-000000000000").status_code == 404
