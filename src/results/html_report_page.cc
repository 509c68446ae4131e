// The style and script of the `incarne plot` page (html_report.cc puts them around the data).
// The script reads the inline JSON block `incarne-data` (one entry per run: name, header,
// report = `incarne report --json`, warnings, per-second `overall` series, binned per-tag
// series, whole-run percentile spectra) and draws every chart with dygraphs. When all have
// drawn it sets <body data-rendered="true">; the rps chart carries data-points (its rows).
// Nothing here may name a network address: the page must work offline (docs/results.md §11).
#include <string_view>

namespace incarne {

extern const std::string_view kPlotPageCss;
extern const std::string_view kPlotPageJs;

const std::string_view kPlotPageCss = R"css(
:root { --bg: #ffffff; --bg2: #f3f4f6; --fg: #1f2328; --mute: #57606a; --line: #d0d7de;
        --warn: #9a6700; --err: #cf222e; --grid: #e5e7eb; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --bg2: #161b22; --fg: #e6edf3; --mute: #9198a1; --line: #30363d;
          --warn: #d29922; --err: #f85149; --grid: #262c36; }
}
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; padding: 0 16px 24px; max-width: 1500px;
       font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 20px; margin: 12px 0 4px; }
h2 { font-size: 16px; margin: 18px 0 6px; }
h3 { font-size: 14px; margin: 0 0 4px; font-weight: 600; }
.header { display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--mute); }
.header b { color: var(--fg); font-weight: 600; }
.warn { color: var(--warn); margin: 4px 0; }
.error { color: var(--err); font-weight: 600; }
/* Many tags (autocases) must not push the charts off the screen: the table scrolls. */
table.summary { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 12px;
                display: block; overflow: auto; max-height: 40vh; }
table.summary th, table.summary td { border-bottom: 1px solid var(--line); padding: 2px 6px;
                                      text-align: right; white-space: nowrap; }
table.summary th { background: var(--bg2); position: sticky; top: 0; }
table.summary td.tag, table.summary th.tag { text-align: left; }
.controls { position: sticky; top: 0; z-index: 20; background: var(--bg); padding: 6px 0;
            border-bottom: 1px solid var(--line); }
select { background: var(--bg2); color: var(--fg); border: 1px solid var(--line); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr));
          gap: 14px; margin-top: 10px; }
.chart-box { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px;
             padding: 8px; min-width: 0; }
.chart { height: 260px; width: 100%; }
.legend { font-size: 11px; min-height: 16px; color: var(--mute); }
.legend span { margin-right: 8px; }
.note { color: var(--mute); font-size: 12px; }
.dygraph-legend { background: var(--bg2) !important; color: var(--fg); }
.dygraph-axis-label { color: var(--mute); font-size: 11px; }
.dygraph-title, .dygraph-label { color: var(--fg); }
.verdict { margin: 8px 0; padding: 8px 12px; border-radius: 6px; font-size: 15px;
           border: 2px solid var(--line); background: var(--bg2); }
.verdict.autostop { border-color: var(--err); }
.verdict.autostop b { color: var(--err); }
.verdict.capacity { border-color: #59a14f; }
.capacity h2 { grid-column: 1 / -1; margin: 0; }
table.steps { max-height: 30vh; margin-top: 6px; }
table.steps tr.bad td { color: var(--err); }
footer { margin-top: 20px; color: var(--mute); font-size: 12px; }
footer pre { white-space: pre-wrap; }
)css";

