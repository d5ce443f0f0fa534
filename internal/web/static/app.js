// Sluice's page script: draws the charts from the JSON data blocks that
// the server renders into each page (<script type="application/json">;
// the CSP allows no inline script), sorts tables, and keeps filter URLs
// tidy. It runs on load and again after each htmx swap.
(function () {
  "use strict";

  var TYPES = ["new_work", "legacy_refactor", "help_others", "rework"];
  var LABELS = { new_work: "New work", legacy_refactor: "Legacy refactor", help_others: "Help others", rework: "Rework", none: "No counted lines" };
  var COLORS = { new_work: "#3b7dd8", legacy_refactor: "#8a63c9", help_others: "#2a9d8f", rework: "#e07a3f", none: "#b8c0c9" };

  function readData(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    return window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "svg" });
  }

  // A tooltip drawn by the chart itself: HTML tooltips carry inline
  // styles, which the CSP refuses.
  var tooltip = { trigger: "axis", renderMode: "richText" };

  // The overview's charts; a team's and a repository's pages draw theirs
  // the same way from their own data blocks, which have the same weeks.
  function drawOverview() {
    var d = readData("overview-data") || readData("team-data") || readData("repo-data");
    if (!d || !d.weeks) return;
    var weeks = d.weeks.map(function (w) { return w.week; });
    var wt = chartOn("chart-worktypes");
    if (wt) {
      wt.setOption({
        color: TYPES.map(function (t) { return COLORS[t]; }),
        tooltip: tooltip,
        legend: { top: 0 },
        grid: { left: 56, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", boundaryGap: false, data: weeks },
        yAxis: { type: "value", name: "lines (HALOC)" },
        series: TYPES.map(function (t) {
          return { id: t, name: LABELS[t], type: "line", stack: "work", areaStyle: {}, symbol: "none",
            data: d.weeks.map(function (w) { return w[t]; }) };
        })
      }, true);
    }
    var act = chartOn("chart-activity");
    if (act) {
      act.setOption({
        color: ["#3b7dd8", "#2a9d8f"],
        tooltip: tooltip,
        legend: { top: 0 },
        grid: { left: 56, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: weeks },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { id: "commits", name: "Commits", type: "bar", data: d.weeks.map(function (w) { return w.commits; }) },
          { id: "coding_days", name: "Coding days", type: "line", data: d.weeks.map(function (w) { return w.coding_days; }) }
        ]
      }, true);
    }
  }

  function addDays(day, n) {
    var t = new Date(day + "T00:00:00Z");
    t.setUTCDate(t.getUTCDate() + n);
    return t.toISOString().slice(0, 10);
  }

  function drawWorkLog() {
    var d = readData("person-data");
    var el = document.getElementById("worklog");
    if (!d || !el) return;
    var days = d.work_log || [];
    // The calendar spans the range, widened to the work log's days (a day
    // in the author's offset may fall just outside the range's UTC days).
    var start = d.since, end = d.until ? addDays(d.until, -1) : "";
    days.forEach(function (w) {
      if (!start || w.day < start) start = w.day;
      if (!end || w.day > end) end = w.day;
    });
    if (!start) { el.hidden = true; return; }
    var y0 = +start.slice(0, 4), y1 = +end.slice(0, 4);
    var ranges = [];
    for (var y = y0; y <= y1; y++) {
      ranges.push([y === y0 ? start : y + "-01-01", y === y1 ? end : y + "-12-31"]);
    }
    el.style.height = (ranges.length * 170 + 20) + "px";
    var chart = chartOn("worklog");
    if (!chart) return;
    chart.resize();
    var kinds = TYPES.concat(["none"]);
    chart.setOption({
      tooltip: { renderMode: "richText", formatter: function (p) {
        return p.value[0] + ": " + p.value[1] + " commit" + (p.value[1] === 1 ? "" : "s") + ", mostly " + LABELS[kinds[p.value[2]]].toLowerCase();
      } },
      visualMap: { type: "piecewise", show: false, dimension: 2,
        pieces: kinds.map(function (k, i) { return { value: i, label: LABELS[k], color: COLORS[k] }; }) },
      calendar: ranges.map(function (r, i) {
        return { top: 30 + i * 170, left: 40, cellSize: [16, 16], range: r,
          yearLabel: { show: ranges.length > 1 }, itemStyle: { borderColor: "#fff", color: "#f1f3f5" },
          splitLine: { lineStyle: { color: "#d9dee4" } } };
      }),
      series: ranges.map(function (r, i) {
        return { id: "worklog-" + i, type: "heatmap", coordinateSystem: "calendar", calendarIndex: i,
          data: days.filter(function (w) { return w.day >= r[0] && w.day <= r[1]; })
            .map(function (w) { return [w.day, w.commits, kinds.indexOf(w.dominant)]; }) };
      })
    }, true);
  }

  function cellValue(td, numeric) {
    var s = td.textContent.trim();
    if (!numeric) return s.toLowerCase();
    var n = parseFloat(s);
    return isNaN(n) ? -Infinity : n;
  }

  function sortable(table) {
    if (table.dataset.sortReady) return;
    table.dataset.sortReady = "1";
    var ths = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(ths, function (th, col) {
      if (!th.dataset.sort) return;
      th.tabIndex = 0;
      th.classList.add("sort");
      var sort = function () {
        var numeric = th.dataset.sort === "num";
        // First click: numbers largest first, text A to Z; then toggle.
        var cur = th.getAttribute("aria-sort");
        var desc = cur ? cur === "ascending" : numeric;
        Array.prototype.forEach.call(ths, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[col], numeric), y = cellValue(b.cells[col], numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  }

  function draw() {
    drawOverview();
    drawWorkLog();
    document.querySelectorAll("table.sortable").forEach(sortable);
  }

  function disposeCharts() {
    if (!window.echarts) return;
    document.querySelectorAll(".chart").forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el);
      if (c) c.dispose();
    });
  }

  // Leave empty filter fields out of the URL.
  document.addEventListener("htmx:configRequest", function (e) {
    var p = e.detail.parameters;
    Object.keys(p).forEach(function (k) { if (p[k] === "") delete p[k]; });
  });
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.method !== "get" || (window.htmx && f.hasAttribute("hx-get"))) return;
    Array.prototype.forEach.call(f.elements, function (x) { if (x.name && x.value === "") x.disabled = true; });
  });
  document.addEventListener("htmx:beforeSwap", disposeCharts);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", function () {
    if (!window.echarts) return;
    document.querySelectorAll(".chart").forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el);
      if (c) c.resize();
    });
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
