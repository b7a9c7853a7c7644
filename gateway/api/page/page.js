// The live page: /api/instruments once (and every 30 s for online and calibration changes),
// then every reading batch from /api/readings/stream. Plain DOM, no framework, no build step.
'use strict';

const TREND_POINTS = 60;
const REFRESH_MS = 30_000;

const STATUS_TEXT = {
  valid: 'Valid',
  due_soon: 'Due soon',
  limited: 'Limited use',
  expired: 'Expired',
  out_of_tolerance: 'Out of tolerance',
  out_of_service: 'Out of service',
  quarantined: 'Quarantined',
  uncalibrated: 'Uncalibrated',
};

/** Worst first, as the gateway summarises an instrument (gateway/calibration/instrument-summary.ts). */
const SEVERITY = ['out_of_service', 'quarantined', 'out_of_tolerance', 'expired', 'uncalibrated', 'limited', 'due_soon', 'valid'];

/** The instrument's badge: the worst of its channels that have a record; with none, what any channel shows. */
function summarise(channelCal) {
  let worst = null;
  let any = null;
  for (const cal of channelCal.values()) {
    any = any || cal;
    if (cal.hasRecord && (!worst || SEVERITY.indexOf(cal.status) < SEVERITY.indexOf(worst.status))) worst = cal;
  }
  return worst || any;
}

/** id → { view, card: {…elements}, trend: number[], channelCal: Map<channel, cal> } */
const instruments = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** The shortest text that gives back the number the device sent (float32 or float64). */
function formatValue(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.fround(v) === v) {
    for (let p = 1; p <= 9; p++) {
      const s = v.toPrecision(p);
      if (Math.fround(Number(s)) === v) return String(Number(s));
    }
  }
  // Twelve digits keep a 10 V reference's µV and drop the noise of binary scaling (×0.0001).
  return String(Number(v.toPrecision(12)));
}

function formatUncertainty(r) {
  if (!r || typeof r.u !== 'number') return 'U: not stated';
  const unit = r.unit ? ` ${r.unit}` : '';
  if (typeof r.k === 'number') return `U = ${Number((r.u * r.k).toPrecision(2))}${unit} (k = ${r.k})`;
  return `u = ${Number(r.u.toPrecision(2))}${unit}`;
}

function dueText(cal) {
  if (!cal || !cal.due) return 'no certificate';
  const d = cal.daysToDue;
  const when = d === null ? '' : d >= 0 ? ` (in ${d} d)` : ` (${-d} d overdue)`;
  return `due ${cal.due}${when}`;
}

function renderBadge(card, cal) {
  const status = cal ? cal.status : 'uncalibrated';
  card.badge.className = `badge status-${status}`;
  card.badge.dataset.status = status;
  card.badge.textContent = STATUS_TEXT[status] || status;
  card.certificate.textContent = cal && cal.certificate ? `certificate ${cal.certificate}` : 'no certificate';
  card.due.textContent = cal && cal.due ? dueText(cal) : '';
  card.traceable.textContent = cal && cal.traceable ? 'traceable' : 'not traceable';
}

function renderChannelCal(card, channel, cal) {
  const row = card.rows.get(channel);
  if (!row || !cal) return;
  const status = row.cal.firstChild;
  status.className = `badge small status-${cal.status}`;
  status.textContent = STATUS_TEXT[cal.status] || cal.status;
  row.cal.title = cal.certificate ? `certificate ${cal.certificate}, ${dueText(cal)}` : cal.hasRecord ? '' : 'no record covers this channel';
}

function renderOnline(card, view) {
  const o = card.online;
  o.classList.toggle('is-offline', view.online === false);
  o.classList.toggle('not-yet', view.online === null);
  o.textContent = view.online === true ? 'online' : view.online === false ? `offline${view.error ? `: ${view.error}` : ''}` : 'not polled yet';
}

function renderSparkline(svg, values, label) {
  svg.replaceChildren();
  if (values.length < 2) {
    svg.setAttribute('aria-label', `${label}: not enough values yet`);
    return;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = 100 / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(2)},${max === min ? 15 : (28 - ((v - min) / span) * 26).toFixed(2)}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  svg.setAttribute('aria-label', `${label}: last ${values.length} values, from ${formatValue(min)} to ${formatValue(max)}`);
}

function renderReading(card, channel, r) {
  const row = card.rows.get(channel);
  if (row) {
    row.value.textContent = r ? formatValue(r.value) : '—';
    row.u.textContent = r && typeof r.u === 'number' ? formatUncertainty(r).replace(/^[Uu] = /, '') : '—';
    row.quality.textContent = r ? (r.quality === 'good' ? 'good' : `${r.quality}: ${r.reason || ''}`) : '—';
    row.quality.className = r ? `quality-${r.quality}` : '';
  }
  if (channel === card.primaryChannel) {
    card.number.textContent = r ? formatValue(r.value) : '—';
    card.number.dataset.seq = r ? String(r.seq) : '';
    card.detail.textContent = r
      ? `${formatUncertainty(r)} · ${r.quality === 'good' ? 'good' : `${r.quality}: ${r.reason || ''}`} · ${new Date(r.ts).toLocaleTimeString()}`
      : 'no reading yet';
  }
}

