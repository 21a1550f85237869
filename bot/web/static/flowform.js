// The flow editor's form: live length and SMS-segment counts under each text, and only the inputs
// of the chosen kind and condition shown. The page works without it: every button posts the form.
(function () {
  "use strict";
  var form = document.getElementById("flow-form");
  if (!form || !window.JSON) { return; }
  var basic = {}, extension = {};
  JSON.parse(form.getAttribute("data-gsm-basic") || "[]").forEach(function (c) { basic[c] = true; });
  JSON.parse(form.getAttribute("data-gsm-extension") || "[]").forEach(function (c) { extension[c] = true; });

  // The same rule as channels/sms.py size_of: GSM-7 160 (153 a part), else UCS-2 70 (67 a part).
  function smsSize(text) {
    var chars = Array.from(text), gsm = chars.every(function (c) { return basic[c] || extension[c]; });
    var units = gsm ? chars.reduce(function (n, c) { return n + (extension[c] ? 2 : 1); }, 0) : text.length;
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    return { encoding: gsm ? "GSM-7" : "UCS-2", segments: units <= single ? 1 : Math.ceil(units / part) };
  }

  function count(area) {
    var out = document.getElementById(area.id + "-count");
    if (!out) { return; }
    var text = area.value.replace(/\r\n/g, "\n"), chars = Array.from(text).length;
    if (area.hasAttribute("data-sms")) {
      var size = smsSize(text);
      out.textContent = form.getAttribute("data-count-sms").replace("{chars}", chars)
        .replace("{encoding}", size.encoding).replace("{segments}", size.segments);
    } else {
      out.textContent = form.getAttribute("data-count-text").replace("{chars}", chars);
    }
  }

  function showKind(question) {
    var select = question.querySelector("[data-kind-select]");
    var kind = select ? select.value : "";
    question.setAttribute("data-kind", kind);
    question.querySelectorAll("div[data-kinds]").forEach(function (box) {
      box.hidden = box.getAttribute("data-kinds").split(" ").indexOf(kind) < 0;
    });
    question.querySelectorAll("optgroup[data-kinds]").forEach(function (group) {
      var other = group.getAttribute("data-kinds") !== kind;
      group.hidden = other;
      group.disabled = other;
    });
  }

  function showWhen(question) {
    var test = question.querySelector("[data-when-test]"), step = question.querySelector("[data-when-step]");
    if (!test || !step) { return; }
    question.querySelectorAll("[data-when-tests]").forEach(function (box) {
      var fits = box.getAttribute("data-when-tests").split(" ").indexOf(test.value) >= 0;
      var source = box.getAttribute("data-when-source");
      box.hidden = !fits || (source !== null && source !== step.value);
    });
    step.parentNode.hidden = test.value === "" || test.value === "keep";
  }

  form.querySelectorAll("li.question").forEach(function (question) {
    showKind(question);
    showWhen(question);
    question.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-kind-select")) { showKind(question); }
      if (event.target.hasAttribute("data-when-test") || event.target.hasAttribute("data-when-step")) {
        showWhen(question);
      }
    });
  });
  form.querySelectorAll("textarea[data-count]").forEach(function (area) {
    count(area);
    area.addEventListener("input", function () { count(area); });
  });
}());
