// The Marshall's pages: select-all on list pages; light curve, spectra and sky on object pages.
// Everything comes from this server (/vendor, /api); Aladin Lite loads only on request.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=transient_id]").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
  var dataNode = document.getElementById("plot-data");
  if (!dataNode || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(dataNode.textContent);

  function lightCurve() {
    var byBand = {};
    data.photometry.forEach(function (p) {
      if (p.mag === null) { return; }
      // Negative differences (fainter than the reference) are detections too: their own
      // trace per band, open markers, so that they are seen and not taken for brightenings.
      var key = p.band + (p.upper_limit ? " limit" : p.negative ? " negative" : "");
      (byBand[key] = byBand[key] || { band: p.band, limit: p.upper_limit, negative: p.negative, x: [], y: [], err: [], text: [] });
      var b = byBand[key];
      b.x.push(p.mjd); b.y.push(p.mag); b.err.push(p.mag_err || 0);
      b.text.push(p.survey + " " + p.band + (p.upper_limit ? " upper limit" : p.negative ? " negative difference" : ""));
    });
    var traces = Object.keys(byBand).sort().map(function (key) {
      var b = byBand[key];
      var colour = data.colours[b.band] || "#1f77b4";
      return {
        x: b.x, y: b.y, text: b.text, name: key, type: "scatter", mode: "markers",
        marker: { color: colour, symbol: b.limit ? "triangle-down-open" : b.negative ? "circle-open" : "circle", size: b.limit ? 7 : 6 },
        error_y: b.limit ? undefined : { type: "data", array: b.err, visible: true, color: colour, thickness: 1 },
        hovertemplate: "%{text}<br>MJD %{x:.3f}<br>" + (b.limit ? "&gt; " : "") + "%{y:.2f} mag<extra></extra>"
      };
    });
    Plotly.newPlot("lightcurve", traces, {
      margin: { t: 10, r: 10 }, height: 320,
      xaxis: { title: { text: "MJD" } }, yaxis: { title: { text: "AB mag" }, autorange: "reversed" },
      legend: { orientation: "h" }
    }, { responsive: true, displaylogo: false });
  }

  function spectra() {
    if (!data.spectra.length || !document.getElementById("spectra")) { return; }
    Promise.all(data.spectra.map(function (dpId) {
      return fetch("/api/spectra/" + encodeURIComponent(dpId), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; });
    })).then(function (answers) {
      var traces = [];
      answers.forEach(function (s, i) {
        if (!s) { return; }
        // SVG, not "scattergl": Plotly's WebGL traces compile code at run time (regl calls
        // Function()), which the Content-Security-Policy forbids; at most 3000 binned points
        // per spectrum draw quickly as SVG lines.
        traces.push({ x: s.wave_nm, y: s.flux, type: "scatter", mode: "lines", name: data.spectra[i] + " " + s.arm,
          line: { width: 1 }, hovertemplate: "%{x:.2f} nm<br>%{y:.3e}<extra>" + s.arm + "</extra>" });
      });
      var unit = answers.filter(Boolean).map(function (s) { return s.flux_unit; })[0] || "";
      Plotly.newPlot("spectra", traces, {
        margin: { t: 10, r: 10 }, height: 320, xaxis: { title: { text: "wavelength (nm)" } },
        yaxis: { title: { text: "flux (" + unit + ")" } }, legend: { orientation: "h" }
      }, { responsive: true, displaylogo: false }).then(function () {
        document.getElementById("spectra").setAttribute("data-rendered", String(traces.length));
      });
    });
  }

  function sky() {
    // This archive's own HiPS: acquisition-camera images and the catalogue of spectra and
    // transients (/hips); no survey is requested from outside servers.
    var div = document.getElementById("aladin");
    var base = window.location.origin + "/hips/";
    // The npm build of Aladin Lite is an ES module whose default export is the A namespace.
    import("/vendor/aladin.js").then(function (module) {
      var A = module.default;
      return A.init.then(function () {
        var aladin = A.aladin("#aladin", {
          target: div.dataset.ra + " " + div.dataset.dec, fov: 0.1, showReticle: true,
          survey: base + "image", showLayersControl: false, showFullscreenControl: false,
          log: false  // Aladin Lite reports each start-up to CDS unless told not to
        });
        aladin.addCatalog(A.catalogHiPS(base + "catalogue", { name: "SOXS", sourceSize: 10 }));
        div.setAttribute("data-ready", "1");
      });
    }).catch(function (error) {
      div.textContent = "The sky view could not start: " + error;
    });
  }

  lightCurve();
  spectra();
  var button = document.getElementById("show-sky");
  if (button) {
    button.addEventListener("click", function () { button.disabled = true; sky(); });
  }
})();
