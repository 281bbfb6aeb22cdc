// TAF pages: draw every ECharts chart whose option the server put in data-chart, after the page
// loads and after each htmx swap; keep them sized to their boxes.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (box) {
      var chart = window.echarts.getInstanceByDom(box) || window.echarts.init(box, null, { renderer: "svg" });
      chart.setOption(JSON.parse(box.dataset.chart), true);
    });
  }

  function resizeCharts() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var chart = window.echarts.getInstanceByDom(box);
      if (chart) chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
  window.addEventListener("resize", resizeCharts);
})();

// ===== 备份（issue 14）: a folder picked in the server's folder browser joins the new job's sources =====
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-source]") : null;
    var box = document.getElementById("sources");
    if (!button || !box) return;
    var path = button.getAttribute("data-add-source");
    var lines = box.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
    if (lines.indexOf(path) < 0) lines.push(path);
    box.value = lines.join("\n");
    button.textContent = "已选择";
  });
})();

// ===== 恢复（issue 14）: the restore list, kept across the file tree and the search results =====
// Each selected item is {path, group, kind}: a full path as restore.selection reads it (a folder
// means everything below it). The list lives in sessionStorage, so browsing other folders, searching
// or reloading the page keeps it; the plan form sends it as repeated `path` fields. A plan shown for
// another selection than the current one cannot be started until it is made again.
(function () {
  "use strict";
  var KEY = "taf.restore.selection";
  var KINDS = { dir: "文件夹", file: "文件", symlink: "链接" };

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(items) { window.sessionStorage.setItem(KEY, JSON.stringify(items)); }
  function below(folder, path) {
    var prefix = folder.charAt(folder.length - 1) === "/" ? folder : folder + "/";
    return path !== folder && path.indexOf(prefix) === 0;
  }
  function covering(items, path) {
    for (var i = 0; i < items.length; i++) if (below(items[i].path, path)) return items[i];
    return null;
  }
  function groupOf(items) {
    var groups = items.map(function (item) { return item.group; });
    return groups.every(function (g) { return g === groups[0]; }) ? (groups[0] || "") : "";
  }
  function add(items, item) {
    if (items.some(function (x) { return x.path === item.path; }) || covering(items, item.path)) return items;
    return items.filter(function (x) { return !below(item.path, x.path); }).concat([item]);
  }
  function remove(items, path) { return items.filter(function (x) { return x.path !== path; }); }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderList(items) {
    var list = document.getElementById("selection");
    if (!list) return;
    list.textContent = "";
    items.forEach(function (item) {
      var row = element("li", "selection-item");
      row.appendChild(element("span", "tag small kind-" + item.kind, KINDS[item.kind] || item.kind));
      var cut = item.path.replace(/\/$/, "").lastIndexOf("/");
      var where = element("span", "selection-path");
      where.title = item.path + (item.group ? "（" + item.group + "）" : "");
      where.appendChild(element("span", "selection-name", cut < 0 ? item.path : item.path.slice(cut + 1) || item.path));
      // The folder is cut on its left when long (CSS rtl); the marks keep its slashes where they are.
      where.appendChild(element("span", "selection-folder mono", "\u200e" + (cut > 0 ? item.path.slice(0, cut) : "") +
                                (item.group ? " · " + item.group : "") + "\u200e"));
      row.appendChild(where);
      var drop = element("button", "selection-remove", "×");
      drop.type = "button";
      drop.setAttribute("data-selection-remove", item.path);
      drop.setAttribute("aria-label", "移出清单 " + item.path);
      row.appendChild(drop);
      list.appendChild(row);
    });
    document.getElementById("selection-count").textContent = String(items.length);
    document.querySelector(".selection-empty").hidden = items.length > 0;
    var groups = items.map(function (item) { return item.group; }).filter(function (g, i, all) { return all.indexOf(g) === i; });
    var note = document.querySelector(".selection-note");
    note.hidden = groups.length < 2;
    note.textContent = "所选条目来自 " + groups.join("、") + " 几个备份组：每个路径将恢复它最新的版本。";
  }

  function renderForm(items) {
    var form = document.getElementById("plan-form");
    if (!form) return;
    var fields = form.querySelector(".selection-fields");
    fields.textContent = "";
    items.forEach(function (item) {
      var input = element("input");
      input.type = "hidden"; input.name = "path"; input.value = item.path;
      fields.appendChild(input);
    });
    form.querySelector("input[name=group]").value = groupOf(items);
    form.querySelector("button[type=submit]").disabled = items.length === 0;
  }

  function markPlan(items) {
    var card = document.querySelector("#plan [data-paths]");
    if (!card) return;
    var planned = JSON.parse(card.getAttribute("data-paths"));
    var current = items.map(function (item) { return item.path; });
    var stale = card.getAttribute("data-group") !== groupOf(items) || planned.length !== current.length ||
      planned.some(function (path, i) { return path !== current[i]; });
    card.classList.toggle("stale", stale);
    var start = card.querySelector(".start-form button[type=submit]");
    if (start) start.disabled = stale;
    var notice = card.querySelector(".stale-note");
    if (notice) notice.hidden = !stale;
  }

  function syncBoxes(items, root) {
    (root || document).querySelectorAll("input[data-select]").forEach(function (box) {
      var path = box.getAttribute("data-path");
      var exact = items.some(function (item) { return item.path === path; });
      var parent = covering(items, path);
      box.checked = exact || !!parent;
      box.disabled = !!parent;
      box.title = parent ? "已随 " + parent.path + " 一起选中" : "";
    });
  }

  function refresh(items) {
    renderList(items);
    renderForm(items);
    syncBoxes(items);
    markPlan(items);
  }

  function itemOf(box) {
    return { path: box.getAttribute("data-path"), group: box.getAttribute("data-group") || "",
             kind: box.getAttribute("data-kind") || "file" };
  }

  function start() {
    if (!document.getElementById("restore")) return;
    refresh(load());

    document.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.matches || !box.matches("input[data-select]")) return;
      var items = box.checked ? add(load(), itemOf(box)) : remove(load(), box.getAttribute("data-path"));
      save(items);
      refresh(items);
    });

    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target : null;
      if (!target) return;
      var removeButton = target.closest("[data-selection-remove]");
      if (removeButton) {
        var left = remove(load(), removeButton.getAttribute("data-selection-remove"));
        save(left); refresh(left);
        return;
      }
      if (target.closest("[data-selection-clear]")) { save([]); refresh([]); return; }
      var all = target.closest("[data-select-all]");
      if (all) {
        var items = load();
        document.querySelectorAll(all.getAttribute("data-select-all") + " input[data-select]").forEach(function (box) {
          if (!box.disabled) items = add(items, itemOf(box));
        });
        save(items); refresh(items);
        return;
      }
      var tab = target.closest("[data-tab]");
      if (tab) {
        document.querySelectorAll("[data-tab]").forEach(function (other) {
          var on = other === tab;
          other.classList.toggle("active", on);
          other.setAttribute("aria-selected", on ? "true" : "false");
        });
        document.querySelectorAll("[data-panel]").forEach(function (panel) {
          panel.hidden = panel.getAttribute("data-panel") !== tab.getAttribute("data-tab");
        });
      }
    });

    document.addEventListener("htmx:afterSettle", function (event) {
      var items = load();
      syncBoxes(items, event.target);
      markPlan(items);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

// ===== 磁带（issue 15）: the act dialogs, the barcode typed back, the row menus =====
// A dialog's content is fetched by htmx into <dialog id="tape-dialog"> and shown as a modal here;
// a form inside it closes it once answered (an act's panel or the refusal shows on the page). An
// act that cannot be undone is sent only once its barcode is typed back (the server checks again).
(function () {
  "use strict";

  function dialogOf(node) { return node && node.closest ? node.closest("dialog") : null; }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "tape-dialog" && !target.open) {
      target.showModal();
      var first = target.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
    }
    if (target && target.id === "tape-act") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) { menu.open = false; });
      target.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    var dialog = dialogOf(source);
    if (dialog && source.tagName === "FORM" && dialog.open) dialog.close();
  });

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-type-back]")) return;
    var typed = box.value.trim().toUpperCase() === box.getAttribute("data-type-back").toUpperCase();
    var form = box.closest("form");
    if (form) form.querySelectorAll("[data-needs-type-back]").forEach(function (button) { button.disabled = !typed; });
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var closer = target.closest("[data-dialog-close]");
    if (closer && dialogOf(closer)) { dialogOf(closer).close(); return; }
    var inMenu = target.closest("details.menu");
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== inMenu || target.closest(".menu-items")) menu.open = false;
    });
  });
})();

