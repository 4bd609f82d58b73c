// SAMP buttons of soxsvo pages (see templates/macros/samp.html).
//
// Uses samp.js (served at /vendor/samp.js, from the npm package sampjs). Nothing is sent
// before the user clicks a button; the first click registers with the user's hub through the
// SAMP Web Profile, whose own dialog asks the user to accept this page. Messages are
// notifications to every client subscribed to the mtype (SAMP 1.3: all values are strings).
(function () {
  "use strict";

  var connector = null;

  function status(text) {
    var node = document.querySelector(".samp-status");
    if (node) { node.textContent = text; }
  }

  function message(button) {
    var d = button.dataset;
    var mtype = d.sampMtype;
    if (mtype === "table.load.votable") {
      return new samp.Message(mtype, {"url": d.sampUrl, "name": d.sampName || "SOXS table"});
    }
    if (mtype === "spectrum.load.ssa-generic") {
      var meta = {
        "Access.Reference": d.sampUrl, "Access.Format": "application/fits",
        "ssa:Access.Reference": d.sampUrl, "ssa:Access.Format": "application/fits"
      };
      return new samp.Message(mtype, {"url": d.sampUrl, "meta": meta,
                                      "spectrum-id": d.sampId, "name": d.sampName});
    }
    if (mtype === "coord.pointAt.sky") {
      return new samp.Message(mtype, {"ra": String(d.sampRa), "dec": String(d.sampDec)});
    }
    throw new Error("unknown SAMP message " + mtype);
  }

  function send(button) {
    if (typeof samp === "undefined") {
      status("SAMP is not available: /vendor/samp.js did not load.");
      return;
    }
    if (connector === null) {
      connector = new samp.Connector("SOXS archive", {
        "samp.name": "SOXS archive",
        "samp.description.text": "The SOXS archive's web pages"
      });
      window.addEventListener("unload", function () { connector.unregister(); });
    }
    var msg = message(button);
    status("Contacting your SAMP hub…");
    connector.runWithConnection(function (connection) {
      connection.notifyAll([msg], function () {
        status("Sent " + msg["samp.mtype"] + ".");
      }, function (err) {
        status("Your SAMP hub refused the message: " + err);
      });
    }, function (err) {
      status("No SAMP hub accepted this page (start TOPCAT or Aladin, and accept the " +
             "connection when asked): " + err);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.samp");
    if (button) { send(button); }
  });
})();
