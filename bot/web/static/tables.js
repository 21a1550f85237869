// Wide tables of the staff reports page (no inline script: the CSP). Each table scrolls inside its own box;
// the hint above it ("drag sideways") stays only while the box is narrower than its table. The folded
// tables open and close together, and all open for printing.
(function () {
  function hints() {
    document.querySelectorAll("[data-scroll-hint]").forEach(function (hint) {
      var box = document.getElementById(hint.getAttribute("data-scroll-hint"));
      if (box && box.clientWidth) { hint.hidden = box.scrollWidth <= box.clientWidth + 1; }
    });
  }
  var blocks = document.querySelectorAll("details.sr-block");
  document.querySelectorAll("[data-details]").forEach(function (button) {
    button.parentElement.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-details") === "open";
      blocks.forEach(function (d) { d.open = open; });
      hints();
    });
  });
  blocks.forEach(function (d) { d.addEventListener("toggle", hints); });
  window.addEventListener("resize", hints);
  window.addEventListener("beforeprint", function () { blocks.forEach(function (d) { d.open = true; }); });
  hints();
})();
