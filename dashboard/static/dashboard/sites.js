// All sites: bulk actions on the selected rows through POST /api/v1/automation/bulk/.
(() => {
  "use strict";
  const form = document.getElementById("sites-form");
  if (!form) return;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const messages = document.getElementById("messages");
  const boxes = () => Array.from(form.querySelectorAll('input[name="site_ids"]'));
  const say = (text, kind) => {
    const line = document.createElement("p");
    line.className = `message ${kind || ""}`;
    line.textContent = text;
    messages.replaceChildren(line);
  };

  document.getElementById("select-all-sites").addEventListener("change", (event) => {
    for (const box of boxes()) box.checked = event.target.checked;
  });

  async function bulk(action) {
    const siteIds = boxes().filter((box) => box.checked).map((box) => Number(box.value));
    if (!siteIds.length) {
      say("Select at least one site.", "error");
      return;
    }
    const response = await fetch("/api/v1/automation/bulk/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfMeta.content },
      body: JSON.stringify({ action, site_ids: siteIds }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body || !body.success) {
      say((body && body.error) || `The server answered ${response.status}.`, "error");
      return;
    }
    const refused = body.data.results.filter((result) => !result.ok);
    const text = refused.length
      ? `${body.message}. Refused: ${refused.map((r) => `site ${r.site_id} (${r.error})`).join("; ")}`
      : `${body.message}.`;
    say(text, refused.length ? "error" : "ok");
    setTimeout(() => window.location.reload(), refused.length ? 4000 : 1200);
  }

  for (const button of form.querySelectorAll("[data-bulk]")) {
    button.addEventListener("click", () => bulk(button.dataset.bulk));
  }
})();
