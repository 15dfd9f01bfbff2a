// IGNY8 dashboard, publishing: the destination form with Verify, the review queue's publish
// buttons, and the list of scheduled, published and failed articles. Builds on dashboard.js.
(() => {
  "use strict";
  const g = window.igny8;
  if (!g) return;
  const { api, el, notify, formatTime, showFieldErrors, $, $$, siteId, canRun } = g;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  async function publish(ids, now) {
    const json = now ? { ids, when: new Date().toISOString() } : { ids };
    const answer = await api(`/writer/content/publish/?site_id=${siteId}`, { method: "POST", json });
    return answer.data.scheduled;
  }

  function reviewButtons() {
    for (const button of $$("#review-form button[data-publish]")) {
      button.addEventListener("click", async () => {
        const ids = $$('#review-list input[name="ids"]:checked').map((box) => Number(box.value));
        if (!ids.length) return notify("Select at least one article first.", "error");
        const now = button.dataset.publish === "now";
        try {
          const scheduled = await publish(ids, now);
          for (const id of ids) $(`#review-list li[data-content-id="${id}"]`)?.remove();
          notify(now ? `${plural(scheduled.length, "article")} sent to the site.`
            : `${plural(scheduled.length, "article")} approved; first goes out ${formatTime(scheduled[0]?.scheduled_publish_at)}.`, "success");
        } catch (error) {
          notify(error.message, "error");
        }
      });
    }
  }

  function destinationForm() {
    const form = $("#destination-form");
    const fields = $$("input[name], select[name]", form);
    let destination = null;
    const show = (data) => {
      destination = data;
      for (const input of fields) input.value = input.name === "secret" ? "" : (data ? data[input.name] ?? "" : input.value);
      $("#dst-secret").placeholder = data ? "unchanged unless you type a new one" : "";
      $("#verify-destination").disabled = !data || !canRun;
    };
    const load = async () => {
      const answer = await api(`/publishing/destinations/?site_id=${siteId}`);
      show(answer.results[0] || null);
      form.dataset.loaded = "true";
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(fields.map((input) => [input.name, input.value]));
      if (!values.secret && destination) delete values.secret;
      try {
        const answer = destination
          ? await api(`/publishing/destinations/${destination.id}/`, { method: "PATCH", json: values })
          : await api(`/publishing/destinations/?site_id=${siteId}`, { method: "POST", json: values });
        showFieldErrors(form, {});
        show(answer.data);
        notify("Destination saved. Verify it to check the connection.", "success");
      } catch (error) {
        showFieldErrors(form, error.errors);
        notify(`Destination not saved: ${error.message}`, "error");
      }
    });
    $("#verify-destination").addEventListener("click", async () => {
      const box = $("#verify-result");
      box.replaceChildren(el("p", {}, "Checking…"));
      try {
        const { data } = await api(`/publishing/destinations/${destination.id}/verify/`, { method: "POST" });
        box.dataset.code = data.code;
        box.replaceChildren(
          el("p", { class: `status status-${data.ok ? "ok" : "broken"}` }, data.ok ? "Connected" : `Problem: ${data.code}`),
          el("p", {}, data.message), ...data.warnings.map((warning) => el("p", { class: "hint" }, warning)));
        const health = $("#destination-health");
        health.textContent = `Publishing: ${data.destination.kind} ${data.destination.status}`;
        health.className = `destination-health status-${data.destination.status}`;
      } catch (error) {
        box.replaceChildren(el("p", {}, error.message));
      }
    });
    load().catch((error) => notify(error.message, "error"));
  }

  function articleList() {
    const filter = $("#publish-filter");
    const row = (c) => el("tr", { "data-content-id": c.id },
      el("td", {}, el("a", { href: `/dashboard/review/${c.id}/` }, c.title)),
      el("td", {}, formatTime(c.scheduled_publish_at)),
      el("td", {}, c.external_url ? el("a", { href: c.external_url, class: "live-link", target: "_blank", rel: "noopener" }, "Open the live post")
        : el("span", { class: "reason" }, c.publish_error || "")),
      el("td", {}, c.site_status === "failed" ? el("button", { type: "button", "data-retry": c.id, disabled: !canRun }, "Retry")
        : c.site_status === "scheduled" ? el("button", { type: "button", "data-unschedule": c.id, disabled: !canRun }, "Unschedule") : ""));
    async function load() {
      try {
        const answer = await api(`/writer/content/?site_id=${siteId}&site_status=${filter.value}&ordering=-id&page_size=100`);
        $("#publishing-list").replaceChildren(...(answer.results.length ? answer.results.map(row)
          : [el("tr", {}, el("td", { colspan: 4 }, "No articles here."))]));
      } catch (error) {
        notify(error.message, "error");
      }
    }
    $("#publishing-list").addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      try {
        if (button.dataset.retry) await publish([Number(button.dataset.retry)], true);
        else await api(`/writer/content/unschedule/?site_id=${siteId}`, { method: "POST", json: { ids: [Number(button.dataset.unschedule)] } });
        notify(button.dataset.retry ? "Sent again." : "Taken off the schedule.", "success");
      } catch (error) {
        notify(error.message, "error");
      }
      load();
    });
    filter.addEventListener("change", load);
    load();
  }

  if (document.body.dataset.page === "review" && $("#review-list")) reviewButtons();
  if (document.body.dataset.page === "publishing") {
    destinationForm();
    articleList();
  }
})();
