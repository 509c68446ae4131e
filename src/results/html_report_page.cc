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
  runs.forEach(function (r) {
    var h = el("div", {"class": "header"}), rep = r.report, hd = r.header;
    function item(k, v) {
      if (v === undefined || v === "") { return; }
      var s = el("span", {}, k + " "); s.appendChild(el("b", {}, String(v))); h.appendChild(s);
    }
    if (multi) { item("run", r.name); }
    item("dir", hd.dir);
    item("target", hd.target); item("nib", hd.nib); item("model", hd.model);
    item("schedule", hd.schedule);
    if (hd.model === "instances") { item("instances", hd.instances); }
    item("duration", rep.duration_s + " s");
    item("seconds", rep.seconds);
    item("shards", rep.shards); item("workers", rep.workers);
    item("start", rep.hits > 0 ? new Date(rep.start_unix * 1000).toISOString() : "");
    item("raw records", rep.hits_kept.mode + ", " + rep.hits_kept.written + " in hits");
    item("report by incarne", D.incarne);
    app.appendChild(h);
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
  app.appendChild(el("h2", {}, "Summary (latencies in µs; as incarne report --json)"));
  var table = el("table", {"class": "summary", id: "summary"}), tr = el("tr");
  if (multi) { tr.appendChild(el("th", {"class": "tag"}, "run")); }
  tr.appendChild(el("th", {"class": "tag"}, "tag"));
  cols.forEach(function (c) { tr.appendChild(el("th", {}, c[1])); });
  tr.appendChild(el("th", {"class": "tag"}, "proto codes"));
  tr.appendChild(el("th", {"class": "tag"}, "net codes"));
  table.appendChild(tr);
  runs.forEach(function (r) {
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

  // Tag selector: "" = all tags (the per-second overall series).
  var tags = [];
  runs.forEach(function (r) {
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
    runs.forEach(function (r) {
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
        runs.forEach(function (r) {
          ["p50", "p90", "p99", "max"].forEach(function (p) {
            c.push({set: setOf(r, tag), label: prefix(r) + p, value: ms(q[0] + "_" + p)});
          });
        });
        def(q[0], q[1], "ms", c);
      });
    c = [];
    runs.forEach(function (r) {
      c.push({set: setOf(r, tag), label: prefix(r) + "lag p99", value: ms("lag_p99")});
    });
    def("lag", "Lag p99 (start − planned: how late the generator sent)", "ms", c);
    c = [];
    runs.forEach(function (r) {
      c.push({set: r.overall, label: prefix(r) + "in flight max", value: function (s, i) {
        return s.inflight[i];
      }});
    });
    def("inflight", "Hits in flight (max per second, all tags)", "hits", c);
    [["proto", "Proto codes per second"], ["net", "Net codes per second"]].forEach(function (q) {
      var c = [];
      runs.forEach(function (r) {
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
    runs.forEach(function (r) {
      var s = setOf(r, tag);
      c.push({set: s, label: prefix(r) + "out", value: perSec("bytes_out")});
      c.push({set: s, label: prefix(r) + "in", value: perSec("bytes_in")});
    });
    def("bytes", "Bytes per second", "bytes/s", c);
    c = [];
    runs.forEach(function (r) {
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
    var bins = runs.map(function (r) { var s = setOf(r, tag); return s ? s.bin : 1; });
    binNote.textContent = Math.max.apply(null, bins) > 1 ?
        "  (per-tag series are merged into " + Math.max.apply(null, bins) +
        " s bins; values per second)" : "";
    var defs = chartDefs(tag), pending = defs.length;
    function drawn() {
      if (--pending === 0) { document.body.setAttribute("data-rendered", "true"); }
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
      graphs.push(new Dygraph(div, rows, opts));
    });
  }
  if (typeof Dygraph === "undefined") {
    fail("the chart library (dygraphs) was not embedded when incarne was built");
    return;
  }
  sel.addEventListener("change", draw);
  draw();
})();
)js";

}  // namespace incarne
