// IGNY8 dashboard: a small layer over the public REST API. No build step, no dependencies.
(() => {
  "use strict";
  const body = document.body;
  const siteId = body.dataset.siteId;
  const canRun = body.dataset.canRun === "true";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const API = "/api/v1";
  let clockOffset = 0; // the server's clock minus ours, from each answer's Date header

  // --- helpers ------------------------------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const el = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  };
  const serverNow = () => Date.now() + clockOffset;

  async function api(path, { method = "GET", json, form } = {}) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    let payload;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    } else if (form) {
      payload = form;
    }
    let response;
    try {
      response = await fetch(API + path, { method, headers, body: payload, credentials: "same-origin" });
    } catch (_) {
      throw Object.assign(new Error("The server cannot be reached; check the connection."), { network: true });
    }
    const date = response.headers.get("Date");
    if (date) clockOffset = new Date(date).getTime() - Date.now();
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (response.status === 401) {
      window.location.assign(`/login/?next=${encodeURIComponent(location.pathname)}`);
    }
    if (!response.ok || !data || data.success === false) {
      const error = new Error((data && data.error) || `The server answered ${response.status}.`);
      error.status = response.status;
      error.code = data && data.code;
      error.errors = (data && data.errors) || {};
      throw error;
    }
    return data;
  }

  // One message at a time, kept until the user dismisses it or the next action replaces it.
  function notify(text, kind = "info") {
    const box = $("#messages");
    const dismiss = el("button", { type: "button", class: "link", "aria-label": "Dismiss message" }, "Dismiss");
    const message = el("div", { class: `message ${kind}`, "data-kind": kind }, el("span", {}, text), dismiss);
    dismiss.addEventListener("click", () => message.remove());
    box.replaceChildren(message);
  }

  function formatTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  function formatSeconds(total) {
    const seconds = Math.max(0, Math.floor(total));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
    if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
    return `${s} s`;
  }

  function localiseTimes(root = document) {
    for (const time of $$("time[datetime]", root)) {
      if (!time.dataset.localised) {
        time.textContent = formatTime(time.getAttribute("datetime"));
        time.title = time.getAttribute("datetime");
        time.dataset.localised = "true";
      }
    }
  }

  function showFieldErrors(form, errors) {
    for (const span of $$("[data-error-for]", form)) {
      const messages = errors[span.dataset.errorFor];
      span.textContent = messages ? [].concat(messages).join(" ") : "";
      const input = form.elements[span.dataset.errorFor];
      if (input && input.setAttribute) {
        if (messages) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
    }
  }

  function pager(nav, { page, count, pageSize, onPage, noun }) {
    const pages = Math.max(1, Math.ceil(count / pageSize));
    const previous = el("button", { type: "button", disabled: page <= 1 }, "← Previous");
    const next = el("button", { type: "button", disabled: page >= pages }, "Next →");
    previous.addEventListener("click", () => onPage(page - 1));
    next.addEventListener("click", () => onPage(page + 1));
    nav.replaceChildren(previous, el("span", {}, `Page ${page} of ${pages} · ${count} ${noun}`), next);
  }

  // --- pipeline -----------------------------------------------------------------------------

  function pipelinePage() {
    const heartbeatSeconds = Number(body.dataset.heartbeatSeconds) || 15;
    const silentAfter = Math.max(3 * heartbeatSeconds, 30);
    const controls = Object.fromEntries($$("button[data-action]").map((b) => [b.dataset.action, b]));
    let current = null;
    let busy = false;
    let refreshes = 0;

    function setControls() {
      const status = current ? current.status : null;
      const allowed = {
        run_now: !status,
        pause: status === "running",
        resume: status === "paused",
        cancel: status === "running" || status === "paused",
      };
      for (const [action, button] of Object.entries(controls)) {
        button.disabled = busy || !canRun || !allowed[action];
      }
    }

    function renderStages(overview, estimate, progress) {
      const credits = Object.fromEntries(estimate.stages.map((s) => [s.number, s]));
      $("#stages").replaceChildren(
        ...overview.stages.map((stage) => {
          const projected = credits[stage.number] || {};
          const byStatus = Object.entries(stage.by_status);
          const isCurrent = progress && progress.stage === stage.number;
          return el(
            "li",
            { class: `card${isCurrent ? " current" : ""}`, "data-stage": stage.number },
            el("span", { class: "type" }, stage.type),
            el("h3", {}, `${stage.number}. ${stage.name}`),
            el("div", {}, el("span", { class: "pending" }, stage.pending), " pending"),
            el("div", {}, `${Math.max(stage.total - stage.pending, 0)} done of ${stage.total}`),
            byStatus.length
              ? el("ul", { class: "by-status" }, byStatus.map(([name, n]) => el("li", {}, `${name}: ${n}`)))
              : el("p", { class: "by-status" }, "nothing yet"),
            stage.type === "AI" ? el("div", { class: "hint" }, `≈ ${projected.credits || 0} credits now`) : null,
            isCurrent ? el("strong", {}, "In progress") : null,
          );
        }),
      );
    }

    function renderEstimate(estimate) {
      const verdict = estimate.sufficient
        ? el("span", { class: "status status-completed" }, "Enough credits to start")
        : el("span", { class: "status status-failed" },
            `Not enough credits: ${estimate.required_with_buffer - estimate.current_balance} more needed`);
      $("#estimate").replaceChildren(
        el("dt", {}, "Credits this run needs"), el("dd", { "data-field": "estimated" }, estimate.estimated_credits),
        el("dt", {}, "Needed to start (1.2 × estimate)"), el("dd", { "data-field": "required" }, estimate.required_with_buffer),
        el("dt", {}, "Your balance"), el("dd", { "data-field": "balance" }, estimate.current_balance),
        el("dt", {}, "Verdict"), el("dd", { "data-field": "sufficient", "data-sufficient": String(estimate.sufficient) }, verdict),
      );
      const balance = $("#balance");
      if (balance) balance.textContent = estimate.current_balance;
    }

    function runState(run) {
      if (run.status === "paused") return ["paused", "Paused"];
      if (!run.claimed) return ["queued", "Queued: waiting for a worker to pick it up"];
      return ["running", "Running"];
    }

    function renderRun(run, progress, lastRun, stageCount) {
      const box = $("#run-state");
      if (!run) {
        box.dataset.state = "idle";
        box.replaceChildren(...[
          el("p", {}, "No run is active."),
          lastRun
            ? el("p", {}, "Last run: ", el("a", { href: `/dashboard/runs/${encodeURIComponent(lastRun.run_id)}/` }, lastRun.run_id),
                " ", el("span", { class: `status status-${lastRun.status}`, "data-last-status": lastRun.status }, lastRun.status),
                ` · ${lastRun.total_credits_used} credits`,
                lastRun.error_message ? el("span", { class: "error-text" }, ` · ${lastRun.error_message}`) : null)
            : null,
        ].filter(Boolean));
        return;
      }
      const [state, label] = runState(run);
      box.dataset.state = state;
      const started = new Date(run.started_at).getTime();
      const elapsed = (serverNow() - started) / 1000;
      const parts = [
        el("p", {},
          el("span", { class: `status status-${state}`, id: "run-status" }, label), " ",
          el("a", { href: `/dashboard/runs/${encodeURIComponent(run.run_id)}/` }, run.run_id)),
      ];
      if (state === "running" && run.heartbeat_at) {
        const silent = (serverNow() - new Date(run.heartbeat_at).getTime()) / 1000;
        if (silent > silentAfter) {
          parts.push(el("p", { class: "warning", id: "heartbeat-warning", role: "alert" },
            `The worker has not reported for ${formatSeconds(silent)}. It may have stopped; ` +
            `a silent run is handed to another worker after ${formatSeconds(Number(body.dataset.staleSeconds))}.`));
        }
      }
      if (state === "queued") {
        const waiting = (serverNow() - new Date(run.resumed_at || run.started_at).getTime()) / 1000;
        if (waiting > silentAfter) {
          parts.push(el("p", { class: "warning", id: "queue-warning", role: "alert" },
            `No worker has picked this run up for ${formatSeconds(waiting)}. Is a worker running?`));
        }
      }
      if (progress) {
        const percent = Math.min(100, Math.max(0, progress.percent));
        parts.push(
          el("p", { id: "run-stage" }, `Stage ${progress.stage} of ${stageCount}: ${progress.stage_name}`),
          el("p", { id: "run-count" }, `${progress.processed} of ${progress.total} items (${percent}%)`),
          el("div", {
            class: "progress", role: "progressbar", "aria-label": `Stage ${progress.stage} progress`,
            "aria-valuemin": 0, "aria-valuemax": progress.total, "aria-valuenow": progress.processed,
            "aria-valuetext": `${progress.processed} of ${progress.total} items, ${percent}%`,
          }, el("div", { style: `width: ${percent}%` })),
        );
      }
      parts.push(el("dl", { class: "facts" },
        el("dt", {}, "Elapsed"), el("dd", { id: "run-elapsed" }, formatSeconds(elapsed)),
        el("dt", {}, "Credits so far"), el("dd", { id: "run-credits" }, run.total_credits_used),
        el("dt", {}, "Started"), el("dd", {}, formatTime(run.started_at)),
      ));
      if (state === "paused" && progress && progress.in_flight.length) {
        parts.push(el("p", { class: "hint" }, "The batch already in flight finishes; then the run waits for Resume."));
      }
      if (progress) {
        const list = (items) => items.length
          ? el("ul", { class: "items" }, items.map((item) => el("li", {}, item.label)))
          : el("p", { class: "hint" }, "—");
        parts.push(el("h3", {}, "In flight"), list(progress.in_flight));
        const more = progress.remaining - progress.up_next.length;
        parts.push(el("h3", {}, "Up next"), list(progress.up_next));
        if (more > 0) parts.push(el("p", { class: "hint" }, `and ${more} more waiting`));
      }
      box.replaceChildren(...parts);
    }

    function renderLog(runId, log) {
      $("#log-run").replaceChildren(runId
        ? el("span", {}, "Run ", el("a", { href: `/dashboard/runs/${encodeURIComponent(runId)}/` }, runId), " · full log on the run page")
        : "No run yet.");
      const lines = log ? log.lines.slice().reverse() : [];
      $("#recent-log").hidden = !lines.length;
      $("#recent-log").replaceChildren(...lines.map((line) => el("li", { class: `level-${line.level}` },
        `${formatTime(line.created_at)} ${line.stage ? `Stage ${line.stage}: ` : ""}${line.message}`)));
    }

    async function refresh() {
      const q = `site_id=${siteId}`;
      try {
        const [overview, estimate, currentRun, processing, history] = await Promise.all([
          api(`/automation/pipeline_overview/?${q}`), api(`/automation/estimate/?${q}`),
          api(`/automation/current_run/?${q}`), api(`/automation/current_processing/?${q}`),
          api(`/automation/history/?${q}&limit=1`),
        ]);
        current = currentRun.data.run;
        const lastRun = history.data.runs[0] || null;
        const progress = current ? processing.data : null;
        renderStages(overview.data, estimate.data, progress);
        renderEstimate(estimate.data);
        renderRun(current, progress, lastRun, overview.data.stages.length);
        const logRun = current || lastRun;
        const log = logRun ? (await api(`/automation/logs/?run_id=${encodeURIComponent(logRun.run_id)}&${q}&lines=15`)).data : null;
        renderLog(logRun && logRun.run_id, log);
        $("#connection").hidden = true;
        refreshes += 1;
        body.dataset.refreshes = String(refreshes);
      } catch (error) {
        const line = $("#connection");
        line.textContent = `Live updates interrupted (${error.message}); retrying.`;
        line.hidden = false;
      }
      setControls();
    }

    const pending = {
      run_now: "Starting a run…", pause: "Pausing…", resume: "Resuming…", cancel: "Cancelling…",
    };
    const confirmations = {
      cancel: (run) => `Cancel run ${run.run_id}? What it has done is kept, but a cancelled run cannot be resumed.`,
    };

    async function act(action) {
      if (action !== "run_now" && !current) return;
      if (confirmations[action] && !window.confirm(confirmations[action](current))) return;
      const query = action === "run_now"
        ? `site_id=${siteId}` : `run_id=${encodeURIComponent(current.run_id)}&site_id=${siteId}`;
      busy = true;
      setControls();
      notify(pending[action], "info");
      try {
        const answer = await api(`/automation/${action}/?${query}`, { method: "POST" });
        const runId = answer.data.run_id;
        notify(`${answer.message || "Done"}${runId ? ` (${runId})` : ""}.`, "success");
      } catch (error) {
        notify(error.message, "error");
      }
      busy = false;
      await refresh();
    }

    for (const [action, button] of Object.entries(controls)) button.addEventListener("click", () => act(action));
    const loop = async () => {
      if (!document.hidden) await refresh();
      setTimeout(loop, 2000);
    };
    loop();
  }

  // --- a run's log --------------------------------------------------------------------------

  function runPage() {
    const form = $("#log-filters");
    if (!form) return;
    const runId = form.dataset.runId;
    async function load() {
      const stage = form.elements.stage.value;
      const level = form.elements.level.value;
      try {
        const answer = await api(`/automation/logs/?run_id=${encodeURIComponent(runId)}&site_id=${siteId}&lines=5000${stage ? `&stage=${stage}` : ""}`);
        let lines = answer.data.lines.filter((line) => !level || line.level === level);
        if (form.elements.order.value === "newest") lines = lines.reverse();
        $("#run-log").replaceChildren(...lines.map((line) => el("li", { class: `level-${line.level}` },
          `${formatTime(line.created_at)} [${line.level}] ${line.stage ? `Stage ${line.stage}: ` : ""}${line.message}`)));
        $("#log-count").textContent = `${lines.length} lines`;
      } catch (error) {
        notify(error.message, "error");
      }
    }
    form.addEventListener("change", load);
    form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
    load();
    // A run that is still going keeps writing its log.
    if (["running", "paused"].includes(form.dataset.runStatus)) setInterval(() => document.hidden || load(), 5000);
  }

  // --- keywords -----------------------------------------------------------------------------

  function keywordsPage() {
    const filters = $("#keyword-filters");
    const pageSize = 25;
    let page = 1;

    async function loadList(newPage = page) {
      page = newPage;
      const params = new URLSearchParams({ site_id: siteId, page, page_size: pageSize, ordering: "-id" });
      for (const name of ["search", "status", "intent"]) {
        if (filters.elements[name].value) params.set(name, filters.elements[name].value);
      }
      try {
        const answer = await api(`/planner/keywords/?${params}`);
        $("#keyword-rows").replaceChildren(...(answer.results.length ? answer.results.map((k) => el("tr", {},
          el("td", {}, k.keyword), el("td", {}, k.volume), el("td", { class: "wide-only" }, k.difficulty),
          el("td", {}, k.intent),
          el("td", {}, el("span", { class: `status status-${k.status}` }, k.status)),
        )) : [el("tr", {}, el("td", { colspan: 5 }, "No keyword matches."))]));
        pager($("#keyword-pager"), { page, count: answer.count, pageSize, onPage: loadList, noun: "keywords" });
      } catch (error) {
        notify(error.message, "error");
      }
    }

    $("#import-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("#import-file").files[0];
      if (!file) return notify("Choose a CSV file first.", "error");
      const form = new FormData();
      form.append("file", file);
      const result = $("#import-result");
      try {
        const { data } = await api(`/planner/keywords/import_csv/?site_id=${siteId}`, { method: "POST", form });
        notify(`Imported ${data.created} keywords from ${file.name}; ${data.skipped} lines skipped.`,
          data.errors.length ? "info" : "success");
        result.replaceChildren(
          el("p", {}, `${data.created} imported, ${data.skipped} skipped.`),
          data.errors.length ? el("div", { class: "table-wrap" }, el("table", { class: "import-errors" },
            el("caption", {}, "Lines not imported"),
            el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Line"), el("th", { scope: "col" }, "Problem"))),
            el("tbody", {}, data.errors.map((e) => el("tr", {}, el("td", {}, e.line), el("td", {}, e.error)))),
          )) : "",
        );
        loadList(1);
      } catch (error) {
        notify(`The file was not imported: ${error.message}`, "error");
      }
    });

    const addForm = $("#add-form");
    addForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const e = addForm.elements;
      const keyword = { keyword: e.keyword.value.trim(), volume: Number(e.volume.value || 0),
        difficulty: Number(e.difficulty.value || 0), intent: e.intent.value };
      try {
        await api(`/planner/keywords/?site_id=${siteId}`, { method: "POST", json: keyword });
        showFieldErrors(addForm, {});
        notify(`Added “${keyword.keyword}”.`, "success");
        e.keyword.value = "";
        loadList(1);
      } catch (error) {
        showFieldErrors(addForm, Object.keys(error.errors).length ? error.errors : { keyword: [error.message] });
        notify(`The keyword was not added: ${error.message}`, "error");
      }
    });

    filters.addEventListener("submit", (event) => { event.preventDefault(); loadList(1); });
    filters.addEventListener("change", () => loadList(1));
    loadList(1);
  }

  // --- review -------------------------------------------------------------------------------

  async function setContentStatus(ids, status) {
    const answer = await api(`/writer/content/bulk_update_status/?site_id=${siteId}`, {
      method: "POST", json: { ids, status },
    });
    return answer.data.updated;
  }
  const statusWords = { published: "approved and published", draft: "sent back to draft" };

  // An article's internal links: the words that carry each one and the page it leads to.
  function linkList(content) {
    if (!content.links.length) return null;
    return el("ul", { class: "links", "aria-label": `Internal links of “${content.title}”` },
      content.links.map((link) => el("li", {}, `“${link.anchor}” → `,
        /^(https?:\/\/|\/(?!\/))/i.test(link.url) ? el("a", { href: link.url, rel: "noopener" }, link.url) : link.url)));
  }

  // The quality gate's verdict on one article: its score, its findings, what the voice check measured.
  function qualityView(quality) {
    if (!quality || quality.score === null || quality.score === undefined) {
      return el("div", { class: "quality hint" }, "Not checked yet.");
    }
    const voice = quality.voice || {};
    const level = voice.reading_level === null || voice.reading_level === undefined ? "–" : voice.reading_level;
    const target = voice.reading_level_target ? ` (target ${voice.reading_level_target})` : "";
    const voiceParts = [`reading level ${level}${target}`];
    if ((voice.banned_found || []).length) voiceParts.push(`banned terms used: ${voice.banned_found.join(", ")}`);
    if ((voice.required_missing || []).length) voiceParts.push(`required terms missing: ${voice.required_missing.join(", ")}`);
    const findings = quality.findings || [];
    return el("div", { class: "quality" },
      el("span", { class: `score${quality.flagged ? " flagged" : ""}`, "data-score": quality.score },
        `Quality ${quality.score}/100`), quality.flagged ? el("span", { class: "flag" }, " flagged: below the site's bar") : null,
      el("div", { class: "hint voice-check" }, `Voice: ${voiceParts.join(" · ")}`),
      findings.length ? el("ul", { class: "findings" }, findings.map((item) =>
        el("li", { class: `finding finding-${item.severity}`, "data-code": item.code }, `${item.severity}: ${item.message}`)))
        : el("div", { class: "hint" }, "No findings."));
  }

  function reviewPage() {
    const pageSize = 20;
    let page = 1;
    const ordering = $("#review-ordering");
    async function load(newPage = page) {
      page = newPage;
      try {
        const order = ordering ? ordering.value : "id";
        const answer = await api(`/writer/content/?site_id=${siteId}&status=review&ordering=${order}&page=${page}&page_size=${pageSize}`);
        $("#select-all").checked = false;
        $("#review-list").replaceChildren(...(answer.results.length ? answer.results.map((c) => {
          const images = c.images.filter((image) => image.status === "generated");
          return el("li", { class: "review-item", "data-content-id": c.id },
            el("input", { type: "checkbox", name: "ids", value: c.id, id: `pick-${c.id}`, disabled: !canRun,
              "aria-label": `Select “${c.title}”` }),
            el("div", {},
              el("a", { href: `/dashboard/review/${c.id}/`, class: "title" }, c.title),
              el("div", { class: "hint" }, `${c.word_count} words · keyword “${c.primary_keyword}” · ${c.images.length} images · ${c.links.length} internal links${c.regenerated ? " · regenerated once" : ""}`),
              qualityView(c.quality),
              linkList(c),
              el("div", { class: "thumbs" }, images.map((image) => el("img", {
                src: `/dashboard/images/${image.id}/`, alt: `${image.image_type} image of “${c.title}”`,
              })))));
        }) : [el("li", {}, "Nothing waits for review.")]));
        pager($("#review-pager"), { page, count: answer.count, pageSize, onPage: load, noun: "articles" });
      } catch (error) {
        notify(error.message, "error");
      }
    }
    $("#select-all").addEventListener("change", (event) => {
      for (const box of $$('#review-list input[name="ids"]')) box.checked = event.target.checked;
    });
    if (ordering) ordering.addEventListener("change", () => load(1));
    for (const button of $$("#review-form button[data-status]")) {
      button.addEventListener("click", async () => {
        const ids = $$('#review-list input[name="ids"]:checked').map((box) => Number(box.value));
        if (!ids.length) return notify("Select at least one article first.", "error");
        try {
          const updated = await setContentStatus(ids, button.dataset.status);
          notify(`${updated} article${updated === 1 ? "" : "s"} ${statusWords[button.dataset.status]}.`, "success");
        } catch (error) {
          notify(error.message, "error");
        }
        load();
      });
    }
    load(1);
  }

  function articlePage() {
    const article = $("article[data-content-id]");
    if (!article) return;
    const id = Number(article.dataset.contentId);
    for (const button of $$("button[data-status]", article)) {
      button.addEventListener("click", async () => {
        try {
          await setContentStatus([id], button.dataset.status);
          const badge = $("#article-status");
          badge.textContent = button.dataset.status;
          badge.className = `status status-${button.dataset.status}`;
          notify(`“${$("#article-title").textContent}” ${statusWords[button.dataset.status]}.`, "success");
        } catch (error) {
          notify(error.message, "error");
        }
      });
    }
  }

  // --- settings -----------------------------------------------------------------------------

  function settingsPage() {
    const form = $("#config-form");
    const fields = $$("input[name], select[name]", form);
    async function load() {
      try {
        const { data } = await api(`/automation/config/?site_id=${siteId}`);
        for (const input of fields) {
          const value = data[input.name];
          if (input.type === "checkbox") input.checked = Boolean(value);
          else input.value = value === null || value === undefined ? "" : value;
        }
        $("#cfg-last_run_at").textContent = formatTime(data.last_run_at);
        $("#cfg-next_run_at").textContent = formatTime(data.next_run_at);
        form.dataset.loaded = "true";
      } catch (error) {
        notify(error.message, "error");
      }
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = {};
      for (const input of fields) {
        if (input.type === "checkbox") values[input.name] = input.checked;
        else if (input.type === "number") {
          values[input.name] = input.value === "" ? (input.dataset.optional ? null : "") : Number(input.value);
        } else values[input.name] = input.value;
      }
      try {
        await api(`/automation/update_config/?site_id=${siteId}`, { method: "PATCH", json: values });
        showFieldErrors(form, {});
        notify("Settings saved.", "success");
        load();
      } catch (error) {
        showFieldErrors(form, error.errors);
        const fieldCount = Object.keys(error.errors).length;
        notify(fieldCount
          ? `Settings not saved: ${fieldCount} field${fieldCount === 1 ? " needs" : "s need"} a change (marked below).`
          : `Settings not saved: ${error.message}`, "error");
        const invalid = $('[aria-invalid="true"]', form);
        if (invalid) invalid.focus();
      }
    });
    load();
  }

  // The publishing and knowledge pages' scripts (publishing.js, knowledge.js) build on the same helpers.
  window.igny8 = { api, el, notify, formatTime, showFieldErrors, pager, $, $$, siteId, canRun };

  // --- start --------------------------------------------------------------------------------

  const picker = $("select[data-autosubmit]");
  if (picker) picker.addEventListener("change", () => picker.form.submit());
  localiseTimes();
  const pages = {
    pipeline: pipelinePage, runs: runPage, keywords: keywordsPage, review: () => (articlePage(), $("#review-list") && reviewPage()),
    settings: settingsPage,
  };
  if (pages[body.dataset.page]) pages[body.dataset.page]();
})();
