"use strict";
const $ = (id) => document.getElementById(id);
let current = null;
const PAGE = 500;  // events per page: a run of 20,000 events shows its first page at once
let loaded = [];   // the current run's events shown so far
let nextToken = "";  // where the next page starts ("": everything shown; refreshes fetch what is new)
let busy = false;

function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
function when(ts) { return ts ? new Date(ts * 1000).toLocaleString([], {hour12: false}) : ""; }
function clock(ts) {  // an event's time of day, to the millisecond
  const d = new Date(ts * 1000);
  return d.toLocaleTimeString([], {hour12: false}) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
function step(id) { return current && id.startsWith(current + "/") ? id.slice(current.length) : id; }
function summary(events, partial) {
  const last = events[events.length - 1];
  if (!last) return "";
  if (partial) return `${events.length} events shown, more to load below`;
  const took = ((last.time - events[0].time) * 1000).toFixed(0);
  if (last.type === "WORKFLOW_FINISHED_IN_SUCCESS") {
    const next = last.attributes.continued_as;
    return next ? `<span class="COMPLETED">continued as ${esc(next)}</span> after ${took} ms`
      : `<span class="COMPLETED">COMPLETED</span> in ${took} ms: <code>${esc(JSON.stringify(last.output))}</code>`;
  }
  if (last.type === "WORKFLOW_FINISHED_IN_ERROR") return `<span class="FAILED">FAILED</span> after ${took} ms: ${esc(last.failure.message)}`;
  if (last.type === "WORKFLOW_TASK_FAILED")  // a bug in the workflow code: retried until fixed code runs it
    return `<span class="RUNNING">RUNNING</span>, its workflow task fails (retried with back-off): <span class="ERROR">${esc(last.failure.message)}</span>`;
  return `<span class="RUNNING">RUNNING</span> for ${took} ms so far, ${events.length} events`;
}
let csrf = "";  // the double-submit token: the UI's cookie, sent back in a header on every POST
let loggingIn = false;

async function session() {
  const resp = await fetch("/api/session");
  const data = await resp.json();
  csrf = data.csrf_token;
  $("server").textContent = data.server;
  $("logout").hidden = !data.logged_in;
  return data;
}
async function api(path, body, retried) {
  const opts = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body),
  };
  const resp = await fetch(path, opts);
  const data = await resp.json();
  if (resp.status === 403 && data.code === "csrf" && !retried) {  // the UI restarted: a new token
    await session();
    return api(path, body, true);
  }
  if (resp.status === 401 && data.code === "login") showLogin(data.error);
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}
function showLogin(why) {
  if (loggingIn) return;
  loggingIn = true;
  $("app").hidden = true;
  $("login").hidden = false;
  $("loginmsg").textContent = why || "";
  $("token").focus();
}
async function login(ev) {
  ev.preventDefault();
  try {
    await api("/api/login", {token: $("token").value});
  } catch (e) { $("loginmsg").textContent = e.message; return; }
  $("token").value = "";
  loggingIn = false;
  $("login").hidden = true;
  $("app").hidden = false;
  await session();
  loadRuns();
  if (current) loadRun(current);
}
async function logout() {
  await api("/api/logout", {});
  location.reload();
}
function say(text, good) { const m = $("msg"); m.textContent = text; m.className = good ? "good" : "bad"; }

async function loadRuns() {
  const q = new URLSearchParams({limit: $("limit").value || "50"});
  if ($("status").value) q.set("status", $("status").value);
  if ($("name").value.trim()) q.set("name", $("name").value.trim());
  try {
    const {runs} = await api("/api/runs?" + q);
    $("runs").innerHTML = runs.map((r) =>
      `<tr class="run${r.run_id === current ? " on" : ""}" data-id="${esc(r.run_id)}"><td class="mono">${esc(r.run_id)}</td>` +
      `<td>${esc(r.workflow_name)}</td><td class="${esc(r.status)}">${esc(r.status)}</td><td>${when(r.created_at)}</td></tr>`).join("");
  } catch (e) { $("runs").innerHTML = `<tr><td colspan="4" class="ERROR">${esc(e.message)}</td></tr>`; }
}

