// Polls until Stripe's webhook has made the membership active, then shows the welcome.
(function () {
  "use strict";
  var box = document.getElementById("membership-status");
  if (!box || box.dataset.active === "true") return;
  var url = box.dataset.statusUrl;
  var tries = 0;
  function check() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.active) {
          window.location.reload();
        } else if (tries < 90) {
          window.setTimeout(check, 1000);
        }
      })
      .catch(function () {
        if (tries < 90) window.setTimeout(check, 3000);
      });
  }
  window.setTimeout(check, 1000);
})();
