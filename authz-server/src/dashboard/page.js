// The live page's client: polls /dashboard/api/snapshot every second, keeps the last WINDOW
// snapshots, turns cumulative counters into per-second rates (difference of successive snapshots
// over their time apart) and draws them as inline SVG. No framework, no external resources.
const POLL_MS = 1000;
const WINDOW = 120;
const COLORS = {
  allow: "#1f9d6b",
  deny: "#d6455d",
  low: "#4caf7d",
  medium: "#f2b33d",
  high: "#ef7b3a",
  critical: "#c62f4a",
};
const ENDPOINT_COLORS = ["#3d5afe", "#00a3a3", "#b04ad9", "#ef7b3a", "#6b7588"];
const LEVELS = ["low", "medium", "high", "critical"];
const SVG = "http://www.w3.org/2000/svg";
const history = [];

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n >= 10000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n)));

function el(tag, attrs = {}, text) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Per-second rate of `pick(snapshot)` between consecutive snapshots (0 for the first). */
function rates(pick) {
  return history.map((s, i) => {
    if (i === 0) return 0;
    const prev = history[i - 1];
    const dt = (s.atMs - prev.atMs) / 1000;
    return dt > 0 ? Math.max(0, (pick(s) - pick(prev)) / dt) : 0;
  });
}

/** The smallest of 1, 2, 5 × 10^k at or above `v` (at least 1): five grid steps stay round. */
function niceMax(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

const tick = (v) => (Number.isInteger(v) ? fmt(v) : v.toFixed(1));

/** Lines (or stacked areas) for `series` [{name, color, values}] over the window, with a y grid. */
function drawChart(svg, series, { stacked = false } = {}) {
  const width = svg.clientWidth || 600;
  const height = svg.clientHeight || 190;
  const pad = { l: 34, r: 8, t: 8, b: 18 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  // Until the window is full the x axis spans what is there (at least 30 s), so lines fill the chart.
  const n = Math.max(30, ...series.map((s) => s.values.length));
  const totals = series.length
    ? series[0].values.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0))
    : [];
  const peak = stacked ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((s) => s.values));
  const max = niceMax(peak);
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  for (let i = 0; i <= 5; i++) {
    const y = pad.t + h - (h * i) / 5;
    svg.append(el("svg:line", { x1: pad.l, x2: width - pad.r, y1: y, y2: y, stroke: "#e3e7ef" }));
    svg.append(el("svg:text", { x: pad.l - 6, y: y + 3, "text-anchor": "end" }, tick((max * i) / 5)));
  }
  svg.append(el("svg:text", { x: pad.l, y: height - 3 }, `−${Math.round((n * POLL_MS) / 1000)} s`));
  svg.append(el("svg:text", { x: width - pad.r, y: height - 3, "text-anchor": "end" }, "now"));
  const x = (i, len) => pad.l + w - ((len - 1 - i) * w) / (n - 1);
  const y = (v) => pad.t + h - (h * v) / max;
  const base = new Array(totals.length).fill(0);
  for (const s of series) {
    const len = s.values.length;
    if (len < 2) continue;
    const top = s.values.map((v, i) => (stacked ? base[i] + v : v));
    const line = top.map((v, i) => `${i ? "L" : "M"}${x(i, len).toFixed(1)},${y(v).toFixed(1)}`).join("");
    if (stacked) {
      const back = base
        .map((v, i) => `L${x(i, len).toFixed(1)},${y(v).toFixed(1)}`)
        .reverse()
        .join("");
      svg.append(el("svg:path", { d: `${line}${back}Z`, fill: s.color, "fill-opacity": 0.75, stroke: "none" }));
      top.forEach((v, i) => {
        base[i] = v;
      });
    } else {
      const area = `${line}L${x(len - 1, len).toFixed(1)},${y(0)}L${x(0, len).toFixed(1)},${y(0)}Z`;
      svg.append(el("svg:path", { d: area, fill: s.color, "fill-opacity": 0.08, stroke: "none" }));
      svg.append(
        el("svg:path", { d: line, fill: "none", stroke: s.color, "stroke-width": 2, "stroke-linejoin": "round" }),
      );
    }
  }
}

