// IGNY8 dashboard, site knowledge: the inventory (sitemap and CSV import, refresh, the list), the
// held-back ideas with Release, the knowledge settings and the brand voice. Builds on dashboard.js.
(() => {
  "use strict";
  const g = window.igny8;
  if (!g || document.body.dataset.page !== "knowledge") return;
  const { api, el, notify, formatTime, showFieldErrors, pager, $, $$, siteId, canRun } = g;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const PAGE_SIZE = 25;

  // Patterns are one a line (a glob may hold a comma); terms are comma- or line-separated.
  const splitters = { lines: /\n/, terms: /[\n,]/ };
  const toList = (text, kind) => text.split(splitters[kind]).map((part) => part.trim()).filter(Boolean);
  const fromList = (list, kind) => (list || []).join(kind === "lines" ? "\n" : ", ");

  // A list field's errors come per item ({"0": ["…"]}); show them as one line per field.
  function flatErrors(errors) {
    const flat = {};
    for (const [name, messages] of Object.entries(errors || {})) {
      flat[name] = Array.isArray(messages) || typeof messages !== "object" ? [].concat(messages)
        : Object.entries(messages).map(([index, text]) => `Item ${Number(index) + 1}: ${[].concat(text).join(" ")}`);
    }
    return flat;
  }

  function formValues(form) {
    const values = {};
    for (const input of $$("input[name], select[name], textarea[name]", form)) {
      if (input.type === "file") continue;
      if (input.dataset.list) values[input.name] = toList(input.value, input.dataset.list);
      else if (input.type === "number") {
        values[input.name] = input.value === "" ? (input.dataset.optional ? null : "") : Number(input.value);
      } else values[input.name] = input.value;
    }
    return values;
  }

  function fillForm(form, data) {
    for (const input of $$("input[name], select[name], textarea[name]", form)) {
      if (input.type === "file" || !(input.name in data)) continue;
      const value = data[input.name];
      input.value = input.dataset.list ? fromList(value, input.dataset.list) : value ?? "";
    }
  }

  // A form saved through the API: per-field errors inline, the envelope's message above.
  function apiForm(form, { save, saved, what }) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const answer = await save(formValues(form));
        showFieldErrors(form, {});
        saved(answer.data);
      } catch (error) {
        showFieldErrors(form, flatErrors(error.errors));
        notify(`${what} not saved: ${error.message}${error.code ? ` (${error.code})` : ""}`, "error");
        $('[aria-invalid="true"]', form)?.focus();
      }
    });
  }

  // --- the inventory ------------------------------------------------------------------------

  const filters = $("#inventory-filters");
  let inventoryPage = 1;
  let inventoryRead = 0; // the latest read: an earlier one answering later must not overwrite it

  const statusCell = (page) => page.http_status === null
    ? el("span", { class: "hint" }, "—")
    : el("span", { class: `http http-${page.http_status < 400 ? "ok" : "broken"}` }, page.http_status);

  async function loadInventory(page = inventoryPage) {
    inventoryPage = page;
    const params = new URLSearchParams({ site_id: siteId, page, page_size: PAGE_SIZE, ordering: "url" });
    for (const name of ["search", "source"]) {
      if (filters.elements[name].value) params.set(name, filters.elements[name].value);
    }
    try {
      const read = ++inventoryRead;
      const answer = await api(`/planner/inventory/?${params}`);
      if (read !== inventoryRead) return;
      $("#inventory-rows").replaceChildren(...(answer.results.length ? answer.results.map((p) => el("tr", { "data-page-id": p.id },
        el("td", {}, el("div", { class: "page-title" }, p.title || "(no title)"),
          /^https?:\/\//i.test(p.url) ? el("a", { href: p.url, rel: "noopener noreferrer", target: "_blank", class: "page-url" }, p.url) : p.url),
        el("td", {}, p.source), el("td", {}, statusCell(p)), el("td", { class: "wide-only" }, formatTime(p.checked_at)),
      )) : [el("tr", {}, el("td", { colspan: 4 }, "No page here yet. Import a sitemap or a CSV file."))]));
      $("#inventory-count").textContent = `${plural(answer.count, "page")} in the inventory${params.has("search") || params.has("source") ? " (filtered)" : ""}`;
      pager($("#inventory-pager"), { page, count: answer.count, pageSize: PAGE_SIZE, onPage: loadInventory, noun: "pages" });
      $("#inventory-rows").dataset.loaded = "true";
    } catch (error) {
      notify(error.message, "error");
    }
  }

  function showImportResult(data, label) {
    const errors = data.errors || [];
    $("#inventory-result").replaceChildren(
      el("p", { class: "message success", "data-source": data.source },
        `${label}: ${data.created} new, ${data.updated} updated, ${data.removed} removed, ${data.skipped} skipped.`),
      errors.length ? el("div", { class: "table-wrap" }, el("table", { class: "import-errors" },
        el("caption", {}, "Lines not imported"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Line"), el("th", { scope: "col" }, "Problem"))),
        el("tbody", {}, errors.map((e) => el("tr", {}, el("td", {}, e.line), el("td", {}, e.error)))))) : "",
    );
  }

  function showImportError(error, label) {
    $("#inventory-result").replaceChildren(el("p", { class: "message error", "data-code": error.code || "" },
      `${label} not imported: ${error.message}${error.code ? ` (${error.code})` : ""}`));
  }

  function inventory() {
    const sitemapForm = $("#sitemap-form");
    sitemapForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("button[type=submit]", sitemapForm);
      button.disabled = true;
      $("#inventory-result").replaceChildren(el("p", {}, "Reading the sitemap…"));
      try {
        const { data } = await api(`/planner/inventory/import/?site_id=${siteId}`, { method: "POST", json: formValues(sitemapForm) });
        showFieldErrors(sitemapForm, {});
        showImportResult(data, "Sitemap imported");
        loadInventory(1);
        loadKnowledge();
      } catch (error) {
        showFieldErrors(sitemapForm, flatErrors(error.errors));
        showImportError(error, "Sitemap");
      }
      button.disabled = !canRun;
    });
    $("#inventory-csv-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("#inventory-file").files[0];
      if (!file) return notify("Choose a CSV file first.", "error");
      const form = new FormData();
      form.append("file", file);
      try {
        const { data } = await api(`/planner/inventory/import/?site_id=${siteId}`, { method: "POST", form });
        showImportResult(data, `${file.name} imported`);
        loadInventory(1);
      } catch (error) {
        showImportError(error, file.name);
      }
    });
    $("#refresh-inventory").addEventListener("click", async () => {
      try {
        await api(`/planner/inventory/refresh/?site_id=${siteId}`, { method: "POST" });
        notify("Refresh queued: the pages are read in the background; reload to see what changed.", "success");
      } catch (error) {
        notify(`Refresh not started: ${error.message}`, "error");
      }
    });
    filters.addEventListener("submit", (event) => { event.preventDefault(); loadInventory(1); });
    filters.elements.source.addEventListener("change", () => loadInventory(1));
    loadInventory(1);
  }

  // --- held-back ideas ----------------------------------------------------------------------

  let ideasPage = 1;

  async function loadIdeas(page = ideasPage) {
    ideasPage = page;
    try {
      const answer = await api(`/planner/ideas/?site_id=${siteId}&status=duplicate&ordering=-id&page=${page}&page_size=${PAGE_SIZE}`);
      $("#ideas-select-all").checked = false;
      $("#idea-rows").replaceChildren(...(answer.results.length ? answer.results.map((idea) => {
        const match = idea.duplicate_of || {};
        const target = /^https?:\/\//i.test(match.url || "") ? el("a", { href: match.url, rel: "noopener noreferrer", target: "_blank" }, match.url) : match.url || "—";
        return el("tr", { "data-idea-id": idea.id },
          el("td", {}, el("input", { type: "checkbox", name: "ids", value: idea.id, id: `idea-${idea.id}`, disabled: !canRun })),
          el("td", {}, el("label", { for: `idea-${idea.id}` }, idea.idea_title)),
          el("td", { class: "duplicate-of" }, target),
          el("td", { class: "score" }, match.score === null || match.score === undefined ? "—" : match.score.toFixed(2)));
      }) : [el("tr", {}, el("td", { colspan: 4 }, "No idea is held back."))]));
      pager($("#ideas-pager"), { page, count: answer.count, pageSize: PAGE_SIZE, onPage: loadIdeas, noun: "held-back ideas" });
      $("#idea-rows").dataset.loaded = "true";
    } catch (error) {
      notify(error.message, "error");
    }
  }

  function ideas() {
    $("#ideas-select-all").addEventListener("change", (event) => {
      for (const box of $$('#idea-rows input[name="ids"]:not(:disabled)')) box.checked = event.target.checked;
    });
    $("#ideas-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const ids = $$('#idea-rows input[name="ids"]:checked').map((box) => Number(box.value));
      if (!ids.length) return notify("Select at least one idea first.", "error");
      try {
        const { data } = await api(`/planner/ideas/release/?site_id=${siteId}`, { method: "POST", json: { ids } });
        notify(`${plural(data.released, "idea")} released: back in the pipeline as new.`, "success");
      } catch (error) {
        notify(`Nothing released: ${error.message}`, "error");
      }
      loadIdeas();
    });
    loadIdeas(1);
  }

  // --- settings and voice -------------------------------------------------------------------

  async function loadKnowledge() {
    try {
      const { data } = await api(`/planner/knowledge/?site_id=${siteId}`);
      fillForm($("#knowledge-form"), data);
      fillForm($("#sitemap-form"), data);
      $("#kn-refreshed_at").textContent = formatTime(data.refreshed_at);
      $("#kn-refresh_error").textContent = data.refresh_error ? `· failed: ${data.refresh_error}` : "";
      $("#refresh-facts").textContent = `Every ${plural(data.refresh_hours, "hour")}; last ${formatTime(data.refreshed_at)}.`;
      $("#knowledge-form").dataset.loaded = "true";
    } catch (error) {
      notify(error.message, "error");
    }
  }

  async function loadVoice() {
    try {
      const { data } = await api(`/planner/voice/?site_id=${siteId}`);
      fillForm($("#voice-form"), data);
      $("#voice-form").dataset.loaded = "true";
    } catch (error) {
      notify(error.message, "error");
    }
  }

  function settings() {
    apiForm($("#knowledge-form"), {
      what: "Settings",
      save: (values) => api(`/planner/knowledge/?site_id=${siteId}`, { method: "PATCH", json: values }),
      saved: () => { notify("Settings saved.", "success"); loadKnowledge(); },
    });
    apiForm($("#voice-form"), {
      what: "Voice",
      save: (values) => api(`/planner/voice/?site_id=${siteId}`, { method: "PATCH", json: values }),
      saved: (data) => { fillForm($("#voice-form"), data); notify("Voice saved.", "success"); },
    });
    loadKnowledge();
    loadVoice();
  }

  inventory();
  ideas();
  settings();
})();