// ===== 设置（issue 15）: the settings page's tabs; the address keeps the tab (#dingtalk), so a reload
// or a shared link opens the same one =====
(function () {
  "use strict";

  function show(name, remember) {
    var tabs = document.querySelectorAll("[data-settings-tab]");
    var known = false;
    tabs.forEach(function (tab) { if (tab.getAttribute("data-settings-tab") === name) known = true; });
    if (!known) return;
    tabs.forEach(function (tab) {
      var on = tab.getAttribute("data-settings-tab") === name;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", on ? "true" : "false");
    });
    document.querySelectorAll("[data-settings-panel]").forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-settings-panel") !== name;
    });
    if (remember && window.history.replaceState) window.history.replaceState(null, "", "#" + name);
  }

  function start() {
    if (!document.getElementById("settings")) return;
    show(window.location.hash.replace("#", ""), false);
    document.addEventListener("click", function (event) {
      var tab = event.target.closest ? event.target.closest("[data-settings-tab]") : null;
      if (tab) show(tab.getAttribute("data-settings-tab"), true);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

// ===== 日志（issue 15）: live rows arrive at the top of the log (htmx SSE); the table keeps the newest
// MAX_ROWS, the "no lines" note goes once one arrived, and the live mark says whether the stream is open =====
(function () {
  "use strict";
  var MAX_ROWS = 1000;

  function state(on) {
    var mark = document.querySelector(".live-state");
    if (mark) mark.classList.toggle("off", !on);
  }

  document.addEventListener("htmx:sseOpen", function () { state(true); });
  document.addEventListener("htmx:sseError", function () { state(false); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var rows = event.target.id === "log-rows" ? event.target : null;
    if (!rows) return;
    var empty = document.querySelector(".log-empty");
    if (empty) empty.hidden = rows.children.length > 0;
    while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastElementChild);
  });
})();

// ===== 角色（issue 15）: a control only operators may use ([data-operator-only]) is disabled for an auditor,
// also in regions rendered once for every user (the dashboard's live part) =====
(function () {
  "use strict";

  function disable(root) {
    if (document.body.getAttribute("data-role") !== "auditor") return;
    root.querySelectorAll("[data-operator-only]").forEach(function (control) {
      control.disabled = true;
      control.title = "审计员只能查看";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { disable(document); });
  document.addEventListener("htmx:afterSettle", function (event) { disable(event.target); });
})();
