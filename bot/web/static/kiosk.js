// Optional: with JavaScript the keypad edits the code in place (no page load per key); without it
// each key is a form post and the server types it.
document.querySelectorAll(".keypad button[name=key]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    var input = document.getElementById("code");
    event.preventDefault();
    if (button.value === "DEL") input.value = input.value.slice(0, -1);
    else if (button.value === "CLR") input.value = "";
    else input.value = (input.value + button.value).slice(0, input.maxLength);
    input.focus();
  });
});
