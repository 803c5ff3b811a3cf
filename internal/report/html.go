package report

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"time"

	"github.com/gatherdev/gather/internal/summary"
)

//go:embed assets/uPlot.iife.min.js
var uplotJS string

//go:embed assets/uPlot.min.css
var uplotCSS string

// page is the data the HTML page draws.
type page struct {
	Title     string
	Generated string
	Report    Report
	Data      template.JS // the charts' data, as a JavaScript object literal
	UPlotJS   template.JS
	UPlotCSS  template.CSS
}

// WriteHTML writes the report as one self-contained page: the figures, the
// hosts table, and charts of latency over time, requests per second by
// outcome, and the latency histogram, drawn by uPlot (embedded; the page
// loads nothing from the network). The top hosts are those of Report(top).
func (c *Collector) WriteHTML(w io.Writer, title string, top int) error {
	type histBar struct {
		LoMS float64 `json:"lo_ms"`
		HiMS float64 `json:"hi_ms"`
		N    uint64  `json:"n"`
	}
	var hist []histBar
	c.latency.Buckets(func(lo, hi time.Duration, n uint64) bool {
		hist = append(hist, histBar{ms(lo), ms(hi), n})
		return true
	})
	data, err := json.Marshal(struct {
		Series    Series    `json:"series"`
		Histogram []histBar `json:"histogram"`
		Outcomes  []string  `json:"outcomes"`
	}{c.timeline.series(), hist, outcomeNames[:]})
	if err != nil {
		return err
	}
	return pageTemplate.Execute(w, page{
		Title: title, Generated: time.Now().UTC().Format(time.RFC3339), Report: c.Report(top),
		Data: template.JS(data), UPlotJS: template.JS(uplotJS), UPlotCSS: template.CSS(uplotCSS),
	})
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"bytes": summary.FormatBytes,
	"pct": func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.UPlotCSS}}</style>
<style>
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #ffffff; --muted: #6e6e73; --line: #d2d2d7; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --bg: #161617; --muted: #a1a1a6; --line: #424245; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 24px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.facts { color: var(--muted); margin-bottom: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
.uplot, .u-legend { color: var(--fg); } .chart { margin-bottom: 8px; }
.hint { color: var(--muted); font-size: 12px; }
</style></head>
<body>
<h1>{{.Title}}</h1>
<div class="facts">{{.Report.Total}} requests{{with .Report.Started}}, from {{.Format "2006-01-02 15:04:05 UTC"}}{{end}}, over {{printf "%.2f" .Report.SpanSecs}} s · report made {{.Generated}}</div>
<div class="cards">
<div class="card">ok<b>{{.Report.OK}}</b>{{printf "%.1f" (pct .Report.OK .Report.Total)}}%</div>
<div class="card">failed<b>{{.Report.Failed}}</b>{{range $k, $n := .Report.ByKind}}{{$k}} {{$n}} {{end}}</div>
<div class="card">requests/s<b>{{printf "%.1f" .Report.PerSecond}}</b>over the run's span</div>
<div class="card">latency p50 / p95<b>{{printf "%.1f" .Report.LatencyMS.P50}} / {{printf "%.1f" .Report.LatencyMS.P95}} ms</b>p99 {{printf "%.1f" .Report.LatencyMS.P99}} · max {{printf "%.1f" .Report.LatencyMS.Max}}</div>
<div class="card">retries<b>{{.Report.Retries}}</b>{{bytes .Report.Bytes}} received</div>
</div>
<h2>Latency over time</h2><div class="hint">max, mean and min of each time bucket; drag to zoom, double-click to reset</div><div id="latency" class="chart"></div>
<h2>Requests per second, by outcome</h2><div id="rate" class="chart"></div>
<h2>Latency histogram</h2><div id="histogram" class="chart"></div>
<h2>Hosts</h2>
<table><tr><th>host</th><th>requests</th><th>ok %</th><th>p95 ms</th><th>429s</th><th>timeouts</th></tr>
{{range .Report.Hosts}}<tr><td>{{.Host}}</td><td>{{.Requests}}</td><td>{{printf "%.1f" .OKPct}}</td><td>{{printf "%.1f" .P95MS}}</td><td>{{.TooMany}}</td><td>{{.Timeouts}}</td></tr>
{{end}}</table>
<script>{{.UPlotJS}}</script>
<script>
"use strict";
const data = {{.Data}};
const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
const axis = { stroke: dark ? "#a1a1a6" : "#6e6e73", grid: { stroke: dark ? "#333" : "#eee" }, size: 64 };
const width = () => Math.min(document.body.clientWidth, 1100);
let drawn = 0;
function chart(id, opts, d) { new uPlot(Object.assign({ width: width(), height: 260, axes: [axis, axis] }, opts), d, document.getElementById(id)); drawn++; }
const s = data.series;
chart("latency", { series: [{}, { label: "max ms", stroke: "#e5484d" }, { label: "mean ms", stroke: "#0a84ff" }, { label: "min ms", stroke: "#30a46c" }] },
  [s.x || [], s.latency_max_ms || [], s.latency_avg_ms || [], s.latency_min_ms || []]);
const colors = { ok: "#30a46c", http: "#f5a524", timeout: "#e5484d", connection: "#8e4ec6", other: "#6e6e73" };
const stacked = [], acc = (s.x || []).map(() => 0);
for (const name of data.outcomes) { const v = (s.per_second[name] || []).map((y, i) => (acc[i] += y)); stacked.push({ name, v }); }
chart("rate", { series: [{}].concat(stacked.slice().reverse().map(o => ({ label: o.name + " (stacked)", stroke: colors[o.name], fill: colors[o.name] + "55" }))) },
  [s.x || []].concat(stacked.slice().reverse().map(o => o.v)));
const h = data.histogram || [];
chart("histogram", { scales: { x: { time: false, distr: 3 } }, axes: [Object.assign({ label: "ms (log)" }, axis), axis],
  series: [{}, { label: "requests", stroke: "#0a84ff", fill: "#0a84ff55", paths: uPlot.paths.bars({ size: [0.9, 40] }) }] },
  [h.map(b => Math.max(b.lo_ms, 0.001)), h.map(b => b.n)]);
document.body.dataset.drawn = String(drawn);
</script>
</body></html>
`))
