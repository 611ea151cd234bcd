// The progress bar of a Facebook import: asks the status URL every two seconds and reloads
// the page (which then shows the report) when the import has finished.
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box) return;
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.total) {
          bar.max = data.total;
          bar.value = data.done;
          box.querySelector("[data-import-total]").textContent = data.total;
          box.querySelector("[data-import-done]").textContent = data.done;
        }
        if (data.status === box.dataset.doneStatus || data.status === box.dataset.failedStatus) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