function details(e) {  // e: a goblins.Event (envelope, failure, the kind's attributes)
  const out = [], a = e.attributes;
  if (e.step_id && e.name) out.push(`<b>${esc(e.name)}</b>` + (a.attempt ? ` attempt ${a.attempt}/${a.max_attempts || "∞"}` : ""));
  if (e.type === "WORKFLOW_SIGNALED") out.push(`signal <b>${esc(e.name)}</b>`);
  if (e.type === "UPDATE_ACCEPTED" || e.type === "UPDATE_COMPLETED") out.push(`update <b>${esc(e.name)}</b> <code>${esc(a.update_id)}</code>`);
  if (e.input !== null && e.input !== undefined) out.push(`input <code>${esc(JSON.stringify(e.input))}</code>`);
  if (e.output !== null && e.output !== undefined) out.push(`output <code>${esc(JSON.stringify(e.output))}</code>`);
  const f = e.failure;
  if (f) out.push(`<span class="ERROR">${esc(f.message)}</span>` + (f.non_retryable ? " (non-retryable)" : ""));
  if (f && f.details !== null && f.details !== undefined) out.push(`error details <code>${esc(JSON.stringify(f.details))}</code>`);
  if (f && f.stack_trace) out.push(`<details class="trace"><summary>stack trace</summary><pre class="mono">${esc(f.stack_trace)}</pre></details>`);
  if (a.reason) out.push(`<span class="ERROR">${esc(a.reason)}</span>`);
  if (a.retry_at) out.push(`retry at ${when(a.retry_at)}`);
  if (a.fire_at) out.push(`fires at ${when(a.fire_at)}`);
  if (a.child_run_id) out.push(`child <a href="#" data-id="${esc(a.child_run_id)}">${esc(a.child_run_id)}</a>`);
  if (a.continued_as) out.push(`continued as <a href="#" data-id="${esc(a.continued_as)}">${esc(a.continued_as)}</a>`);
  if (a.parent_run_id) out.push(`parent <a href="#" data-id="${esc(a.parent_run_id)}">${esc(a.parent_run_id)}</a>`);
  if (a.execution_timeout) out.push(`execution timeout ${a.execution_timeout}s`);
  return out.join("<br>");
}

function row(e) {
  return `<tr><td>${e.seq}</td><td class="${e.type.endsWith("ERROR") || e.type.endsWith("FAILED") ? "ERROR" : ""}">${esc(e.type)}</td>` +
    `<td class="mono">${esc(step(e.step_id))}</td><td class="mono">${clock(e.time)}</td><td class="detail">${details(e)}</td></tr>`;
}

async function loadRun(id) {  // a run picked: its first page
  current = id; loaded = []; nextToken = "";
  if (location.hash !== "#run=" + encodeURIComponent(id)) history.replaceState(null, "", "#run=" + encodeURIComponent(id));
  $("title").textContent = id;
  $("actions").hidden = false;
  $("events").innerHTML = "";
  $("summary").innerHTML = "";
  document.querySelectorAll("tr.run").forEach((tr) => tr.classList.toggle("on", tr.dataset.id === id));
  busy = false;
  await loadPage();
}

async function loadPage() {  // the next page, or (all shown) the events recorded since
  if (!current || busy) return;
  busy = true;
  const id = current;
  const q = new URLSearchParams({page_size: PAGE});
  if (nextToken) q.set("page_token", nextToken);
  else if (loaded.length) q.set("after_seq", loaded[loaded.length - 1].seq);
  try {
    const data = await api(`/api/runs/${encodeURIComponent(id)}?` + q);
    if (id !== current) return;  // another run was picked meanwhile
    loaded.push(...data.events);
    nextToken = data.next_page_token || "";
    $("events").insertAdjacentHTML("beforeend", data.events.map(row).join(""));
    $("summary").innerHTML = summary(loaded, !!nextToken);
    $("more").hidden = !nextToken;
  } catch (err) {
    if (id === current) $("events").innerHTML = `<tr><td colspan="5" class="ERROR">${esc(err.message)}</td></tr>`;
  } finally { if (id === current) busy = false; }
}

async function act(action) {
  if (!current) return;
  let body;
  if (action === "signal" || action === "query") {
    let args = [];
    try { args = $("sargs").value.trim() ? JSON.parse($("sargs").value) : []; } catch (e) { return say("arguments: " + e.message); }
    if (!Array.isArray(args)) return say('arguments must be a JSON array, e.g. ["ada"]');
    body = {name: $("sname").value.trim(), args};
  } else {
    if (action === "terminate" && !confirm("Terminate " + current + "? Its code will not run again.")) return;
    body = {reason: $("reason").value};
  }
  try {
    const data = await api(`/api/runs/${encodeURIComponent(current)}/${action}`, body);
    say(action === "query" ? "answer: " + JSON.stringify(data.result) : action + " sent", true);
    if (!nextToken) await loadPage();
  } catch (e) { say(e.message); }
}

document.addEventListener("click", (ev) => {
  const target = ev.target.closest("[data-id]");
  if (target) { ev.preventDefault(); loadRun(target.dataset.id); }
});
for (const a of ["signal", "query", "cancel", "terminate"]) $(a).addEventListener("click", () => act(a));
for (const f of ["status", "name", "limit"]) $(f).addEventListener("change", loadRuns);
$("where").textContent = location.host;
$("loginform").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("more").addEventListener("click", loadPage);
setInterval(() => { if ($("auto").checked && !loggingIn) { loadRuns(); if (current && !nextToken) loadPage(); } }, 2000);
session().then(() => {
  loadRuns();
  if (location.hash.startsWith("#run=")) loadRun(decodeURIComponent(location.hash.slice(5)));  // a shared link
});