function pills(s) {
  const out = [];
  const source = (name, state) =>
    out.push(
      el(
        "span",
        { class: `pill ${state === "ok" ? "ok" : "bad"}`, title: state },
        `${name}: ${state === "ok" ? "ok" : "unavailable"}`,
      ),
    );
  source("envoy", s.sources.envoy);
  source("sandbox", s.sources.sandbox);
  if (s.sources.prometheus !== "not configured") source("prometheus", s.sources.prometheus);
  for (const f of s.filters)
    out.push(
      el(
        "span",
        { class: `pill ${f.loaded ? "ok" : "bad"}`, title: f.note },
        `${f.name}: ${f.loaded ? "loaded" : "absent"}`,
      ),
    );
  $("pills").replaceChildren(...out);
}

function kpis(s) {
  const decided = rates((x) => x.decisions.allow + x.decisions.deny);
  const recent = decided.slice(-3);
  $("kpi-rate").textContent = (recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length)).toFixed(1);
  const total = s.decisions.allow + s.decisions.deny;
  $("kpi-total").textContent = `${total} checks in total`;
  $("kpi-allow").textContent = fmt(s.decisions.allow);
  $("kpi-deny").textContent = fmt(s.decisions.deny);
  $("kpi-allow-share").textContent = total
    ? `${((100 * s.decisions.allow) / total).toFixed(0)} % of checks`
    : "no checks yet";
  const reasons = Object.entries(s.decisions.byReason).filter(([r]) => r !== "policy");
  $("kpi-deny-reasons").textContent = reasons.length
    ? reasons.map(([r, n]) => `${r}: ${n}`).join(", ")
    : "all decided by policy";
  const ms = (v) => (v === undefined ? "–" : v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(1)} ms`);
  $("kpi-p99").textContent = ms(s.latencyMs.p99);
  $("kpi-p50").textContent = `p99 · p50 ${ms(s.latencyMs.p50)}`;
  const t = s.traffic;
  const button = $("traffic-toggle");
  button.disabled = !t;
  $("kpi-traffic").textContent = t ? (t.running ? `${t.ratePerSecond}/s` : "off") : "n/a";
  button.textContent = t?.running ? "Stop traffic" : "Start traffic";
  button.classList.toggle("stop", Boolean(t?.running));
  button.dataset.running = String(Boolean(t?.running));
}

function charts(s) {
  drawChart($("chart-decisions"), [
    { name: "allow", color: COLORS.allow, values: rates((x) => x.decisions.allow) },
    { name: "deny", color: COLORS.deny, values: rates((x) => x.decisions.deny) },
  ]);
  drawChart(
    $("chart-risk"),
    LEVELS.map((level) => ({ name: level, color: COLORS[level], values: rates((x) => x.risk[level]) })),
    { stacked: true },
  );
  $("risk-legend").replaceChildren(
    ...LEVELS.map((level) => {
      const item = el("span", { "data-testid": `risk-${level}` });
      item.append(el("i", { style: `background:${COLORS[level]}` }), `${level} ${fmt(s.risk[level])}`);
      return item;
    }),
  );
  drawChart(
    $("chart-endpoints"),
    s.endpoints.map((e, i) => ({
      name: e.name ?? e.address,
      color: ENDPOINT_COLORS[i % ENDPOINT_COLORS.length],
      values: rates((x) => x.endpoints.find((o) => o.address === e.address)?.requests ?? 0),
    })),
  );
}

async function post(path, body) {
  await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await poll();
}

function endpointsTable(s) {
  const rows = s.endpoints.map((e, i) => {
    const tr = el("tr", { "data-endpoint": e.name ?? e.address });
    const name = el("td");
    name.append(
      el("i", {
        style: `display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px;background:${ENDPOINT_COLORS[i % ENDPOINT_COLORS.length]}`,
      }),
      e.name ?? "",
      " ",
    );
    name.append(el("span", { class: "mono muted", style: "display:block;margin-left:16px" }, e.address));
    const mode = el("td");
    mode.append(el("span", { class: `tag ${e.mode ?? "healthy"}` }, e.mode ?? (e.healthy ? "healthy" : "unhealthy")));
    const actions = el("td", { class: "nowrap" });
    if (e.name && s.sources.sandbox === "ok") {
      for (const m of ["healthy", "slow", "failing"]) {
        const b = el("button", { type: "button", "data-mode": m }, m);
        b.disabled = e.mode === m;
        b.onclick = () => post(`/dashboard/api/endpoints/${encodeURIComponent(e.name)}`, { mode: m });
        actions.append(b, " ");
      }
    }
    tr.append(
      name,
      mode,
      el("td", { "data-testid": "endpoint-requests" }, fmt(e.requests)),
      el("td", {}, fmt(e.errors)),
      el("td", { class: "nowrap" }, e.rttUs === undefined ? "–" : `${(e.rttUs / 1000).toFixed(1)} ms`),
      actions,
    );
    return tr;
  });
  $("endpoints").replaceChildren(...rows);
}

function shareBar(parts) {
  const total = parts.reduce((a, p) => a + p.value, 0);
  const bar = el("div", { class: "bar" });
  for (const p of parts)
    if (total > 0 && p.value > 0)
      bar.append(el("span", { style: `width:${(100 * p.value) / total}%;background:${p.color}` }));
  return bar;
}

function filterTables(s) {
  const shaper = s.trafficShaper;
  if (!shaper) {
    $("ratelimits").replaceChildren(
      el("p", { class: "muted" }, "traffic-shaper is not loaded in Envoy (its counters appear here once it is built)."),
    );
  } else {
    const table = el("table", { "data-testid": "ratelimits" });
    const head = el("tr");
    head.append(
      el("th", {}, "rule / class"),
      el("th", {}, "allowed"),
      el("th", {}, "limited / shed"),
      el("th", {}, "share"),
    );
    table.append(head);
    for (const r of shaper.rules) {
      table.append(
        row([
          r.name,
          fmt(r.allowed),
          fmt(r.limited + r.shadowLimited),
          shareBar([
            { value: r.allowed, color: COLORS.allow },
            { value: r.limited + r.shadowLimited, color: COLORS.deny },
          ]),
        ]),
      );
    }
    for (const c of shaper.classes) {
      table.append(
        row([
          `class ${c.name}`,
          fmt(c.admitted),
          fmt(c.shed),
          shareBar([
            { value: c.admitted, color: COLORS.allow },
            { value: c.shed, color: COLORS.deny },
          ]),
        ]),
      );
    }
    table.append(row(["in flight / limit", fmt(shaper.inFlight), fmt(shaper.concurrencyLimit), ""]));
    $("ratelimits").replaceChildren(table);
  }
  const lb = s.adaptiveLb;
  if (!lb) {
    $("adaptive-lb").replaceChildren(
      el("p", { class: "muted" }, "adaptive-lb reports no metrics yet; Envoy's fallback policy picks endpoints."),
    );
  } else {
    const table = el("table");
    table.append(row(["picks", fmt(lb.picks), "fallbacks", fmt(lb.fallbacks)]));
    table.append(row(["explorations", fmt(lb.explorations), "ejections", fmt(lb.ejections)]));
    $("adaptive-lb").replaceChildren(table);
  }
}

function row(cells) {
  const tr = el("tr");
  for (const c of cells) {
    const td = el("td");
    td.append(c);
    tr.append(td);
  }
  return tr;
}

/** Alerts pending or firing, rule health and scrape targets of the sandbox's Prometheus. It is built
 *  without its web UI, so its HTTP API views are linked here. */
function prometheusPanel(s) {
  const p = s.prometheus;
  if (!p) {
    const why =
      s.sources.prometheus === "not configured"
        ? "No Prometheus runs with this page (npm start brings one up)."
        : `Prometheus is ${s.sources.prometheus}.`;
    $("prometheus").replaceChildren(el("p", { class: "muted" }, why));
    return;
  }
  const links = el("div", { class: "links" });
  const link = (path, text, testId) => {
    const a = el("a", { href: `${p.url}${path}`, target: "_blank", rel: "noopener" }, text);
    if (testId) a.dataset.testid = testId;
    return a;
  };
  links.append(
    link("", p.url, "prometheus-link"),
    link("/api/v1/alerts", "alerts"),
    link("/api/v1/rules", "rules"),
    link("/api/v1/targets", "targets"),
    link(`/api/v1/query?query=${encodeURIComponent("ALERTS")}`, "query ALERTS"),
    el("span", { class: "muted" }, "(HTTP API: this Prometheus has no web UI)"),
  );
  if (p.timeScale > 1)
    links.append(
      el(
        "span",
        { class: "muted" },
        `· rules run ${p.timeScale}× faster than in production; descriptions name production durations`,
      ),
    );
  const bad = p.rules.unhealthy;
  const health = el(
    "p",
    { "data-testid": "prometheus-rules" },
    `${p.rules.recording + p.rules.alerting} rules in ${p.rules.groups} groups (${p.rules.recording} recording, ${p.rules.alerting} alerting): ` +
      (bad.length
        ? `${bad.length} failing — ${bad.map((r) => `${r.name}: ${r.lastError}`).join("; ")}`
        : "all evaluate"),
  );
  const targets = el("p", { "data-testid": "prometheus-targets" });
  targets.append("Scraped: ");
  for (const t of p.targets) {
    targets.append(
      el(
        "span",
        { class: `tag ${t.health === "up" ? "healthy" : "failing"}`, title: t.lastError },
        `${t.job} ${t.health}`,
      ),
      " ",
    );
  }
  const table = el("table");
  const head = el("tr");
  for (const h of ["state", "alert", "severity", "description", "since", "runbook"]) head.append(el("th", {}, h));
  table.append(head);
  for (const a of p.alerts) {
    const tr = row([
      el("span", { class: `tag ${a.state}` }, a.state),
      a.name,
      el("span", { class: `tag ${a.severity}` }, a.severity),
      a.description || a.summary,
      a.activeAt ? new Date(a.activeAt).toLocaleTimeString() : "–",
      el("span", { class: "mono" }, a.runbook),
    ]);
    tr.dataset.testid = "alert-row";
    tr.dataset.alert = a.name;
    tr.dataset.state = a.state;
    table.append(tr);
  }
  const none = el("p", { class: "muted" }, "No alert is pending or firing.");
  $("prometheus").replaceChildren(links, health, targets, p.alerts.length ? table : none);
}

function recentTable(s) {
  $("recent").replaceChildren(
    ...s.recent.slice(0, 12).map((d) => {
      const risk = el("td");
      if (d.riskLevel) risk.append(el("span", { class: `tag ${d.riskLevel}` }, `${d.riskLevel} ${d.riskScore ?? ""}`));
      else risk.append("–");
      const decision = el("td");
      decision.append(el("span", { class: `tag ${d.allowed ? "allow" : "deny"}` }, d.allowed ? "allow" : "deny"));
      return row([
        new Date(d.atMs).toLocaleTimeString(),
        decision.firstChild,
        String(d.status),
        d.method,
        d.path,
        risk.firstChild,
        d.reason,
      ]);
    }),
  );
}

async function poll() {
  try {
    const response = await fetch("/dashboard/api/snapshot", { cache: "no-store" });
    const s = await response.json();
    history.push(s);
    if (history.length > WINDOW) history.shift();
    for (const part of [pills, kpis, charts, endpointsTable, filterTables, prometheusPanel, recentTable]) {
      try {
        part(s);
      } catch (err) {
        console.error(`live page: ${part.name}:`, err);
      }
    }
    document.body.dataset.updated = String(s.atMs);
  } catch (err) {
    $("pills").replaceChildren(el("span", { class: "pill bad" }, `authz server unreachable: ${err.message}`));
  }
}

$("traffic-toggle").onclick = () =>
  post("/dashboard/api/traffic", { running: $("traffic-toggle").dataset.running !== "true" });
poll();
setInterval(poll, POLL_MS);