const std::string_view kPlotPageJs = R"js(
"use strict";
(function () {
  var app = document.getElementById("app");
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function fail(msg) {
    var p = el("p", {"class": "error", id: "plot-error"}, "The report could not be drawn: " + msg);
    app.insertBefore(p, app.firstChild);
  }
  window.addEventListener("error", function (ev) { fail(ev.message); });
  var D = JSON.parse(document.getElementById("incarne-data").textContent);
  var runs = D.runs, multi = runs.length > 1;
  app.textContent = "";
  document.title = "incarne: " + runs.map(function (r) { return r.name; }).join(" vs ");
  app.appendChild(el("h1", {}, document.title));

  // Header: one line per run.
  runs.forEach(function (r, ri) {
    var h = el("div", {"class": "header"}), rep = r.report || {}, hd = r.header;
    function item(k, v) {
      if (v === undefined || v === "") { return; }
      var s = el("span", {}, k + " "); s.appendChild(el("b", {}, String(v))); h.appendChild(s);
    }
    if (multi) { item("run", r.name); }
    item("dir", hd.dir);
    item("target", hd.target); item("nib", hd.nib); item("model", hd.model);
    item("schedule", hd.schedule);
    if (hd.model === "instances") { item("instances", hd.instances); }
    if (r.report) {
      item("duration", rep.duration_s + " s");
      item("seconds", rep.seconds);
      item("shards", rep.shards); item("workers", rep.workers);
      item("start", rep.hits > 0 ? new Date(rep.start_unix * 1000).toISOString() : "");
      item("raw records", rep.hits_kept.mode + ", " + rep.hits_kept.written + " in hits");
    }
    item("report by incarne", D.incarne);
    app.appendChild(h);
    // The verdicts first: why the run stopped, what the capacity finder found.
    var who = multi ? r.name + ": " : "";
    if (rep.autostop) {
      var a = rep.autostop;
      a.figures_text = Object.keys(a.figures || {}).map(function (k) {
        return k + " " + a.figures[k];
      }).join(", ");
      var b = el("div", {"class": "verdict autostop", id: "autostop-" + ri,
                         "data-criterion": a.criterion, "data-second": String(a.second)});
      b.appendChild(el("b", {}, who + "AUTOSTOP " + a.criterion));
      b.appendChild(document.createTextNode(" fired at second " + a.second + " (since second " +
          a.since + "): " + a.explain + "; Tank rc " + a.tank_rc + ". " +
          a.figures_text));
      app.appendChild(b);
    }
    var cap = r.capacity || {};
    if (cap.find_max) {
      var f = cap.find_max;
      app.appendChild(el("div", {"class": "verdict capacity", id: "find-max-verdict-" + ri},
          who + (f.rps > 0 ? "find-max: " + f.rps + " rps is the highest rate that met the SLO" +
                 (f.capped ? " (the max_rps cap)" : "") : "find-max: even the first step " +
                 "failed the SLO") + " (" + f.steps.length + " steps" +
                 (f.interrupted ? ", interrupted" : "") + ")"));
    }
    if (cap.usl) {
      var u = cap.usl;
      app.appendChild(el("div", {"class": "verdict capacity", id: "usl-verdict-" + ri},
          who + "USL: σ = " + u.sigma + ", κ = " + u.kappa + ", λ = " + u.lambda +
          (u.n_max !== null ? "; peak N* = " + u.n_max.toFixed(1) + ", X_max = " +
           fmtNum(u.x_max) + "/s" : u.x_ceiling !== null ? "; ceiling λ/σ = " +
           fmtNum(u.x_ceiling) + "/s" : "") + (u.stopped ? "; stopped early: " + u.stopped : "")));
    }
    r.warnings.forEach(function (w) {
      app.appendChild(el("p", {"class": "warn"}, (multi ? r.name + ": " : "") + "warning: " + w));
    });
    if (rep.ring_dropped > 0) {
      app.appendChild(el("p", {"class": "warn"}, "WARNING: " + rep.ring_dropped +
                         " raw records lost to full result rings (their hits are in every" +
                         " figure; the hits file lacks them)"));
    }
  });

  // Summary table: the numbers of `incarne report --json`, verbatim.
  var cols = [["hits", "hits"], ["errors", "errors"], ["net_errors", "net err"],
              ["rps", "rps"], ["duration_s", "duration s"]];
  var pk = ["p50", "p75", "p90", "p95", "p99", "p99.9", "max", "mean"];
  pk.forEach(function (p) { cols.push(["latency_us." + p, "lat " + p]); });
  ["p50", "p99", "max"].forEach(function (p) { cols.push(["service_us." + p, "uncorr " + p]); });
  ["p99", "max"].forEach(function (p) { cols.push(["lag_us." + p, "lag " + p]); });
  cols.push(["bytes_out", "bytes out"], ["bytes_in", "bytes in"]);
  function get(o, path) {
    var dot = path.indexOf(".");
    return dot < 0 ? o[path] : o[path.slice(0, dot)][path.slice(dot + 1)];
  }
  function codes(m) {
    return Object.keys(m).map(function (c) { return c + ":" + m[c]; }).join(" ");
  }
  // A find-max run directory has no aggregates of its own: only its capacity chart.
  var timeRuns = runs.filter(function (r) { return r.report !== null; });
  var capBox = el("div", {id: "capacity"});
  app.appendChild(capBox);
  app.appendChild(el("h2", {id: "summary-title"},
                     "Summary (latencies in µs; as incarne report --json)"));
  var table = el("table", {"class": "summary", id: "summary"}), tr = el("tr");
  if (multi) { tr.appendChild(el("th", {"class": "tag"}, "run")); }
  tr.appendChild(el("th", {"class": "tag"}, "tag"));
  cols.forEach(function (c) { tr.appendChild(el("th", {}, c[1])); });
  tr.appendChild(el("th", {"class": "tag"}, "proto codes"));
  tr.appendChild(el("th", {"class": "tag"}, "net codes"));
  table.appendChild(tr);
  timeRuns.forEach(function (r) {
    var rows = [["", "overall", r.report.overall]];
    Object.keys(r.report.tags).forEach(function (t) {
      rows.push([t, t || "(untagged)", r.report.tags[t]]);
    });
    rows.forEach(function (row) {
      var tr = el("tr", {"data-run": r.name, "data-tag": row[0]});
      if (multi) { tr.appendChild(el("td", {"class": "tag"}, r.name)); }
      tr.appendChild(el("td", {"class": "tag"}, row[1]));
      cols.forEach(function (c) {
        tr.appendChild(el("td", {"data-k": c[0]}, String(get(row[2], c[0]))));
      });
      tr.appendChild(el("td", {"class": "tag"}, codes(row[2].proto_codes)));
      tr.appendChild(el("td", {"class": "tag"}, codes(row[2].net_codes)));
      table.appendChild(tr);
    });
  });
  app.appendChild(table);

  if (timeRuns.length === 0) {
    table.remove();
    document.getElementById("summary-title").remove();
  }
  // Tag selector: "" = all tags (the per-second overall series).
  var tags = [];
  timeRuns.forEach(function (r) {
    Object.keys(r.tags).forEach(function (t) { if (tags.indexOf(t) < 0) { tags.push(t); } });
  });
  var controls = el("div", {"class": "controls"});
  controls.appendChild(el("label", {"for": "tag"}, "Charts for "));
  var sel = el("select", {id: "tag"});
  sel.appendChild(el("option", {value: ""}, "all tags (per second)"));
  tags.forEach(function (t) {
    sel.appendChild(el("option", {value: t}, "tag " + (t || "(untagged)")));
  });
  controls.appendChild(sel);
  var binNote = el("span", {"class": "note", id: "bin-note"});
  controls.appendChild(binNote);
  app.appendChild(controls);
  var grid = el("div", {"class": "charts", id: "charts"});
  app.appendChild(grid);

  var css = getComputedStyle(document.documentElement);
  var gridColor = css.getPropertyValue("--grid").trim() || "#ccc";
  var errColor = css.getPropertyValue("--err").trim() || "#cf222e";
  var axisColor = css.getPropertyValue("--line").trim() || "#888";
  function setOf(r, tag) { return tag === null ? r.overall : r.tags[tag]; }
  function prefix(r) { return multi ? r.name + " " : ""; }
  // Joins per-run columns on x: cols = [{run, set, label, value(set, i)}].
  function join(columns, xOf) {
    var byX = new Map();
    columns.forEach(function (c, ci) {
      if (!c.set) { return; }
      for (var i = 0; i < c.set.t.length; ++i) {
        var x = xOf ? xOf(c.set, i) : c.set.t[i];
        var row = byX.get(x);
        if (!row) { row = [x].concat(columns.map(function () { return null; })); byX.set(x, row); }
        row[ci + 1] = c.value(c.set, i);
      }
    });
    return Array.from(byX.values()).sort(function (a, b) { return a[0] - b[0]; });
  }
  function perSec(k) { return function (s, i) { return s[k][i] / s.bin; }; }
  function ms(k) { return function (s, i) { return s[k][i] / 1000; }; }
  function chartDefs(tag) {
    var defs = [], all = tag === null;
    function def(id, title, ylabel, columns, opts) {
      defs.push({id: id, title: title, ylabel: ylabel, columns: columns, opts: opts || {}});
    }
    var c = [];
    timeRuns.forEach(function (r) {
      var s = setOf(r, tag);
      if (all) {
        c.push({set: s, label: prefix(r) + "planned", value: function (s, i) {
          return s.planned[i];
        }});
        c.push({set: s, label: prefix(r) + "sent", value: function (s, i) { return s.sent[i]; }});
      }
      c.push({set: s, label: prefix(r) + "done", value: perSec("hits")});
      c.push({set: s, label: prefix(r) + "errors", value: perSec("errors")});
    });
    def("rps", "Requests per second: planned, sent, done (by completion second), errors",
        "per s", c);
    [["lat", "Latency, corrected (done − planned)"],
     ["svc", "Latency, uncorrected (done − start)"]].forEach(function (q) {
        var c = [];
        timeRuns.forEach(function (r) {
          ["p50", "p90", "p99", "max"].forEach(function (p) {
            c.push({set: setOf(r, tag), label: prefix(r) + p, value: ms(q[0] + "_" + p)});
          });
        });
        def(q[0], q[1], "ms", c);
      });
    c = [];
    timeRuns.forEach(function (r) {
      c.push({set: setOf(r, tag), label: prefix(r) + "lag p99", value: ms("lag_p99")});
    });
    def("lag", "Lag p99 (start − planned: how late the generator sent)", "ms", c);
    c = [];
    timeRuns.forEach(function (r) {
      c.push({set: r.overall, label: prefix(r) + "in flight max", value: function (s, i) {
        return s.inflight[i];
      }});
    });
    def("inflight", "Hits in flight (max per second, all tags)", "hits", c);
    [["proto", "Proto codes per second"], ["net", "Net codes per second"]].forEach(function (q) {
      var c = [];
      timeRuns.forEach(function (r) {
        var s = setOf(r, tag);
        Object.keys(s ? s[q[0]] : {}).forEach(function (code) {
          c.push({set: s, label: prefix(r) + code, value: function (s, i) {
            return s[q[0]][code][i] / s.bin;
          }});
        });
      });
      def(q[0], q[1] + (multi ? "" : " (stacked)"), "per s", c,
          {stackedGraph: !multi, fillGraph: !multi});
    });
    c = [];
    timeRuns.forEach(function (r) {
      var s = setOf(r, tag);
      c.push({set: s, label: prefix(r) + "out", value: perSec("bytes_out")});
      c.push({set: s, label: prefix(r) + "in", value: perSec("bytes_in")});
    });
    def("bytes", "Bytes per second", "bytes/s", c);
    c = [];
    timeRuns.forEach(function (r) {
      // Rows [p, corrected µs, uncorrected µs]; t = p, mapped to 1/(1 − p) by spectrumX.
      var v = r.spectrum[tag === null ? "" : tag] || [];
      var sp = {t: v.map(function (row) { return row[0]; }), v: v};
      c.push({set: sp, label: prefix(r) + "corrected", value: function (s, i) {
        return s.v[i][1] / 1000;
      }});
      c.push({set: sp, label: prefix(r) + "uncorrected", value: function (s, i) {
        return s.v[i][2] / 1000;
      }});
    });
    def("spectrum", "Percentile spectrum of the whole run (log scales)", "ms", c, {
      logscale: true, xIsSpectrum: true});
    return defs;
  }
  // Tableau 10: readable on the light and the dark background.
  var kColors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                 "#ff9da7", "#9c755f", "#bab0ac"];
  // 3 significant digits with k/M/G (×1000) suffixes: axis labels and the legend.
  function fmtNum(v) {
    if (typeof v !== "number" || !isFinite(v)) { return String(v); }
    var a = Math.abs(v), units = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; ++i) {
      if (a >= units[i][0]) { return Number((v / units[i][0]).toPrecision(3)) + units[i][1]; }
    }
    return String(Number(v.toPrecision(3)));
  }
  function spectrumX(p) { return 1 / Math.max(1 - p / 100, 1e-7); }
  function pctLabel(x) {
    var p = 100 * (1 - 1 / x);
    return (p >= 99.99 ? p.toFixed(4) : p >= 99 ? p.toFixed(2) : p.toFixed(0)) + "%";
  }

  var graphs = [];
  function draw() {
    graphs.forEach(function (g) { g.destroy(); });
    graphs = [];
    document.body.removeAttribute("data-rendered");
    grid.textContent = "";
    var tag = sel.selectedIndex === 0 ? null : sel.value;
    var bins = timeRuns.map(function (r) { var s = setOf(r, tag); return s ? s.bin : 1; });
    binNote.textContent = Math.max.apply(null, bins) > 1 ?
        "  (per-tag series are merged into " + Math.max.apply(null, bins) +
        " s bins; values per second)" : "";
    var defs = timeRuns.length > 0 ? chartDefs(tag) : [];
    timePending = defs.length;
    function drawn() {
      --timePending;
      maybeRendered();
    }
    if (defs.length === 0) {
      controls.remove();
      maybeRendered();
    }
    defs.forEach(function (d) {
      var box = el("div", {"class": "chart-box"});
      box.appendChild(el("h3", {}, d.title));
      var div = el("div", {"class": "chart", id: "chart-" + d.id});
      var legend = el("div", {"class": "legend"});
      box.appendChild(div); box.appendChild(legend);
      grid.appendChild(box);
      var xOf = d.opts.xIsSpectrum ? function (s, i) { return spectrumX(s.t[i]); } : null;
      var rows = join(d.columns, xOf);
      div.setAttribute("data-points", String(rows.length));
      if (rows.length === 0 || d.columns.length === 0) {
        div.appendChild(el("p", {"class": "note"}, "no data for this selection"));
        drawn();
        return;
      }
      var opts = {
        labels: ["x"].concat(d.columns.map(function (c) { return c.label; })),
        ylabel: d.ylabel, labelsDiv: legend, legend: "always", labelsSeparateLines: false,
        gridLineColor: gridColor, axisLineColor: axisColor, strokeWidth: 1.3,
        connectSeparatedPoints: false, animatedZooms: false,
        stackedGraph: !!d.opts.stackedGraph, fillGraph: !!d.opts.fillGraph,
        colors: kColors, includeZero: true,
        drawCallback: function (g, initial) { if (initial) { drawn(); } },
        axes: {x: {valueFormatter: function (x) { return "second " + x; },
                   axisLabelFormatter: function (x) {
                     return Number.isInteger(x) ? String(x) : "";
                   }},
               y: {axisLabelFormatter: fmtNum, valueFormatter: fmtNum}}
      };
      if (d.opts.xIsSpectrum) {
        opts.logscale = true;
        opts.includeZero = false;
        opts.axes = {x: {logscale: true, valueFormatter: pctLabel, axisLabelFormatter: pctLabel},
                     y: {logscale: true, axisLabelFormatter: fmtNum, valueFormatter: fmtNum}};
        opts.xlabel = "percentile";
      } else {
        opts.xlabel = "seconds since the run's origin";
      }
      var stop = autostopSecond(d);
      if (stop !== null) {
        opts.underlayCallback = function (ctx, area, g) {
          var x = g.toDomXCoord(stop);
          if (x < area.x || x > area.x + area.w) { return; }
          ctx.save();
          ctx.strokeStyle = errColor; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
          ctx.beginPath(); ctx.moveTo(x, area.y); ctx.lineTo(x, area.y + area.h); ctx.stroke();
          ctx.fillStyle = errColor; ctx.font = "11px sans-serif";
          ctx.fillText("autostop", x + 3, area.y + 11);
          ctx.restore();
        };
      }
      graphs.push(new Dygraph(div, rows, opts));
    });
  }
  // The second autostop fired at, marked on the time charts (one run: overlays would mix
  // runs' seconds).
  function autostopSecond(d) {
    if (d.opts.xIsSpectrum || timeRuns.length !== 1 || !timeRuns[0].report.autostop) {
      return null;
    }
    return timeRuns[0].report.autostop.second;
  }
  var timePending = 0, capacityPending = 0;
  function maybeRendered() {
    if (timePending === 0 && capacityPending === 0) {
      document.body.setAttribute("data-rendered", "true");
    }
  }

  // ---- The capacity finder (docs/capacity.md): one chart and one step table per run. ----
  // usl: throughput X against concurrency N, the measured levels as points and the fitted
  // X(N) = λN / (1 + σ(N−1) + κN(N−1)) as a line, N* and X_max marked. find-max: achieved
  // against offered rps per step, coloured by the SLO verdict, the found rate marked.
  function uslX(u, n) {
    return u.lambda * n / (1 + u.sigma * (n - 1) + u.kappa * n * (n - 1));
  }
  function stepTable(id, head, rows) {
    var t = el("table", {"class": "summary steps", id: id}), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", {"class": h[2] || ""}, h[1])); });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var tr = el("tr", {"class": row.good === false ? "bad" : "good"});
      head.forEach(function (h) {
        var v = row[h[0]];
        tr.appendChild(el("td", {"data-k": h[0], "class": h[2] || ""},
                          v === undefined || v === null ? "" : String(v)));
      });
      t.appendChild(tr);
    });
    return t;
  }
  function markLines(marks) {
    // marks: [{x, y, label}] — a dashed vertical line at x and/or horizontal at y.
    return function (ctx, area, g) {
      ctx.save();
      ctx.strokeStyle = errColor; ctx.fillStyle = errColor; ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.2; ctx.font = "11px sans-serif";
      marks.forEach(function (m) {
        if (m.x !== undefined) {
          var x = g.toDomXCoord(m.x);
          ctx.beginPath(); ctx.moveTo(x, area.y); ctx.lineTo(x, area.y + area.h); ctx.stroke();
          ctx.fillText(m.label, x + 3, area.y + 11);
        } else {
          var y = g.toDomYCoord(m.y);
          ctx.beginPath(); ctx.moveTo(area.x, y); ctx.lineTo(area.x + area.w, y); ctx.stroke();
          ctx.fillText(m.label, area.x + 4, y - 3);
        }
      });
      ctx.restore();
    };
  }
  function capacityChart(box, id, title, rows, labels, extra) {
    box.appendChild(el("h3", {}, title));
    var div = el("div", {"class": "chart", id: id});
    var legend = el("div", {"class": "legend"});
    box.appendChild(div); box.appendChild(legend);
    ++capacityPending;
    var opts = {
      labels: labels, labelsDiv: legend, legend: "always", gridLineColor: gridColor,
      axisLineColor: axisColor, colors: kColors, includeZero: true, animatedZooms: false,
      connectSeparatedPoints: true, xRangePad: 12,
      drawCallback: function (g, initial) {
        if (initial) { --capacityPending; maybeRendered(); }
      },
      axes: {x: {axisLabelFormatter: fmtNum, valueFormatter: fmtNum},
             y: {axisLabelFormatter: fmtNum, valueFormatter: fmtNum}}
    };
    for (var k in extra) { opts[k] = extra[k]; }
    graphs0.push(new Dygraph(div, rows, opts));
    return div;
  }
  var graphs0 = [];
  function drawCapacity() {
    runs.forEach(function (r, ri) {
      var cap = r.capacity || {}, who = multi ? r.name + ": " : "";
      if (cap.usl && cap.usl.measured) {
        var u = cap.usl, pts = u.measured, verdicts = {};
        (u.levels || []).forEach(function (l) { verdicts[l.n] = l; });
        var box = el("div", {"class": "chart-box"});
        capBox.appendChild(box);
        var top = 0;
        pts.forEach(function (p) { top = Math.max(top, p.n); });
        if (u.n_max !== null) { top = Math.max(top, u.n_max); }
        top = Math.ceil(top * 1.15);
        var byN = new Map();
        for (var i = 0; i <= 120; ++i) {
          var n = 1 + (top - 1) * i / 120;
          byN.set(n, [n, null, uslX(u, n)]);
        }
        pts.forEach(function (p) { byN.set(p.n, [p.n, p.x, uslX(u, p.n)]); });
        var rows = Array.from(byN.values()).sort(function (a, b) { return a[0] - b[0]; });
        var marks = [];
        if (u.n_max !== null) {
          marks.push({x: u.n_max, label: "N* = " + u.n_max.toFixed(1)});
          marks.push({y: u.x_max, label: "X_max = " + fmtNum(u.x_max) + "/s"});
        } else if (u.x_ceiling !== null) {
          marks.push({y: u.x_ceiling, label: "ceiling λ/σ = " + fmtNum(u.x_ceiling) + "/s"});
        }
        var div = capacityChart(box, "chart-usl" + (ri ? "-" + ri : ""),
            who + "Throughput vs concurrency, with the fitted USL curve",
            rows, ["N", "measured X", "USL fit"], {
              xlabel: "instances N", ylabel: "successful replies/s",
              series: {"measured X": {strokeWidth: 0, drawPoints: true, pointSize: 4},
                       "USL fit": {strokeWidth: 1.5}},
              underlayCallback: markLines(marks)});
        div.setAttribute("data-points", String(pts.length));
        div.setAttribute("data-kind", "usl");
        box.appendChild(el("h3", {}, who + "Levels"));
        box.appendChild(stepTable("steps-usl" + (ri ? "-" + ri : ""), [
          ["n", "N"], ["x", "X /s"], ["fitted_x", "fitted X /s"], ["seconds", "seconds"],
          ["errors", "errors"], ["first_second", "from second"], ["verdict", "verdict", "tag"]],
          pts.map(function (p) {
            var v = verdicts[p.n], row = {};
            for (var k in p) { row[k] = p[k]; }
            row.good = v ? v.good : undefined;
            row.verdict = !v ? "" : !v.good ? "broke the SLO: " + v.why :
                v.why ? "met the SLO; " + v.why : "met the SLO";
            return row;
          })));
      }
      if (cap.find_max) {
        var f = cap.find_max, steps = f.steps.map(function (s, i) {
          var row = {step: i + 1};
          for (var k in s) { row[k] = s[k]; }
          row.verdict = s.good ? "met the SLO" : "failed: " + s.why;
          return row;
        });
        var box = el("div", {"class": "chart-box"});
        capBox.appendChild(box);
        var byRps = new Map();
        steps.forEach(function (s) {
          byRps.set(s.rps, [s.rps, s.good ? s.achieved_rps : null,
                            s.good ? null : s.achieved_rps, s.rps]);
        });
        var rows = Array.from(byRps.values()).sort(function (a, b) { return a[0] - b[0]; });
        var div = capacityChart(box, "chart-find-max" + (ri ? "-" + ri : ""),
            who + "find-max: achieved vs offered rate per step, by SLO verdict",
            rows, ["offered rps", "met the SLO", "failed the SLO", "achieved = offered"], {
              xlabel: "offered rps", ylabel: "achieved rps",
              series: {"met the SLO": {strokeWidth: 0, drawPoints: true, pointSize: 5,
                                       color: "#59a14f"},
                       "failed the SLO": {strokeWidth: 0, drawPoints: true, pointSize: 5,
                                          color: "#e15759"},
                       "achieved = offered": {strokeWidth: 1, strokePattern: [4, 4],
                                              color: axisColor}},
              underlayCallback: markLines(f.rps > 0 ?
                  [{x: f.rps, label: "found " + fmtNum(f.rps) + " rps"}] : [])});
        div.setAttribute("data-points", String(f.steps.length));
        div.setAttribute("data-kind", "find-max");
        box.appendChild(el("h3", {}, who + "Steps (in the order run; each is a run under " +
                           "steps/)"));
        box.appendChild(stepTable("steps-find-max" + (ri ? "-" + ri : ""), [
          ["step", "step"], ["rps", "offered rps"], ["achieved_rps", "achieved rps"],
          ["latency_p99_ms", "p99 ms"], ["hits", "hits"], ["errors", "errors"],
          ["verdict", "verdict", "tag"]], steps));
      }
    });
    if (capBox.firstChild) {
      capBox.insertBefore(el("h2", {}, "Capacity"), capBox.firstChild);
      capBox.className = "charts capacity";
    }
  }
  if (typeof Dygraph === "undefined") {
    fail("the chart library (dygraphs) was not embedded when incarne was built");
    return;
  }
  sel.addEventListener("change", draw);
  drawCapacity();
  draw();
})();
)js";

}  // namespace incarne
