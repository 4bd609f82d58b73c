// The night page: altitude curves of the planned targets, the moon, twilights, each block drawn
// thick on its target's curve (coloured by programme, dashed when not yet observed), and now.
// Plotly from this server (/vendor); the data are in the page (#night-data).
(function () {
  "use strict";
  var node = document.getElementById("night-data");
  if (!node || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var chart = data.chart;
  var colours = { GTO: "#1f77b4", ESO: "#ff7f0e", calibration: "#7f7f7f" };
  var traces = chart.curves.map(function (c) {
    return { x: chart.times, y: c.altitude, mode: "lines", name: c.target,
             line: { width: 1, color: colours[c.programme] }, opacity: 0.35,
             hoverinfo: "name+y", showlegend: false };
  });
  traces.push({ x: chart.times, y: chart.moon.altitude, mode: "lines", name: "moon",
                line: { color: "#bcbd22", dash: "dot" } });
  chart.blocks.forEach(function (b, n) {
    var curve = chart.curves[n];
    var start = Date.parse(b.start), end = Date.parse(b.end);
    var x = [], y = [];
    chart.times.forEach(function (t, i) {
      var ms = Date.parse(t);
      if (ms >= start && ms <= end) { x.push(t); y.push(curve.altitude[i]); }
    });
    if (x.length < 2) {  // a block shorter than the sampling: its ends from the airmasses
      x = [b.start, b.end];
      y = [b.airmass_start, b.airmass_end].map(function (a) { return Math.asin(1 / a) * 180 / Math.PI; });
    }
    traces.push({ x: x, y: y, mode: "lines", name: b.target + " (" + b.status + ")",
                  legendgroup: b.programme, showlegend: false,
                  line: { width: 6, color: colours[b.programme],
                          dash: b.status === "scheduled" ? "solid" : "dot" },
                  text: b.reason, hoverinfo: "name+text" });
  });
  var shapes = [];
  [["civil", 0.06], ["nautical", 0.12], ["astronomical", 0.18]].forEach(function (pair) {
    var t = chart.twilights[pair[0]];
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0: chart.sunset, x1: t[0],
                  y0: 0, y1: 1, fillcolor: "#000", opacity: pair[1], line: { width: 0 } });
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0: t[1], x1: chart.sunrise,
                  y0: 0, y1: 1, fillcolor: "#000", opacity: pair[1], line: { width: 0 } });
  });
  shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: chart.min_altitude,
                y1: chart.min_altitude, line: { color: "#d62728", dash: "dash", width: 1 } });
  var now = Date.parse(data.now);
  if (now >= Date.parse(chart.sunset) && now <= Date.parse(chart.sunrise)) {
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: data.now, x1: data.now,
                  y0: 0, y1: 1, line: { color: "#d62728", width: 2 }, name: "now" });
  }
  Plotly.newPlot("timeline", traces, {
    xaxis: { title: "UTC", type: "date", range: [chart.sunset, chart.sunrise] },
    yaxis: { title: "altitude (deg)", range: [0, 90] },
    shapes: shapes, margin: { t: 20 }, height: 420
  }, { displaylogo: false, responsive: true }).then(function () {
    document.getElementById("timeline").setAttribute("data-rendered", String(chart.blocks.length));
  });
}());
