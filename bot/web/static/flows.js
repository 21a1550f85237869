// The flow editor: checks the YAML as you type (debounced) and lists the problems "line N: message".
// The page works without this script: its Check, Preview and Save buttons post the whole text.
(function () {
  "use strict";
  var area = document.getElementById("source");
  var box = document.getElementById("flow-problems");
  if (!area || !box || !window.fetch || !window.JSON) { return; }
  var timer = null;
  var sent = 0;

  function show(problems) {
    box.textContent = "";
    box.setAttribute("data-state", problems.length ? "problems" : "ok");
    if (!problems.length) {
      var ok = document.createElement("p");
      ok.className = "ok";
      ok.textContent = area.getAttribute("data-ok");
      box.appendChild(ok);
      return;
    }
    var list = document.createElement("ul");
    list.className = "error problems";
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.setAttribute("data-line", String(p.line));
      item.textContent = area.getAttribute("data-line").replace("{line}", String(p.line)) + ": " + (p.vi || p.message);
      if (p.vi && p.vi !== p.message) {
        var en = document.createElement("span");
        en.lang = "en";
        en.textContent = " / " + p.message;
        item.appendChild(en);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function check() {
    var mine = ++sent;
    var headers = { "Content-Type": "application/json" };
    headers[area.getAttribute("data-csrf-header")] = area.getAttribute("data-csrf");
    box.setAttribute("data-state", "checking");
    fetch(area.getAttribute("data-check-url"), {
      method: "POST", credentials: "same-origin", headers: headers,
      body: JSON.stringify({ source: area.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && mine === sent) { show(data.problems || []); }
    }).catch(function () { /* offline: the Check button still works */ });
  }

  area.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 350);
  });

  // The simulator chats with the text as it is in the editor now.
  var sim = document.getElementById("sim-form");
  if (sim) {
    sim.addEventListener("submit", function () { sim.elements.source.value = area.value; });
  }
}());
