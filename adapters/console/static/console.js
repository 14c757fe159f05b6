// The broker's console: polls /ui/api/overview with the tab's token, renders with textContent
// only (nothing a provider or tenant names is ever parsed as HTML), loads nothing from outside.
"use strict";

const TOKEN_KEY = "cloudbroker.token";
const POLL_MS = 1500;
const STATES = ["all", "pending", "running", "retrying", "succeeded", "failed", "canceled"];

const $ = (sel) => document.querySelector(sel);
let timer = null;
let filter = "all";
let selected = "";
let lastTasks = [];

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + token() }, cache: "no-store" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401) { logout("Your token was refused: log in again."); }
  if (!res.ok) { throw new APIError(res.status, (data && data.error) || res.statusText); }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function badge(text) { return el("span", { class: "badge " + text }, text || "never watched"); }

function when(s) {
  if (!s) return "never";
  const d = new Date(s);
  return d.toLocaleTimeString();
}

function fill(tbody, rows) { tbody.replaceChildren(...rows); }

function progressCell(t) {
  let pct = t.progress ? t.progress.percent : 0;
  if (t.state === "succeeded") pct = 100;
  const bar = el("span", { class: "bar" }, el("span"));
  bar.firstChild.style.width = pct + "%";
  const cell = el("td", { class: "progress", "data-percent": String(pct) }, bar, el("span", { class: "pct" }, pct + "%"));
  if (t.progress && t.progress.step) cell.append(el("span", { class: "step" }, t.progress.step));
  if (t.error) cell.append(el("span", { class: "step error" }, t.error));
  return cell;
}

function renderProviders(ps) {
  fill($("#providers tbody"), ps.map((p) => el("tr", { "data-provider": p.name },
    el("td", {}, p.name), el("td", {}, p.driver), el("td", {}, p.clientid || "broker"),
    el("td", {}, p.region), el("td", { title: p.last_error }, badge(p.sync_state)),
    el("td", { class: "vms" }, String(p.vms)), el("td", {}, when(p.last_sync)))));
}

function renderAgents(as) {
  $("#agents-none").hidden = as.length > 0;
  fill($("#agents tbody"), as.map((a) => el("tr", { "data-agent": a.clientid },
    el("td", {}, a.clientid), el("td", {}, badge(a.state)), el("td", {}, a.hostname),
    el("td", {}, a.version), el("td", {}, a.providers.join(", ")), el("td", {}, when(a.last_seen)))));
}

function renderStates(tasks) {
  const counts = { all: tasks.length };
  for (const t of tasks) counts[t.state] = (counts[t.state] || 0) + 1;
  $("#states").replaceChildren(...STATES.map((s) => {
    const b = el("button", { type: "button", class: s === filter ? "on" : "", "data-state": s }, s + " " + (counts[s] || 0));
    b.addEventListener("click", () => { filter = s; renderTasks(lastTasks); });
    return b;
  }));
}

function renderTasks(tasks) {
  lastTasks = tasks;
  renderStates(tasks);
  const shown = tasks.filter((t) => filter === "all" || t.state === filter);
  $("#tasks-none").hidden = shown.length > 0;
  fill($("#tasks tbody"), shown.map((t) => {
    const done = ["succeeded", "failed", "canceled"].includes(t.state);
    const actions = el("td", {});
    const details = el("button", { type: "button", class: "details" }, "Envelopes");
    details.addEventListener("click", () => openTask(t.id));
    actions.append(details);
    if (!done) {
      const cancel = el("button", { type: "button", class: "cancel" }, "Cancel");
      cancel.addEventListener("click", () => cancelTask(t.id));
      actions.append(" ", cancel);
    }
    return el("tr", { "data-task-id": t.id, "data-type": t.type, "data-state": t.state, class: t.id === selected ? "selected" : "" },
      el("td", {}, badge(t.state)),
      el("td", {}, el("span", { title: t.describe }, t.type), el("span", { class: "step" }, t.id)),
      el("td", {}, t.provider || "-"), progressCell(t), el("td", {}, when(t.inserted)), actions);
  }));
}