function buildCard(view) {
  const primary = view.channels[0];
  const headingId = `inst-${view.id}`;
  const badge = el('span', { class: 'badge' });
  const certificate = el('span');
  const due = el('span');
  const traceable = el('span');
  const online = el('span', { class: 'online' });
  const number = el('span', { class: 'number' }, '—');
  const value = el('span', { class: 'value' }, number, el('span', { class: 'unit' }, primary ? primary.unit : ''));
  const detail = el('span', { class: 'detail' });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'trend');
  svg.setAttribute('viewBox', '0 0 100 30');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const rows = new Map();
  const tbody = el('tbody');
  for (const ch of view.channels) {
    const cells = { value: el('td', { class: 'num' }), u: el('td', { class: 'num' }), quality: el('td'), cal: el('td', { class: 'channel-cal' }, el('span')) };
    rows.set(ch.id, cells);
    tbody.append(el('tr', {}, el('th', { scope: 'row' }, ch.id), cells.value, el('td', {}, ch.unit), cells.u, cells.quality, cells.cal));
  }
  const article = el(
    'article',
    { class: 'instrument', 'data-instrument': view.id, 'aria-labelledby': headingId },
    el('header', {}, el('h3', { id: headingId }, view.name || view.id), el('div', { class: 'meta' }, el('span', { class: 'id' }, view.id), online)),
    el('div', { class: 'cal' }, badge, certificate, due, traceable),
    el('div', { class: 'primary' }, el('div', { class: 'reading' }, value, detail), svg),
    el('table', { class: 'channels', 'aria-label': `Channels of ${view.name || view.id}` },
      el('thead', {}, el('tr', {}, ...['channel', 'value', 'unit', 'U', 'quality', 'calibration'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody),
  );
  return { article, badge, certificate, due, traceable, online, number, detail, svg, rows, primaryChannel: primary ? primary.id : null };
}

function renderAll(list) {
  document.getElementById('site').textContent = `${list.site} · gateway ${list.gateway}`;
  const main = document.getElementById('labs');
  const labs = new Map();
  for (const view of list.instruments) {
    const lab = view.lab || 'other instruments';
    if (!labs.has(lab)) labs.set(lab, []);
    labs.get(lab).push(view);
  }
  main.replaceChildren();
  instruments.clear();
  for (const [lab, views] of labs) {
    const id = `lab-${lab.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const grid = el('div', { class: 'grid' });
    main.append(el('section', { 'aria-labelledby': id }, el('h2', { id }, lab.replace(/-/g, ' ')), grid));
    for (const view of views) {
      const card = buildCard(view);
      grid.append(card.article);
      const primary = view.channels[0];
      const channelCal = new Map(view.channels.map((ch) => [ch.id, ch.calibration]));
      const entry = { view, card, trend: primary ? primary.trend.slice(-TREND_POINTS) : [], channelCal };
      instruments.set(view.id, entry);
      renderBadge(card, view.calibration);
      for (const ch of view.channels) renderChannelCal(card, ch.id, ch.calibration);
      renderOnline(card, view);
      for (const ch of view.channels) renderReading(card, ch.id, ch.latest ? { ...ch.latest, unit: ch.unit } : null);
      renderSparkline(card.svg, entry.trend, `Trend of ${primary ? primary.id : 'value'}`);
    }
  }
  renderSummary();
}

function renderSummary() {
  const counts = new Map();
  for (const { card } of instruments.values()) {
    const s = card.badge.dataset.status;
    counts.set(s, (counts.get(s) || 0) + 1);
  }
  const parts = [...counts].map(([s, n]) => `${n} ${(STATUS_TEXT[s] || s).toLowerCase()}`);
  document.getElementById('summary').textContent = `${instruments.size} instruments: ${parts.join(', ')}`;
}

function onBatch(batch) {
  const entry = instruments.get(batch.instrument);
  if (!entry) return;
  for (const r of batch.readings) {
    renderReading(entry.card, r.channel, r);
    const known = entry.channelCal.get(r.channel);
    if (known) {
      const cal = { ...r.cal, hasRecord: known.hasRecord };
      entry.channelCal.set(r.channel, cal);
      renderChannelCal(entry.card, r.channel, cal);
    }
    if (r.channel === entry.card.primaryChannel && typeof r.value === 'number') {
      entry.trend.push(r.value);
      if (entry.trend.length > TREND_POINTS) entry.trend.shift();
    }
  }
  const summary = batch.readings.length > 0 ? summarise(entry.channelCal) : null;
  if (summary && summary.status !== entry.card.badge.dataset.status) {
    renderBadge(entry.card, summary);
    renderSummary();
  } else if (summary) renderBadge(entry.card, summary);
  renderSparkline(entry.card.svg, entry.trend, `Trend of ${entry.card.primaryChannel}`);
}

function setConnection(text, state) {
  const c = document.getElementById('connection');
  c.textContent = text;
  c.className = `connection ${state}`;
}

async function load() {
  const res = await fetch('/api/instruments');
  if (!res.ok) throw new Error(`/api/instruments: HTTP ${res.status}`);
  return res.json();
}

async function refresh() {
  try {
    const list = await load();
    for (const view of list.instruments) {
      const entry = instruments.get(view.id);
      if (!entry) return renderAll(list);
      entry.view = view;
      renderOnline(entry.card, view);
      renderBadge(entry.card, view.calibration);
      for (const ch of view.channels) {
        entry.channelCal.set(ch.id, ch.calibration);
        renderChannelCal(entry.card, ch.id, ch.calibration);
      }
    }
    renderSummary();
  } catch (err) {
    setConnection(`Cannot reach the gateway (${err.message})`, 'lost');
  }
}

async function start() {
  try {
    renderAll(await load());
  } catch (err) {
    setConnection(`Cannot reach the gateway (${err.message})`, 'lost');
  }
  const stream = new EventSource('/api/readings/stream');
  stream.addEventListener('open', () => setConnection('Live', 'live'));
  stream.addEventListener('readings', (e) => {
    onBatch(JSON.parse(e.data));
    setConnection(`Live · last reading ${new Date().toLocaleTimeString()}`, 'live');
  });
  stream.addEventListener('error', () => setConnection('Connection lost: reconnecting…', 'lost'));
  setInterval(refresh, REFRESH_MS);
}

start();
