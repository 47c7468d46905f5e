// Moderator review inbox: keyboard, selection and live rows. Loaded from this server only
// (the Content-Security-Policy allows no inline script). Never builds HTML from comment
// text: rows arrive already escaped by the server's templates.
"use strict";
(function () {
  const page = document.body.dataset.page;
  const help = document.getElementById("help");
  let cursor = -1;

  function rows() { return Array.from(document.querySelectorAll("tr[data-item]")); }

  function moveTo(index) {
    const all = rows();
    if (!all.length) return;
    cursor = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("cursor", i === cursor));
    all[cursor].scrollIntoView({ block: "nearest" });
  }

  function current() { return rows()[cursor] || null; }

  function verdictOnRow(verdict) {
    const row = current();
    const form = document.getElementById("row-verdict");
    if (!row || !form) return;
    form.action = row.dataset.href + "/" + verdict;
    form.submit();
  }

  function submitForm(id) {
    const form = document.getElementById(id);
    if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))
        && target.type !== "checkbox") return;
    const key = event.key;
    if (key === "?") { help.open ? help.close() : help.showModal(); event.preventDefault(); return; }
    if (page === "inbox") {
      if (key === "j") moveTo(cursor + 1);
      else if (key === "k") moveTo(cursor - 1);
      else if ((key === "Enter" || key === "o") && current()) window.location = current().dataset.href;
      else if (key === "x" && current()) { const box = current().querySelector("input[type=checkbox]"); box.checked = !box.checked; }
      else if (key === "a") verdictOnRow("approve");
      else if (key === "r") verdictOnRow("reject");
      else return;
      event.preventDefault();
    } else if (page === "item") {
      if (key === "a") submitForm("approve");
      else if (key === "r") submitForm("reject");
      else if (key === "u") window.location = document.getElementById("back").href;
      else return;
      event.preventDefault();
    }
  });

  if (page !== "inbox") return;

  rows().forEach(function (row, i) {
    row.addEventListener("click", function (event) {
      if (event.target.tagName !== "INPUT") moveTo(i);
    });
  });
  const all = document.getElementById("select-all");
  if (all) all.addEventListener("change", function () {
    document.querySelectorAll("#rows input[name=ids]").forEach(function (box) { box.checked = all.checked; });
  });

  // New items without a reload: poll the queue's state; when it moved, fetch this page's rows
  // (server-rendered, escaped) and swap them in, keeping the selection and the cursor.
  const table = document.querySelector("table.queue");
  const live = document.getElementById("live");
  let last = null;
  async function poll() {
    try {
      const state = await (await fetch(table.dataset.stateUrl, { credentials: "same-origin" })).json();
      const mark = state.pending + ":" + state.newest;
      if (last !== null && mark !== last) await refresh(state);
      last = mark;
    } catch (e) { /* offline for a moment: try again at the next tick */ }
  }
  async function refresh(state) {
    const response = await fetch(table.dataset.rowsUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const chosen = new Set(Array.from(document.querySelectorAll("#rows input[name=ids]:checked")).map(b => b.value));
    const at = current() ? current().dataset.item : null;
    const doc = new DOMParser().parseFromString("<table><tbody>" + await response.text() + "</tbody></table>", "text/html");
    const body = document.getElementById("rows");
    body.replaceChildren(...Array.from(doc.querySelector("tbody").children));
    body.querySelectorAll("input[name=ids]").forEach(b => { b.checked = chosen.has(b.value); });
    rows().forEach(function (row, i) {
      row.addEventListener("click", function (event) { if (event.target.tagName !== "INPUT") moveTo(i); });
      if (row.dataset.item === at) moveTo(i);
    });
    document.getElementById("total").textContent = response.headers.get("X-Total");
    live.textContent = "Updated: " + state.pending + " pending.";
    live.hidden = false;
  }
  poll();
  setInterval(poll, Number(document.body.dataset.poll || 5000));
})();