async function refresh() {
  try {
    const o = await api("GET", "/ui/api/overview?tasks=50");
    $("#who").textContent = "as " + o.caller;
    renderProviders(o.providers);
    renderAgents(o.agents);
    renderTasks(o.tasks);
    $("#updated").textContent = "updated " + new Date().toLocaleTimeString();
    $("#app-error").textContent = "";
    if (selected) await loadTask(selected);
  } catch (e) {
    $("#app-error").textContent = e.message;
  }
}

async function loadTask(id) {
  const d = await api("GET", "/ui/api/tasks/" + encodeURIComponent(id));
  const t = d.task;
  $("#detail-id").textContent = t.id;
  $("#detail-summary").textContent = t.type + " on " + (t.provider || "-") + ": " + t.state +
    (t.progress ? " (" + t.progress.percent + "%" + (t.progress.step ? ", " + t.progress.step : "") + ")" : "");
  $("#detail").setAttribute("data-state", t.state);
  $("#envelopes").replaceChildren(...d.envelopes.map((e) => el("div", { class: "envelope", "data-dialect": e.dialect },
    el("h3", {}, e.dialect + " ", el("span", { class: "muted" }, e.api + " → " + e.status)),
    el("pre", {}, JSON.stringify(e.body, null, 2)))));
}

async function openTask(id) {
  selected = id;
  $("#detail").hidden = false;
  try { await loadTask(id); } catch (e) { $("#app-error").textContent = e.message; }
  renderTasks(lastTasks);
}

async function cancelTask(id) {
  try {
    await api("POST", "/ui/api/tasks/" + encodeURIComponent(id) + "/cancel", {});
  } catch (e) {
    $("#app-error").textContent = "cancel: " + e.message;
  }
  refresh();
}

// searchParams turns "name~=web% & state=Running" into q=...&q=... as QueryVmInstance takes it.
function searchParams() {
  const p = new URLSearchParams();
  for (const c of $("#vm-query").value.split("&")) {
    const cond = c.trim();
    if (cond) p.append("q", cond);
  }
  const sort = $("#vm-sort").value.trim();
  if (sort) p.set("sort", sort);
  p.set("limit", "100");
  return p;
}

async function searchVMs() {
  try {
    const r = await api("GET", "/ui/api/vms?" + searchParams().toString());
    let info = r.total + " VM(s)" + (r.total > r.vms.length ? ", first " + r.vms.length + " shown" : "");
    for (const f of r.failed_providers.concat(r.stale_providers)) info += "; " + f.provider + ": " + f.problem;
    $("#vm-info").textContent = info;
    fill($("#vms tbody"), r.vms.map((v) => {
      const clone = el("button", { type: "button", class: "clone" }, "Clone");
      clone.addEventListener("click", () => cloneVM(v));
      return el("tr", { "data-vm-id": v.id, "data-vm-name": v.name },
        el("td", {}, v.name), el("td", {}, badge(v.power_state)), el("td", {}, v.provider),
        el("td", {}, String(v.cpus)), el("td", {}, v.memory_mb ? v.memory_mb + " MB" : ""),
        el("td", {}, v.ips.join(", ")), el("td", { class: "uuid" }, v.id), el("td", {}, clone));
    }));
  } catch (e) {
    $("#vm-info").textContent = "";
    fill($("#vms tbody"), []);
    $("#app-error").textContent = "search: " + e.message;
  }
}

async function cloneVM(vm) {
  const name = $("#clone-name").value.trim() || vm.name + "-copy-" + Date.now().toString(36);
  try {
    const r = await api("POST", "/ui/api/vms/" + encodeURIComponent(vm.id) + "/clone", { names: [name] });
    $("#clone-name").value = "";
    await refresh();
    openTask(r.task.id);
  } catch (e) {
    $("#app-error").textContent = "clone: " + e.message;
  }
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  timer = null;
  selected = "";
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#who").textContent = "";
  $("#login-error").textContent = message || "";
}

async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  await refresh();
  if (token()) {
    searchVMs();
    timer = setInterval(refresh, POLL_MS);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
    $("#token").value = "";
    start();
  });
  $("#vm-form").addEventListener("submit", (ev) => { ev.preventDefault(); searchVMs(); });
  $("#logout").addEventListener("click", () => logout(""));
  $("#detail-close").addEventListener("click", () => { selected = ""; $("#detail").hidden = true; renderTasks(lastTasks); });
  if (token()) start();
});
