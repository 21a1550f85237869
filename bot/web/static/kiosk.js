// Optional: with JavaScript the keypad edits the code in place; without it each key is a form post.
document.querySelectorAll(".keypad button[name=key]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    var input = document.getElementById("code");
    event.preventDefault();
    if (button.value === "DEL") input.value = input.value.slice(0, -1);
    else if (button.value === "CLR") input.value = "";
    else input.value += button.value;
    input.focus();
  });
});
