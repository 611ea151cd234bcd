/*
 * The live SMS counter of the broadcast compose form.
 *
 * `measureSms(text, tables)` is `wagtail_grantee_sms.encoding.measure` in JavaScript, on the
 * same tables (`encoding.export_tables()`, embedded in the page as JSON); shared test vectors
 * (tests/sms/data/encoding_vectors.json) check both. All words shown come from the template,
 * so they are translated with the rest of the admin.
 */
(function () {
  "use strict";

  function tableSets(tables) {
    if (!tables._basic) {
      tables._basic = new Set(tables.basic.filter(function (ch) { return ch !== ""; }));
      tables._extension = new Set(Object.values(tables.extension));
    }
    return tables;
  }

  function measureSms(text, tables) {
    tableSets(tables);
    var chars = Array.from(text); // code points, as Python iterates a str
    var ucs2 = [];
    chars.forEach(function (ch) {
      if (!tables._basic.has(ch) && !tables._extension.has(ch) && ucs2.indexOf(ch) < 0) {
        ucs2.push(ch);
      }
    });
    var encoding = ucs2.length ? "UCS-2" : "GSM-7";
    var widths = chars.map(function (ch) {
      if (encoding === "GSM-7") return tables._extension.has(ch) ? 2 : 1;
      return ch.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var units = widths.reduce(function (a, b) { return a + b; }, 0);
    var single = tables.single_capacity[encoding];
    var segments, remaining;
    if (units <= single) {
      segments = units ? 1 : 0;
      remaining = single - units;
    } else {
      var capacity = tables.segment_capacity[encoding];
      var filled = 0;
      segments = 1;
      widths.forEach(function (width) {
        // A character that does not fit whole starts the next segment.
        if (filled + width > capacity) { segments += 1; filled = 0; }
        filled += width;
      });
      remaining = capacity - filled;
    }
    return {
      encoding: encoding, units: units, characters: chars.length, segments: segments,
      remaining: remaining, ucs2Characters: ucs2,
    };
  }

  function toGsm7(text, tables) {
    return Array.from(text).map(function (ch) {
      return Object.prototype.hasOwnProperty.call(tables.lookalikes, ch) ? tables.lookalikes[ch] : ch;
    }).join("");
  }

  window.wagtailGranteeSms = { measureSms: measureSms, toGsm7: toGsm7 };

  // -- the compose form ------------------------------------------------------------------

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function codePoint(ch) {
    return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function visible(ch) {
    // Spaces and invisible characters are shown by their code, not as a blank.
    return /\S/.test(ch) && !/[\u200b\ufeff]/.test(ch) ? ch : codePoint(ch);
  }

  function initCompose(root) {
    var tables = JSON.parse(document.getElementById(root.dataset.tablesId).textContent);
    var words = JSON.parse(document.getElementById(root.dataset.wordsId).textContent);
    var form = root.closest("form");
    var counts = { total: 0, by_language: {} };
    var price = root.dataset.pricePerSegment ? Number(root.dataset.pricePerSegment) : null;
    var currency = root.dataset.currency || "";
    var remainingBudget = root.dataset.budgetRemaining ? Number(root.dataset.budgetRemaining) : null;
    var bodies = Array.from(form.querySelectorAll("textarea[data-sms-body]"));
    var defaultBody = bodies.find(function (el) { return el.dataset.smsBody === ""; });

    function showCounter(textarea) {
      var box = document.getElementById(textarea.id + "-counter");
      var m = measureSms(textarea.value, tables);
      textarea._measure = m;
      box.querySelector("[data-counter-text]").textContent = format(words.counter, {
        characters: m.characters, encoding: m.encoding, segments: m.segments, remaining: m.remaining,
      });
      box.dataset.encoding = m.encoding;
      box.dataset.segments = m.segments;
      var warning = box.querySelector("[data-ucs2]");
      var list = warning.querySelector("[data-ucs2-list]");
      list.textContent = "";
      m.ucs2Characters.forEach(function (ch) {
        var item = document.createElement("li");
        var mark = document.createElement("mark");
        mark.textContent = visible(ch);
        mark.title = codePoint(ch);
        item.appendChild(mark);
        var replacement = tables.lookalikes[ch];
        item.appendChild(document.createTextNode(
          replacement === undefined ? " " + words.no_replacement
            : " → " + (replacement === "" ? words.nothing : replacement)
        ));
        list.appendChild(item);
      });
      warning.hidden = !m.ucs2Characters.length;
      var fixable = m.ucs2Characters.some(function (ch) { return ch in tables.lookalikes; });
      warning.querySelector("[data-replace]").hidden = !fixable;
    }

    function bodyFor(language) {
      var own = bodies.find(function (el) { return el.dataset.smsBody === language; });
      return own && own.value.trim() ? own : defaultBody;
    }

    // The total is first computed here from the texts as typed; the server then answers with
    // its exact estimate (names filled in per contact), which replaces it if the texts have
    // not changed meanwhile.
    var textVersion = 0;
    var exact = null;
    var timer = null;

    function localTotal() {
      var total = 0;
      var covered = 0;
      Object.keys(counts.by_language).forEach(function (language) {
        var n = counts.by_language[language];
        covered += n;
        total += n * (bodyFor(language)._measure || { segments: 0 }).segments;
      });
      return total + (counts.total - covered) * (defaultBody._measure || { segments: 0 }).segments;
    }

    function showTotal() {
      var total = exact ? exact.segments : localTotal();
      var out = root.querySelector("[data-total]");
      out.dataset.segments = total;
      out.dataset.exact = exact ? "1" : "";
      var text = format(words.total, { recipients: counts.total, segments: total });
      if (price !== null) {
        var cost = exact && exact.cost !== null ? Number(exact.cost) : total * price;
        out.dataset.cost = cost.toFixed(2);
        // Written as the page's language writes amounts (Indonesian: 4.900,00).
        var shown = cost.toLocaleString(document.documentElement.lang || undefined, {
          minimumFractionDigits: 2, maximumFractionDigits: 2
        });
        text += " " + format(words.cost, { cost: shown, currency: currency });
        var over = root.querySelector("[data-over-budget]");
        if (over) over.hidden = !(remainingBudget !== null && cost > remainingBudget);
      }
      out.textContent = text;
    }

    function textsChanged() {
      textVersion += 1;
      exact = null;
      showTotal();
      clearTimeout(timer);
      timer = setTimeout(loadRecipients, 800);
    }

    function loadRecipients() {
      var params = new URLSearchParams();
      form.querySelectorAll("[name=groups]:checked").forEach(function (el) { params.append("groups", el.value); });
      form.querySelectorAll("[name=exclude_groups]:checked").forEach(function (el) { params.append("exclude_groups", el.value); });
      bodies.forEach(function (el) { if (el.value.trim()) params.append(el.name, el.value); });
      var version = textVersion;
      fetch(root.dataset.recipientsUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
        .then(function (data) {
          counts = data;
          if (version === textVersion) exact = data.estimate || null;
          var summary = root.querySelector("[data-summary]");
          summary.textContent = "";
          var line = document.createElement("p");
          line.textContent = format(words.included, { count: data.total });
          summary.appendChild(line);
          if (data.left_out.length) {
            var list = document.createElement("ul");
            data.left_out.forEach(function (row) {
              var item = document.createElement("li");
              item.textContent = format(words.left_out, { status: row[0], count: row[1] });
              list.appendChild(item);
            });
            summary.appendChild(list);
          }
          showTotal();
        })
        .catch(function () { /* the summary keeps its last value; the server checks again */ });
    }

    bodies.forEach(function (textarea) {
      var box = document.getElementById(textarea.id + "-counter");
      box.querySelector("[data-replace]").addEventListener("click", function () {
        textarea.value = toGsm7(textarea.value, tables);
        showCounter(textarea);
        textsChanged();
        textarea.focus();
      });
      textarea.addEventListener("input", function () { showCounter(textarea); textsChanged(); });
      showCounter(textarea);
    });
    form.querySelectorAll("[name=groups], [name=exclude_groups]").forEach(function (el) {
      el.addEventListener("change", loadRecipients);
    });
    // One draft per form: a second click while the first is on its way does nothing.
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting) { event.preventDefault(); return; }
      form.dataset.submitting = "1";
      setTimeout(function () { delete form.dataset.submitting; }, 5000);
    });
    loadRecipients();
  }

  function initProgress(root) {
    var url = root.dataset.progressUrl;
    function update() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
        .then(function (data) {
          root.querySelector("[data-percent]").textContent = data.percent_done + "%";
          var bar = root.querySelector("[data-bar]");
          bar.style.width = data.percent_done + "%";
          bar.parentElement.setAttribute("aria-valuenow", data.percent_done);
          root.dataset.percentDone = data.percent_done;
          root.dataset.polled = Number(root.dataset.polled || 0) + 1;
          Object.keys(data).forEach(function (key) {
            var cell = root.querySelector('[data-count="' + key + '"]');
            if (cell) cell.textContent = data[key];
          });
          var status = document.querySelector("[data-status]");  // in the facts, above
          if (status && data.status_label) status.textContent = data.status_label;
          // Every 2 seconds while sending; a scheduled or paused broadcast changes slowly.
          if (!data.finished) setTimeout(update, data.status === "sending" ? 2000 : 15000);
        })
        .catch(function () { setTimeout(update, 10000); });
    }
    update();
  }

  function start() {
    document.querySelectorAll("[data-sms-compose]").forEach(initCompose);
    document.querySelectorAll("[data-sms-progress]").forEach(initProgress);
    // One confirmation per click; the server ignores a second one anyway.
    document.querySelectorAll("[data-confirm-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) event.preventDefault();
        form.dataset.sent = "1";
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
