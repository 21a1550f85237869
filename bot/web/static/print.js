// The public results page's print button: shown and wired only with JavaScript (no inline handler: the CSP).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
