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
