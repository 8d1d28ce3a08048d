#include "scheduler_service/http/status_page.h"

namespace strads::scheduler {

const char kStatusPageHtml[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>STRADS scheduler</title>
<style>
  :root { --ink:#1d2430; --muted:#667085; --line:#e4e7ec; --bg:#f6f7f9; --card:#fff;
          --blue:#2563eb; --orange:#ea580c; --green:#16a34a; --red:#dc2626; --grey:#98a2b3; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color:var(--ink); background:var(--bg); }
  header { display:flex; align-items:baseline; gap:24px; padding:14px 24px; background:#111827;
           color:#f9fafb; }
  header h1 { font-size:18px; margin:0; font-weight:600; letter-spacing:.2px; }
  header .stat { color:#cbd5e1; } header .stat b { color:#fff; }
  header .updated { margin-left:auto; color:#94a3b8; font-size:12px; }
  main { padding:18px 24px; max-width:1400px; }
  h2 { font-size:15px; margin:18px 0 8px; }
  table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line);
          border-radius:6px; overflow:hidden; }
  th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; background:#fafbfc; }
  td.num { text-align:right; font-variant-numeric:tabular-nums; }
  td.msg { white-space:normal; color:var(--muted); max-width:380px; }
  .state { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600;
           background:#eef2ff; color:var(--blue); }
  .state.succeeded { background:#dcfce7; color:var(--green); }
  .state.failed { background:#fee2e2; color:var(--red); }
  .state.cancelled { background:#f2f4f7; color:var(--muted); }
  .state.running { background:#dbeafe; color:var(--blue); }
  .bar { width:110px; height:8px; background:#eef0f3; border-radius:4px; overflow:hidden; display:inline-block; }
  .bar > span { display:block; height:100%; background:var(--blue); }
  .cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(420px, 1fr)); gap:14px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px 12px; }
  .card h3 { margin:0 0 4px; font-size:14px; } .card h3 small { color:var(--muted); font-weight:400; }
  .chart { width:100%; height:auto; display:block; }
  .chart .axis { stroke:#98a2b3; stroke-width:1; } .chart .grid { stroke:#eef0f3; }
  .chart text { font-size:10px; fill:var(--muted); }
  .chart .curve { fill:none; stroke-width:2; }
  .legend { font-size:12px; color:var(--muted); } .legend i { display:inline-block; width:10px; height:3px;
            margin:0 4px 2px 10px; vertical-align:middle; }
  .controls { font-size:13px; color:var(--muted); } .controls label { margin-right:10px; }
  .empty { color:var(--muted); padding:10px 0; }
  #error { color:var(--red); }
</style>
</head>
<body>
<header>
  <h1>STRADS scheduler</h1>
  <span class="stat"><b id="running">-</b> running</span>
  <span class="stat"><b id="queued">-</b> waiting</span>
  <span class="stat"><b id="finished">-</b> finished</span>
  <span class="stat"><b id="workers">-</b> workers</span>
  <span class="updated" id="updated">loading...</span>
</header>
<main>
  <div id="error"></div>
  <h2>Jobs</h2>
  <table><thead><tr><th>Job</th><th>Name</th><th>App</th><th>State</th><th>Progress</th>
    <th>Rounds</th><th>Objective / RMSE</th><th>Seconds</th><th>Message</th></tr></thead>
    <tbody id="jobs"></tbody></table>
  <h2>Convergence</h2>
  <div class="controls">x axis:
    <label><input type="radio" name="x" value="round" checked> rounds</label>
    <label><input type="radio" name="x" value="seconds"> seconds</label></div>
  <div class="cards" id="curves"></div>
  <h2>Workers</h2>
  <table><thead><tr><th>Worker</th><th>Name</th><th>Job</th><th>Shards loaded</th>
    <th>Connected for</th></tr></thead><tbody id="worker-rows"></tbody></table>
</main>
<script>
"use strict";
const COLORS = {objective:"#2563eb", duality_gap:"#ea580c", relative_gap:"#a855f7",
                train_rmse:"#2563eb", test_rmse:"#16a34a"};
// Charts per job: series drawn together, and whether their y axis is logarithmic.
const GROUPS = [{names:["objective"], log:false}, {names:["duality_gap", "relative_gap"], log:true},
                {names:["train_rmse", "test_rmse"], log:false}];
const MAX_CURVES = 12;
let xAxis = "round";
const curveCache = {};

function esc(text) {
  return String(text).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
}
function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(3) : v.toPrecision(5);
}
function tick(v) {
  const a = Math.abs(v);
  return (a !== 0 && (a < 1e-3 || a >= 1e6)) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}
function ago(ms) {
  let s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return s + " s"; s = Math.round(s / 60); if (s < 120) return s + " min";
  return Math.round(s / 60) + " h";
}
async function getJson(url) {
  const response = await fetch(url, {credentials:"same-origin", cache:"no-store"});
  if (response.status === 401 || response.status === 403) { location.href = "/login"; throw new Error("login"); }
  if (!response.ok) throw new Error(url + ": HTTP " + response.status);
  return response.json();
}
function headline(job) {
  // Rating models are judged by held-out error, regression by the objective.
  if (job.test_rmse !== undefined) return "test RMSE " + fmt(job.test_rmse);
  if (job.train_rmse !== undefined) return "train RMSE " + fmt(job.train_rmse);
  if (job.objective !== undefined) return "objective " + fmt(job.objective);
  return "-";
}
function progressCell(job) {
  if (job.progress === null || job.progress === undefined) return job.state === "running" ? "running" : "-";
  const pct = Math.round(100 * job.progress);
  return `<span class="bar"><span style="width:${pct}%"></span></span> ${pct}%`;
}
function ticks(lo, hi, log) {
  if (log) {
    const every = Math.max(1, Math.ceil((Math.floor(hi) - Math.ceil(lo)) / 5));
    const out = []; for (let e = Math.ceil(lo); e <= Math.floor(hi); e += every) out.push(e);
    return out.length ? out : [lo, hi];
  }
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) || 1)));
  const out = []; for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(v);
  return out.length > 8 ? out.filter((_, i) => i % 2 === 0) : out;
}
// One SVG chart: the group's series of `curve` against the chosen x axis.
function chart(curve, group) {
  const names = group.names.filter(n => curve[n] && curve[n].some(v => v !== null && (!group.log || v > 0)));
  if (!names.length) return "";
  const xs = curve[xAxis], W = 420, H = 170, L = 58, R = 10, T = 8, B = 26;
  let ylo = Infinity, yhi = -Infinity;
  const f = v => group.log ? Math.log10(v) : v;
  for (const n of names) for (const v of curve[n]) if (v !== null && (!group.log || v > 0)) {
    ylo = Math.min(ylo, f(v)); yhi = Math.max(yhi, f(v)); }
  if (yhi - ylo < 1e-12) { yhi += 0.5; ylo -= 0.5; }
  const xlo = Math.min(...xs), xhi = Math.max(...xs) > xlo ? Math.max(...xs) : xlo + 1;
  const px = x => L + (W - L - R) * (x - xlo) / (xhi - xlo);
  const py = y => T + (H - T - B) * (1 - (y - ylo) / (yhi - ylo));
  let svg = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img">`;
  for (const t of ticks(ylo, yhi, group.log)) {
    const y = py(t).toFixed(1);
    svg += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y}" y2="${y}"/>` +
           `<text x="${L - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${group.log ? "1e" + t : tick(t)}</text>`;
  }
  svg += `<line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>` +
         `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>` +
         `<text x="${L}" y="${H - 8}">${fmt(xlo)}</text>` +
         `<text x="${W - R}" y="${H - 8}" text-anchor="end">${fmt(xs[xs.length - 1])} ${xAxis === "round" ? "rounds" : "s"}</text>`;
  for (const n of names) {
    let d = "";
    curve[n].forEach((v, i) => {
      if (v === null || (group.log && v <= 0)) return;
      d += (d ? " L" : "M") + px(xs[i]).toFixed(1) + " " + py(f(v)).toFixed(1);
    });
    svg += `<path class="curve" data-metric="${n}" stroke="${COLORS[n]}" d="${d}"/>`;
  }
  svg += "</svg>";
  const legend = names.map(n => `<i style="background:${COLORS[n]}"></i>${n.replace("_", " ")}` +
                           (group.log ? " (log)" : "")).join("");
  return `<div class="legend">${legend}</div>` + svg;
}
function renderCurves(jobs) {
  const shown = jobs.filter(j => curveCache[j.job_id] && curveCache[j.job_id].round.length > 0);
  const box = document.getElementById("curves");
  if (!shown.length) { box.innerHTML = '<div class="empty">no rounds yet</div>'; return; }
  box.innerHTML = shown.map(job => {
    const curve = curveCache[job.job_id];
    return `<div class="card" id="curve-${esc(job.job_id)}"><h3>${esc(job.job_id)} <small>${esc(job.name || "")}` +
           ` ${esc(job.app)} &middot; <span class="state ${esc(job.state)}">${esc(job.state)}</span></small></h3>` +
           GROUPS.map(g => chart(curve, g)).join("") + "</div>";
  }).join("");
}
async function refresh() {
  try {
    const [jobs, workers] = await Promise.all([getJson("/api/v1/jobs"), getJson("/api/v1/workers")]);
    const count = s => jobs.filter(j => s.includes(j.state)).length;
    document.getElementById("running").textContent = count(["running", "loading"]);
    document.getElementById("queued").textContent = count(["queued", "waiting_for_workers"]);
    document.getElementById("finished").textContent = count(["succeeded", "failed", "cancelled"]);
    document.getElementById("workers").textContent = workers.length;
    const newest = jobs.slice().reverse();
    document.getElementById("jobs").innerHTML = newest.length ? newest.map(job =>
      `<tr id="job-${esc(job.job_id)}"><td>${esc(job.job_id)}</td><td>${esc(job.name || "-")}</td><td>${esc(job.app)}</td>` +
      `<td><span class="state ${esc(job.state)}">${esc(job.state)}</span></td><td>${progressCell(job)}</td>` +
      `<td class="num">${job.rounds}</td><td>${headline(job)}</td><td class="num">${job.seconds.toFixed(2)}</td>` +
      `<td class="msg">${esc(job.message)}</td></tr>`).join("") : '<tr><td colspan="9" class="empty">no jobs</td></tr>';
    document.getElementById("worker-rows").innerHTML = workers.length ? workers.map(w =>
      `<tr><td>${esc(w.worker_id)}</td><td>${esc(w.name)}</td><td>${esc(w.job_id || "(idle)")}</td>` +
      `<td class="num">${w.job_id ? w.shards_loaded : "-"}</td><td>${ago(w.connected_unix_ms)}</td></tr>`).join("")
      : '<tr><td colspan="5" class="empty">no workers connected</td></tr>';
    // Curves of the newest jobs; a finished job's curve no longer changes, so it is fetched once.
    const wanted = newest.slice(0, MAX_CURVES);
    await Promise.all(wanted.map(async job => {
      const cached = curveCache[job.job_id];
      if (cached && cached.final) return;
      const detail = await getJson("/api/v1/jobs/" + encodeURIComponent(job.job_id));
      detail.curve.final = ["succeeded", "failed", "cancelled"].includes(detail.state);
      curveCache[job.job_id] = detail.curve;
    }));
    renderCurves(wanted);
    document.getElementById("error").textContent = "";
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    if (e.message !== "login") document.getElementById("error").textContent = "cannot reach the scheduler: " + e.message;
  }
}
for (const input of document.querySelectorAll('input[name="x"]')) {
  input.addEventListener("change", () => { xAxis = input.value; refresh(); });
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)html";

std::string LoginPageHtml(bool failed) {
  std::string page = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>STRADS scheduler: sign in</title>
<style>
  body { font:14px system-ui, sans-serif; background:#f6f7f9; color:#1d2430; display:flex;
         justify-content:center; padding-top:12vh; margin:0; }
  form { background:#fff; border:1px solid #e4e7ec; border-radius:6px; padding:22px 26px; width:360px; }
  h1 { font-size:17px; margin:0 0 12px; } input[type=password] { width:100%; padding:7px; margin:6px 0 12px; }
  button { padding:7px 16px; } .failed { color:#dc2626; } p { color:#667085; }
</style></head>
<body><form method="post" action="/login">
<h1>STRADS scheduler</h1>
<p>This scheduler needs the client token (the file given to --client-token-file).</p>
)html";
  if (failed) page += "<p class=\"failed\">That token was refused.</p>\n";
  page += R"html(<label>Client token<input type="password" name="token" autofocus></label>
<button type="submit">Sign in</button>
</form></body></html>
)html";
  return page;
}

}  // namespace strads::scheduler
