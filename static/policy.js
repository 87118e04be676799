// Live feedback for the password rules listed beside the new-password field. The server
// checks every rule again on submit; this only helps while typing.
(function () {
  "use strict";
  var list = document.getElementById("policy-rules");
  var input = document.getElementById("new_password");
  var confirm = document.getElementById("confirm");
  var confirmStatus = document.getElementById("confirm-status");
  if (!list || !input) { return; }
  var login = (list.getAttribute("data-login") || "").toLowerCase();

  var checks = {
    too_short: function (p, n) { return Array.from(p).length >= n; },
    missing_upper: function (p) { return /\p{Lu}/u.test(p); },
    missing_lower: function (p) { return /\p{Ll}/u.test(p); },
    missing_digit: function (p) { return /\p{N}/u.test(p); },
    missing_symbol: function (p) { return /[^\p{L}\p{N}\s\p{Cc}]/u.test(p); },
    contains_login_name: function (p) { return login === "" || p.toLowerCase().indexOf(login) === -1; }
  };

  function update() {
    var value = input.value.normalize("NFKC");
    list.querySelectorAll("li[data-rule]").forEach(function (item) {
      var check = checks[item.getAttribute("data-rule")];
      if (!check) { return; } // history and common-password rules are checked by the server
      var met = value.length > 0 && check(value, Number(item.getAttribute("data-value")));
      item.classList.toggle("met", met);
      item.classList.remove("broken");
      item.setAttribute("aria-label", item.textContent + (met ? ": met" : ": not yet met"));
    });
    if (confirm && confirmStatus) {
      confirmStatus.textContent = confirm.value === "" ? "" :
        (confirm.value === input.value ? "The passwords match." : "The passwords do not match yet.");
    }
  }

  input.addEventListener("input", update);
  if (confirm) { confirm.addEventListener("input", update); }
})();
